//! The demo court's policy, modelled on a Chinese basic people's court: the national fee
//! schedule (诉讼费用交纳办法), the State Council's 2025 and 2026 holiday notices, and the
//! Civil Procedure Law's periods. Served with a strong `ETag`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use courtside_court_api::encoding::sha256_hex;
use courtside_court_api::policy::{
    AcceptedFormat, CalendarYear, CaseType, CourtKey, CourtPolicy, CourtSummary, FeeBasis, FeeSchedule, FeeTier,
    HalvingReason, HearingPlatform, HearingPlatformKind, Holiday, LocalizedText, PeriodUnit, RequiredDocument,
    Rounding, StatutoryPeriod, TieredFee,
};
use time::Date;
use time::macros::date;

use crate::http::{ApiError, CourtState};

/// The policy with its serialised form and entity tag, computed once.
#[derive(Debug)]
pub(crate) struct PublishedPolicy {
    pub(crate) policy: CourtPolicy,
    json: Vec<u8>,
    etag: String,
}

impl PublishedPolicy {
    pub(crate) fn new(policy: CourtPolicy) -> Self {
        let json = serde_json::to_vec(&policy).unwrap_or_default();
        let etag = format!("\"{}\"", &sha256_hex(&json)[..32]);
        Self { policy, json, etag }
    }
}

/// Largest single file the demo court accepts: 200 MiB.
pub const MAX_FILE_BYTES: u64 = 200 * 1024 * 1024;
/// Largest filing: 1 GiB.
pub const MAX_FILING_BYTES: u64 = 1024 * 1024 * 1024;

const YUAN: u64 = 100;

fn tier(up_to_yuan: Option<u64>, fixed_yuan: u64, rate_bp: u32) -> FeeTier {
    FeeTier { up_to_fen: up_to_yuan.map(|y| y * YUAN), fixed_fen: fixed_yuan * YUAN, rate_bp }
}

fn text(zh: &str, en: &str) -> LocalizedText {
    LocalizedText::new(zh, en)
}

fn required(kind: &str, zh: &str, en: &str) -> RequiredDocument {
    RequiredDocument { kind: kind.to_owned(), name: text(zh, en) }
}

fn holiday(zh: &str, en: &str, first: Date, last: Date) -> Holiday {
    Holiday { name: text(zh, en), first, last }
}

fn period(code: &str, zh: &str, en: &str, length: u32, unit: PeriodUnit, basis: &str) -> StatutoryPeriod {
    StatutoryPeriod { code: code.to_owned(), name: text(zh, en), length, unit, basis: basis.to_owned() }
}

