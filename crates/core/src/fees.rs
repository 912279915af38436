//! Fee notices (缴费通知): listed with their case, their last day put on the case (so the
//! deadline reminders cover it), paid on the court's hosted payment page in the system
//! browser; the receipt shows once the change feed reports the payment.

use courtside_casework::cases::CaseDeadline;
use courtside_court_api::hearing::{FeeNotice, FeeStatus, PaymentSession};
use courtside_sync::feed;
use time::macros::format_description;

use crate::ipc::FeeNoticeView;
use crate::{App, AppError};

/// The `source` a fee's deadline carries on its case.
fn deadline_source(fee: &FeeNotice) -> String {
    format!("fee:{}", fee.id)
}

fn iso(d: time::Date) -> String {
    d.format(format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

/// Reads an amount typed in yuan with the one money parser (full-width digits and
/// thousands separators accepted), for the window to check a field as it is left.
#[must_use]
pub fn check_amount(text: &str) -> crate::ipc::AmountCheck {
    use crate::ipc::{AmountCheck, AmountProblem};
    use courtside_casework::money::{Fen, MoneyError};
    match Fen::parse_yuan(text) {
        Ok(fen) => AmountCheck::Valid { fen: fen.0, yuan: courtside_casework::templates::yuan(fen.0) },
        Err(e) => {
            let (problem, character) = match e {
                MoneyError::Empty => (AmountProblem::Empty, None),
                MoneyError::NotADigit { character } => (AmountProblem::NotADigit, Some(character.to_string())),
                MoneyError::TooManyDecimals => (AmountProblem::TooManyDecimals, None),
                MoneyError::Grouping => (AmountProblem::Grouping, None),
                MoneyError::TooLarge => (AmountProblem::TooLarge, None),
            };
            AmountCheck::Invalid { problem, character }
        }
    }
}

/// The period code of a fee notice's last day on its case.
pub const FEE_PERIOD: &str = "fee-payment";

impl App {
    /// Puts each unpaid fee's last day on its case (once), and takes it off once paid.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub(crate) fn absorb_fees(&self) -> Result<(), AppError> {
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let fees = feed::fees(&vault)?;
        self.with_open(|o| {
            let cases = o.cases.list()?;
            for fee in &fees {
                let Some(case) = cases.iter().find(|c| c.court_case.as_deref() == Some(fee.case_id.as_str())) else {
                    continue;
                };
                let source = deadline_source(fee);
                let on_case = case.deadlines.iter().find(|d| d.source.as_deref() == Some(source.as_str()));
                match (&fee.status, on_case) {
                    (FeeStatus::Unpaid, None) => {
                        o.cases.add_deadline(
                            &case.id,
                            CaseDeadline {
                                id: String::new(),
                                period: FEE_PERIOD.into(),
                                name_zh: "缴纳诉讼费".into(),
                                name_en: "Pay the court fee".into(),
                                from: String::new(),
                                last_day: iso(fee.due),
                                moved: false,
                                calendar_known: true,
                                note: format!(
                                    "{} · {} 元",
                                    fee.reason,
                                    courtside_casework::templates::yuan(fee.amount_fen)
                                ),
                                source: Some(source),
                            },
                        )?;
                    }
                    (FeeStatus::Paid { .. }, Some(d)) => {
                        o.cases.remove_deadline(&case.id, &d.id)?;
                    }
                    _ => {}
                }
            }
            Ok(())
        })
    }

    /// Every fee notice, soonest due first, with its local case and, once paid, the receipt.
    ///
    /// # Errors
    /// [`AppError::Locked`], the vault's error.
    pub fn fee_notices(&self) -> Result<Vec<FeeNoticeView>, AppError> {
        self.absorb_court_news()?;
        let vault = self.with_open(|o| Ok(o.drafts.vault()))?;
        let cases = self.with_open(|o| Ok(o.cases.list()?))?;
        Ok(feed::fees(&vault)?
            .into_iter()
            .map(|fee| {
                let local = cases.iter().find(|c| c.court_case.as_deref() == Some(fee.case_id.as_str()));
                let (paid_at, receipt_number) = match fee.status {
                    FeeStatus::Unpaid => (None, None),
                    FeeStatus::Paid { paid_at, receipt_number } => (
                        Some(paid_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()),
                        Some(receipt_number),
                    ),
                };
                FeeNoticeView {
                    id: fee.id,
                    local_case: local.map(|c| c.id.clone()),
                    case_title: local.map(|c| c.fields.title.clone()),
                    court_case: fee.case_id,
                    amount_fen: fee.amount_fen,
                    reason: fee.reason,
                    due: iso(fee.due),
                    paid_at,
                    receipt_number,
                }
            })
            .collect())
    }

    /// Opens the court's payment page for a fee with `open` (the system browser); returns its
    /// address. The payment itself happens on the court's page; the receipt arrives through
    /// the change feed.
    ///
    /// # Errors
    /// [`AppError::InvalidInput`] for a bad id or an unusable page address; [`AppError::Sync`]
    /// when the court refuses (already paid) or cannot be reached.
    pub async fn pay_fee(
        &self,
        fee: &str,
        open: impl FnOnce(&url::Url) -> Result<(), AppError>,
    ) -> Result<String, AppError> {
        if !feed::is_court_id(fee) {
            return Err(AppError::InvalidInput("not a fee id".into()));
        }
        let (court, token) = self.as_account().await?;
        let session: PaymentSession = court.litigant(&token).start_payment(fee).await?;
        let page = self.court_page(&session.payment_url, "payment page")?;
        open(&page)?;
        Ok(page.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::check_amount;
    use crate::ipc::{AmountCheck, AmountProblem};

    #[test]
    fn amounts_typed_in_a_field_are_read_by_the_one_parser() {
        assert_eq!(check_amount("５０，０００"), AmountCheck::Valid { fen: 5_000_000, yuan: "50000".into() });
        assert_eq!(check_amount(" ¥2,300.50 "), AmountCheck::Valid { fen: 230_050, yuan: "2300.50".into() });
        assert_eq!(
            check_amount("12abc"),
            AmountCheck::Invalid { problem: AmountProblem::NotADigit, character: Some("a".into()) }
        );
        assert_eq!(check_amount(""), AmountCheck::Invalid { problem: AmountProblem::Empty, character: None });
        assert_eq!(
            check_amount("1.234"),
            AmountCheck::Invalid { problem: AmountProblem::TooManyDecimals, character: None }
        );
        assert_eq!(
            check_amount("1,50,000"),
            AmountCheck::Invalid { problem: AmountProblem::Grouping, character: None }
        );
    }
}
