//! Court policy (`GET /v1/courts/{court}/policy`, ECF 5 "Court Policy"): everything the
//! client needs to prepare and check a filing offline. Served with an `ETag`; the client
//! keeps the last copy and revalidates with `If-None-Match`.
//!
//! Money is in fen (0.01 yuan) as integers; rates are in basis points (0.01 %).

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

/// A court the server hosts (`GET /v1/courts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourtSummary {
    /// Identifier used in paths, e.g. `demo-basic`.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Text in the two languages the client ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LocalizedText {
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    /// English.
    pub en: String,
}

impl LocalizedText {
    /// Both texts.
    #[must_use]
    pub fn new(zh_cn: &str, en: &str) -> Self {
        Self { zh_cn: zh_cn.to_owned(), en: en.to_owned() }
    }
}

/// The whole policy of one court.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourtPolicy {
    /// Which court.
    pub court: CourtSummary,
    /// Policy version; changes whenever any rule changes.
    pub version: String,
    /// Kinds of case the court accepts online.
    pub case_types: Vec<CaseType>,
    /// File formats accepted for documents and evidence.
    pub accepted_formats: Vec<AcceptedFormat>,
    /// Largest single file, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of one filing's files, in bytes.
    pub max_filing_bytes: u64,
    /// Litigation fees (诉讼费用交纳办法).
    pub fee_schedule: FeeSchedule,
    /// Rest days and make-up working days, by year.
    pub calendar: Vec<CalendarYear>,
    /// Time limits the law sets.
    pub statutory_periods: Vec<StatutoryPeriod>,
    /// Where hearings take place.
    pub hearing_platforms: Vec<HearingPlatform>,
    /// Keys the court signs receipts and ID tokens with.
    pub signing_keys: Vec<CourtKey>,
}

/// One kind of case and what filing it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaseType {
    /// Identifier, e.g. `civil-contract`.
    pub code: String,
    /// Display name.
    pub name: LocalizedText,
    /// How the fee is computed.
    pub fee_basis: FeeBasis,
    /// Whether the amount in controversy must be stated.
    pub amount_required: bool,
    /// Documents a new-case filing of this type must contain.
    pub required_documents: Vec<RequiredDocument>,
}

/// How a case type's acceptance fee is computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum FeeBasis {
    /// From the amount in controversy by the property tiers.
    Property,
    /// A fixed fee (the court's amount inside the national range).
    Fixed {
        /// Fee in fen.
        fee_fen: u64,
        /// Property above this amount (fen) adds `extraRateBp` (e.g. divorce: 0.5 % over
        /// 200,000 yuan).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra_above_fen: Option<u64>,
        /// Rate on the part above `extraAboveFen`, basis points.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extra_rate_bp: Option<u32>,
    },
}

/// A document a filing must contain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequiredDocument {
    /// Identifier the manifest's documents name in `kind`, e.g. `complaint`.
    pub kind: String,
    /// Display name.
    pub name: LocalizedText,
}

/// An accepted file format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedFormat {
    /// Media type, e.g. `application/pdf`.
    pub media_type: String,
    /// File name extensions, lowercase without the dot.
    pub extensions: Vec<String>,
}

/// The fee schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeeSchedule {
    /// ISO 4217 currency; `CNY`.
    pub currency: String,
    /// Property-case acceptance fee, cumulative tiers (Art. 13(1)).
    pub property: TieredFee,
    /// Application for property preservation (Art. 14(2)).
    pub preservation: TieredFee,
    /// Application for enforcement (Art. 14(1)).
    pub enforcement: TieredFee,
    /// Payment order: this fraction of the property fee (Art. 14(3)), numerator/denominator.
    pub payment_order_fraction: [u32; 2],
    /// Situations in which the fee is halved (Arts. 15, 16, 18).
    pub halved_for: Vec<HalvingReason>,
    /// Whether two halvings apply together (a quarter) or only one.
    pub halvings_stack: bool,
    /// How computed amounts are rounded.
    pub rounding: Rounding,
    /// Days to pay after a fee notice (Art. 22).
    pub payment_days: u32,
}

/// A fee computed tier by tier on a money amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TieredFee {
    /// Tiers in ascending order; the last has no upper bound.
    pub tiers: Vec<FeeTier>,
    /// Largest fee, in fen, if capped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap_fen: Option<u64>,
}