/// The demo court's policy.
pub(crate) fn demo_policy(court_id: &str, court_name: &str, key: CourtKey) -> CourtPolicy {
    let common = || {
        vec![
            required("complaint", "起诉状", "Statement of claim"),
            required("identity", "当事人身份证明", "Identity documents of the parties"),
            required("evidence-list", "证据目录", "Evidence catalogue"),
        ]
    };
    CourtPolicy {
        court: CourtSummary { id: court_id.to_owned(), name: court_name.to_owned() },
        version: "2026.1".to_owned(),
        case_types: vec![
            CaseType {
                code: "civil-contract".into(),
                name: text("合同纠纷（民事一审）", "Contract dispute (civil, first instance)"),
                fee_basis: FeeBasis::Property,
                amount_required: true,
                required_documents: common(),
            },
            CaseType {
                code: "civil-loan".into(),
                name: text("民间借贷纠纷", "Private lending dispute"),
                fee_basis: FeeBasis::Property,
                amount_required: true,
                required_documents: common(),
            },
            CaseType {
                code: "divorce".into(),
                name: text("离婚纠纷", "Divorce"),
                // Art. 13(2)(1): 50–300 yuan per case, plus 0.5 % of property over 200,000.
                fee_basis: FeeBasis::Fixed {
                    fee_fen: 300 * YUAN,
                    extra_above_fen: Some(200_000 * YUAN),
                    extra_rate_bp: Some(50),
                },
                amount_required: false,
                required_documents: vec![
                    required("complaint", "起诉状", "Statement of claim"),
                    required("identity", "当事人身份证明", "Identity documents of the parties"),
                    required("marriage-certificate", "结婚证", "Marriage certificate"),
                ],
            },
            CaseType {
                code: "labour".into(),
                name: text("劳动争议", "Labour dispute"),
                // Art. 13(5): 10 yuan per case.
                fee_basis: FeeBasis::Fixed { fee_fen: 10 * YUAN, extra_above_fen: None, extra_rate_bp: None },
                amount_required: false,
                required_documents: vec![
                    required("complaint", "起诉状", "Statement of claim"),
                    required("identity", "当事人身份证明", "Identity documents of the parties"),
                    required("arbitral-award", "劳动仲裁裁决书或不予受理通知书", "Labour arbitration award or refusal"),
                ],
            },
        ],
        accepted_formats: vec![
            AcceptedFormat { media_type: "application/pdf".into(), extensions: vec!["pdf".into()] },
            AcceptedFormat { media_type: "image/jpeg".into(), extensions: vec!["jpg".into(), "jpeg".into()] },
            AcceptedFormat { media_type: "image/png".into(), extensions: vec!["png".into()] },
            AcceptedFormat { media_type: "audio/mpeg".into(), extensions: vec!["mp3".into()] },
            AcceptedFormat { media_type: "video/mp4".into(), extensions: vec!["mp4".into()] },
            AcceptedFormat { media_type: "text/plain".into(), extensions: vec!["txt".into()] },
            AcceptedFormat { media_type: "application/warc".into(), extensions: vec!["warc".into()] },
        ],
        max_file_bytes: MAX_FILE_BYTES,
        max_filing_bytes: MAX_FILING_BYTES,
        fee_schedule: FeeSchedule {
            currency: "CNY".into(),
            // Art. 13(1).
            property: TieredFee {
                tiers: vec![
                    tier(Some(10_000), 50, 0),
                    tier(Some(100_000), 0, 250),
                    tier(Some(200_000), 0, 200),
                    tier(Some(500_000), 0, 150),
                    tier(Some(1_000_000), 0, 100),
                    tier(Some(2_000_000), 0, 90),
                    tier(Some(5_000_000), 0, 80),
                    tier(Some(10_000_000), 0, 70),
                    tier(Some(20_000_000), 0, 60),
                    tier(None, 0, 50),
                ],
                cap_fen: None,
            },
            // Art. 14(2).
            preservation: TieredFee {
                tiers: vec![tier(Some(1_000), 30, 0), tier(Some(100_000), 0, 100), tier(None, 0, 50)],
                cap_fen: Some(5_000 * YUAN),
            },
            // Art. 14(1).
            enforcement: TieredFee {
                tiers: vec![
                    tier(Some(10_000), 50, 0),
                    tier(Some(500_000), 0, 150),
                    tier(Some(5_000_000), 0, 100),
                    tier(Some(10_000_000), 0, 50),
                    tier(None, 0, 10),
                ],
                cap_fen: None,
            },
            payment_order_fraction: [1, 3],
            halved_for: vec![
                HalvingReason::MediatedSettlement,
                HalvingReason::Withdrawal,
                HalvingReason::SimpleProcedure,
                HalvingReason::Counterclaim,
            ],
            halvings_stack: false,
            rounding: Rounding::Fen,
            payment_days: 7,
        },
        calendar: vec![
            // 国务院办公厅关于2025年部分节假日安排的通知.
            CalendarYear {
                year: 2025,
                holidays: vec![
                    holiday("元旦", "New Year's Day", date!(2025 - 01 - 01), date!(2025 - 01 - 01)),
                    holiday("春节", "Spring Festival", date!(2025 - 01 - 28), date!(2025 - 02 - 04)),
                    holiday("清明节", "Qingming", date!(2025 - 04 - 04), date!(2025 - 04 - 06)),
                    holiday("劳动节", "Labour Day", date!(2025 - 05 - 01), date!(2025 - 05 - 05)),
                    holiday("端午节", "Dragon Boat Festival", date!(2025 - 05 - 31), date!(2025 - 06 - 02)),
                    holiday(
                        "国庆节、中秋节",
                        "National Day and Mid-Autumn",
                        date!(2025 - 10 - 01),
                        date!(2025 - 10 - 08),
                    ),
                ],
                make_up_working_days: vec![
                    date!(2025 - 01 - 26),
                    date!(2025 - 02 - 08),
                    date!(2025 - 04 - 27),
                    date!(2025 - 09 - 28),
                    date!(2025 - 10 - 11),
                ],
            },
            // 国务院办公厅关于2026年部分节假日安排的通知.
            CalendarYear {
                year: 2026,
                holidays: vec![
                    holiday("元旦", "New Year's Day", date!(2026 - 01 - 01), date!(2026 - 01 - 03)),
                    holiday("春节", "Spring Festival", date!(2026 - 02 - 15), date!(2026 - 02 - 23)),
                    holiday("清明节", "Qingming", date!(2026 - 04 - 04), date!(2026 - 04 - 06)),
                    holiday("劳动节", "Labour Day", date!(2026 - 05 - 01), date!(2026 - 05 - 05)),
                    holiday("端午节", "Dragon Boat Festival", date!(2026 - 06 - 19), date!(2026 - 06 - 21)),
                    holiday("中秋节", "Mid-Autumn Festival", date!(2026 - 09 - 25), date!(2026 - 09 - 27)),
                    holiday("国庆节", "National Day", date!(2026 - 10 - 01), date!(2026 - 10 - 07)),
                ],
                make_up_working_days: vec![
                    date!(2026 - 01 - 04),
                    date!(2026 - 02 - 14),
                    date!(2026 - 02 - 28),
                    date!(2026 - 05 - 09),
                    date!(2026 - 09 - 20),
                    date!(2026 - 10 - 10),
                ],
            },
        ],
        statutory_periods: vec![
            period("answer", "答辩期", "Time to answer", 15, PeriodUnit::Days, "Civil Procedure Law (2023) Art. 128"),
            period(
                "appeal-judgment",
                "判决上诉期",
                "Appeal against a judgment",
                15,
                PeriodUnit::Days,
                "Civil Procedure Law (2023) Art. 171",
            ),
            period(
                "appeal-ruling",
                "裁定上诉期",
                "Appeal against a ruling",
                10,
                PeriodUnit::Days,
                "Civil Procedure Law (2023) Art. 171",
            ),
            period(
                "appeal-abroad",
                "境外当事人上诉期",
                "Appeal, party domiciled abroad",
                30,
                PeriodUnit::Days,
                "Civil Procedure Law (2023)",
            ),
            period(
                "payment-order-objection",
                "支付令异议期",
                "Objection to a payment order",
                15,
                PeriodUnit::Days,
                "Civil Procedure Law (2023)",
            ),
            period(
                "evidence",
                "举证期限（一审普通程序，最短）",
                "Time to produce evidence (first instance, minimum)",
                15,
                PeriodUnit::Days,
                "SPC Provisions on Evidence in Civil Procedures (2019) Art. 51",
            ),
            period(
                "fee-payment",
                "交纳诉讼费用期限",
                "Time to pay court fees",
                7,
                PeriodUnit::Days,
                "Measures on the Payment of Litigation Costs Art. 22",
            ),
            period(
                "public-notice",
                "公告送达期",
                "Service by public notice takes effect",
                30,
                PeriodUnit::Days,
                "Civil Procedure Law (2023)",
            ),
            period(
                "retrial",
                "申请再审期限",
                "Application for retrial",
                6,
                PeriodUnit::Months,
                "Civil Procedure Law (2023)",
            ),
            period(
                "enforcement",
                "申请执行期限",
                "Application for enforcement",
                2,
                PeriodUnit::Years,
                "Civil Procedure Law (2023)",
            ),
        ],
        hearing_platforms: vec![
            HearingPlatform {
                id: "court-room".into(),
                name: text("本院在线庭审室", "The court's online hearing room"),
                kind: HearingPlatformKind::CourtRoom,
            },
            HearingPlatform {
                id: "in-person".into(),
                name: text("线下法庭", "In person at the court"),
                kind: HearingPlatformKind::InPerson,
            },
        ],
        signing_keys: vec![key],
    }
}

