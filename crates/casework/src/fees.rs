//! Litigation fees from a court's fee schedule (诉讼费用交纳办法), with the working shown
//! tier by tier, as a lawyer checks it.
//!
//! Amounts are computed exactly in hundredths of a fen and rounded once, at the end, by the
//! court's rounding rule.

use courtside_court_api::policy::{CaseType, FeeBasis, FeeSchedule, HalvingReason, Rounding, TieredFee};
use serde::Serialize;

/// One line of the working: the part of the amount in one tier and what it costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeLine {
    /// Lower bound of the part, fen.
    pub from_fen: u64,
    /// Upper bound of the part, fen.
    pub to_fen: u64,
    /// Flat amount of the tier, fen.
    pub fixed_fen: u64,
    /// Rate on the part, basis points.
    pub rate_bp: u32,
    /// What the line adds, in hundredths of a fen (exact).
    pub amount_centifen: u128,
}

/// An adjustment after the tiers (halving, payment-order third, cap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Adjustment {
    /// Halved for this reason.
    Halved(HalvingReason),
    /// A fraction of the fee (payment order: one third).
    Fraction(u32, u32),
    /// Capped at this amount, fen.
    Capped(u64),
    /// A property part added to a fixed fee (e.g. divorce over 200,000 yuan), in hundredths
    /// of a fen.
    PropertyPart(u128),
}

/// A computed fee with its working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeWorking {
    /// Tier by tier (empty for a fixed fee).
    pub lines: Vec<FeeLine>,
    /// After the tiers, hundredths of a fen.
    pub subtotal_centifen: u128,
    /// What changed it after the tiers, in order.
    pub adjustments: Vec<Adjustment>,
    /// The fee, fen, rounded by the court's rule.
    pub total_fen: u64,
}

/// Why a fee cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeError {
    /// The case type's fee depends on the amount, and none was given.
    #[error("case type {0} needs the amount in controversy")]
    AmountRequired(String),
    /// The schedule does not halve for this reason.
    #[error("this court's schedule does not halve the fee for {0:?}")]
    NoSuchHalving(HalvingReason),
    /// The schedule's tiers are not in ascending order or do not end unbounded.
    #[error("the fee schedule is malformed: {0}")]
    Schedule(String),
}

/// A fee computed by tiers on `amount_fen`, before any adjustment.
///
/// # Errors
/// [`FeeError::Schedule`] for tiers out of order.
pub fn tiered(fee: &TieredFee, amount_fen: u64) -> Result<FeeWorking, FeeError> {
    let mut lines = Vec::new();
    let mut lower = 0u64;
    for (i, tier) in fee.tiers.iter().enumerate() {
        let upper = match tier.up_to_fen {
            Some(u) if u <= lower && i > 0 => return Err(FeeError::Schedule(format!("tier {i} does not rise"))),
            Some(u) => u,
            None if i + 1 == fee.tiers.len() => u64::MAX,
            None => return Err(FeeError::Schedule(format!("tier {i} is unbounded but not last"))),
        };
        // The first tier applies to every amount (its flat fee is "per case"); a later one
        // only to an amount reaching into it.
        if i > 0 && amount_fen <= lower {
            break;
        }
        let part = amount_fen.min(upper) - lower.min(amount_fen);
        let amount = u128::from(tier.fixed_fen) * 100 + u128::from(part) * u128::from(tier.rate_bp) / 100;
        lines.push(FeeLine {
            from_fen: lower,
            to_fen: amount_fen.min(upper),
            fixed_fen: tier.fixed_fen,
            rate_bp: tier.rate_bp,
            amount_centifen: amount,
        });
        if amount_fen <= upper {
            break;
        }
        lower = upper;
    }
    if fee.tiers.last().is_some_and(|t| t.up_to_fen.is_some()) {
        return Err(FeeError::Schedule("the last tier must be unbounded".into()));
    }
    let subtotal: u128 = lines.iter().map(|l| l.amount_centifen).sum();
    let mut working = FeeWorking { lines, subtotal_centifen: subtotal, adjustments: Vec::new(), total_fen: 0 };
    if let Some(cap) = fee.cap_fen
        && subtotal > u128::from(cap) * 100
    {
        working.adjustments.push(Adjustment::Capped(cap));
    }
    Ok(working)
}