/// One tier: the part of the amount up to `upToFen` (from the previous tier's bound) pays
/// `fixedFen` plus `rateBp` of that part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeeTier {
    /// Upper bound of the tier in fen; `null` for the last tier.
    pub up_to_fen: Option<u64>,
    /// Flat amount for reaching this tier (e.g. 50 yuan for the first 10,000).
    pub fixed_fen: u64,
    /// Rate on the part of the amount in this tier, basis points (250 = 2.5 %).
    pub rate_bp: u32,
}

/// Why a fee is halved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum HalvingReason {
    /// Settled by mediation (Art. 15).
    MediatedSettlement,
    /// Withdrawn (Art. 15).
    Withdrawal,
    /// Simple procedure (Art. 16).
    SimpleProcedure,
    /// Counterclaim or a third party's independent claim (Art. 18).
    Counterclaim,
}

/// Rounding of computed fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Rounding {
    /// To the fen, half up.
    Fen,
    /// To the yuan, half up.
    Yuan,
}

/// One year's official rest days (the State Council's holiday notice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarYear {
    /// The year.
    pub year: i32,
    /// Public holidays (each a run of rest days, weekends inside included).
    pub holidays: Vec<Holiday>,
    /// Weekend days that are working days (调休).
    #[schema(value_type = Vec<String>, format = Date)]
    #[serde(with = "iso_dates")]
    pub make_up_working_days: Vec<Date>,
}

/// A public holiday period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Holiday {
    /// Name of the holiday.
    pub name: LocalizedText,
    /// First rest day.
    #[schema(value_type = String, format = Date)]
    #[serde(with = "iso_date")]
    pub first: Date,
    /// Last rest day.
    #[schema(value_type = String, format = Date)]
    #[serde(with = "iso_date")]
    pub last: Date,
}

/// A statutory time limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatutoryPeriod {
    /// Identifier, e.g. `appeal-judgment`.
    pub code: String,
    /// Display name.
    pub name: LocalizedText,
    /// Length of the period.
    pub length: u32,
    /// Unit of `length`.
    pub unit: PeriodUnit,
    /// Legal basis, e.g. "Civil Procedure Law (2023) Art. 171".
    pub basis: String,
}

/// Unit of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PeriodUnit {
    /// Calendar days.
    Days,
    /// Months (ends on the corresponding day, or the month's last day).
    Months,
    /// Years.
    Years,
}

/// A place hearings happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HearingPlatform {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: LocalizedText,
    /// The court's own WebRTC room, or an external platform opened by link.
    pub kind: HearingPlatformKind,
}

/// Kind of hearing platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum HearingPlatformKind {
    /// The court's WebRTC room (join token from the court).
    CourtRoom,
    /// An external video platform opened with the system handler.
    External,
    /// In person at the court.
    InPerson,
}

/// A public key of the court.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CourtKey {
    /// Key id, as named in signed envelopes and JWT headers.
    pub key_id: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// Raw 32-byte public key, base64url without padding.
    pub public_key: String,
}

/// `YYYY-MM-DD` dates.
pub mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;
    use time::macros::format_description;

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    /// Writes `YYYY-MM-DD`.
    ///
    /// # Errors
    /// Never for dates in years 0–9999.
    pub fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&date.format(FORMAT).map_err(serde::ser::Error::custom)?)
    }

    /// Reads `YYYY-MM-DD`.
    ///
    /// # Errors
    /// Anything else.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }

    /// `YYYY-MM-DD`.
    #[must_use]
    pub fn format(date: Date) -> String {
        date.format(FORMAT).unwrap_or_default()
    }

    /// Parses `YYYY-MM-DD`.
    ///
    /// # Errors
    /// When the text is not such a date.
    pub fn parse(text: &str) -> Result<Date, time::error::Parse> {
        Date::parse(text, FORMAT)
    }
}

/// Lists of `YYYY-MM-DD` dates.
pub mod iso_dates {
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    /// Writes a list of `YYYY-MM-DD`.
    ///
    /// # Errors
    /// Never for dates in years 0–9999.
    pub fn serialize<S: Serializer>(dates: &[Date], s: S) -> Result<S::Ok, S::Error> {
        struct One<'a>(&'a Date);
        impl serde::Serialize for One<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                super::iso_date::serialize(self.0, s)
            }
        }
        let mut seq = s.serialize_seq(Some(dates.len()))?;
        for d in dates {
            seq.serialize_element(&One(d))?;
        }
        seq.end()
    }

    /// Reads a list of `YYYY-MM-DD`.
    ///
    /// # Errors
    /// Any element that is not such a date.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Date>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| super::iso_date::parse(s).map_err(serde::de::Error::custom))
            .collect()
    }
}