/// `GET /v1/courts`
#[utoipa::path(get, path = "/v1/courts", tag = "policy",
    responses((status = 200, description = "Courts this server hosts", body = Vec<CourtSummary>)))]
pub(crate) async fn list_courts(State(state): State<CourtState>) -> axum::Json<Vec<CourtSummary>> {
    axum::Json(vec![state.policy.policy.court.clone()])
}

/// `GET /v1/courts/{court}/policy`
#[utoipa::path(get, path = "/v1/courts/{court}/policy", tag = "policy",
    params(("court" = String, Path, description = "Court id"),
           ("If-None-Match" = Option<String>, Header, description = "ETag of the copy the client holds")),
    responses(
        (status = 200, description = "The policy", body = CourtPolicy,
         headers(("ETag" = String, description = "Entity tag of this version"))),
        (status = 304, description = "The client's copy is current"),
        (status = 404, description = "No such court", body = courtside_court_api::Problem, content_type = "application/problem+json")))]
pub(crate) async fn get_policy(
    State(state): State<CourtState>,
    Path(court): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if court != state.court_id {
        return Err(ApiError::new(404, "unknown-court", "Not found", format!("this server hosts no court {court:?}")));
    }
    let published = &state.policy;
    let etag = HeaderValue::from_str(&published.etag).map_err(ApiError::internal)?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == published.etag || t.trim() == "*"));
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag), cache]).into_response());
    }
    Ok((
        [(header::ETAG, etag), cache, (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        published.json.clone(),
    )
        .into_response())
}