/// Applies the adjustments in order to the subtotal and rounds.
fn finish(mut working: FeeWorking, rounding: Rounding) -> FeeWorking {
    let mut value = working.subtotal_centifen;
    for a in &working.adjustments {
        value = match *a {
            Adjustment::Halved(_) => value / 2 + value % 2,
            Adjustment::Fraction(n, d) => (value * u128::from(n)).div_ceil(u128::from(d.max(1))),
            Adjustment::Capped(cap) => value.min(u128::from(cap) * 100),
            Adjustment::PropertyPart(extra) => value + extra,
        };
    }
    let unit: u128 = match rounding {
        Rounding::Fen => 100,
        Rounding::Yuan => 10_000,
    };
    let rounded = (value + unit / 2) / unit * unit / 100;
    working.total_fen = u64::try_from(rounded).unwrap_or(u64::MAX);
    working
}

/// The acceptance fee of a case (案件受理费) of `case_type`, halved for `halvings`.
///
/// # Errors
/// [`FeeError`] when the amount is missing for a property case or a halving is unknown.
pub fn acceptance_fee(
    schedule: &FeeSchedule,
    case_type: &CaseType,
    amount_fen: Option<u64>,
    halvings: &[HalvingReason],
) -> Result<FeeWorking, FeeError> {
    let mut working = match &case_type.fee_basis {
        FeeBasis::Property => {
            let amount = amount_fen.ok_or_else(|| FeeError::AmountRequired(case_type.code.clone()))?;
            tiered(&schedule.property, amount)?
        }
        FeeBasis::Fixed { fee_fen, extra_above_fen, extra_rate_bp } => {
            let mut w = FeeWorking {
                lines: Vec::new(),
                subtotal_centifen: u128::from(*fee_fen) * 100,
                adjustments: Vec::new(),
                total_fen: 0,
            };
            if let (Some(above), Some(rate), Some(amount)) = (extra_above_fen, extra_rate_bp, amount_fen)
                && amount > *above
            {
                w.adjustments.push(Adjustment::PropertyPart(u128::from(amount - above) * u128::from(*rate) / 100));
            }
            w
        }
    };
    for reason in halvings {
        if !schedule.halved_for.contains(reason) {
            return Err(FeeError::NoSuchHalving(*reason));
        }
    }
    // Two halving reasons halve twice only where the schedule says so (a policy setting).
    let applied = if schedule.halvings_stack { halvings.len() } else { halvings.len().min(1) };
    working.adjustments.extend(halvings.iter().take(applied).map(|r| Adjustment::Halved(*r)));
    Ok(finish(working, schedule.rounding))
}

/// The fee for a payment order (Art. 14(3)): a fraction of the property fee.
///
/// # Errors
/// [`FeeError::Schedule`].
pub fn payment_order_fee(schedule: &FeeSchedule, amount_fen: u64) -> Result<FeeWorking, FeeError> {
    let mut working = tiered(&schedule.property, amount_fen)?;
    let [n, d] = schedule.payment_order_fraction;
    working.adjustments.push(Adjustment::Fraction(n, d));
    Ok(finish(working, schedule.rounding))
}

/// The fee for property preservation (Art. 14(2)).
///
/// # Errors
/// [`FeeError::Schedule`].
pub fn preservation_fee(schedule: &FeeSchedule, amount_fen: u64) -> Result<FeeWorking, FeeError> {
    Ok(finish(tiered(&schedule.preservation, amount_fen)?, schedule.rounding))
}

/// The fee for enforcement (Art. 14(1)).
///
/// # Errors
/// [`FeeError::Schedule`].
pub fn enforcement_fee(schedule: &FeeSchedule, amount_fen: u64) -> Result<FeeWorking, FeeError> {
    Ok(finish(tiered(&schedule.enforcement, amount_fen)?, schedule.rounding))
}
