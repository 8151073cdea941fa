//! [`Turnaround`]: an amount in a named unit, parsed once and bounded, so
//! the engine never sees a negative, fractional-day, sub-minute or absurd
//! amount. JSON shape: `{"amount": 2.5, "unit": "business_hours"}`.

use serde::{Deserialize, Serialize};

/// The unit of a turnaround (JSON: `business_hours`, `business_days`,
/// `calendar_hours`, `calendar_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnaroundUnit {
    /// Working time in the provider's calendar, minute precision.
    BusinessHours,
    /// Closes of working days in the provider's calendar.
    BusinessDays,
    /// Elapsed time, minute precision, no calendar.
    CalendarHours,
    /// Elapsed days of 24 hours, no calendar.
    CalendarDays,
}

impl TurnaroundUnit {
    /// True for the units measured in the calendar's working time.
    pub fn is_business(self) -> bool {
        matches!(self, Self::BusinessHours | Self::BusinessDays)
    }

    fn is_days(self) -> bool {
        matches!(self, Self::BusinessDays | Self::CalendarDays)
    }
}

/// Largest accepted amount in hours: 100 years of 24-hour days.
pub const MAX_HOURS: i64 = 876_600;
/// Largest accepted amount in days: 100 years.
pub const MAX_DAYS: i64 = 36_525;

/// Why an amount is not a valid turnaround (reported on field `amount`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TurnaroundError {
    /// NaN or infinite.
    #[error("amount must be a finite number")]
    NotFinite,
    /// Below zero.
    #[error("amount must not be negative")]
    Negative,
    /// An hours amount that is not a whole number of minutes.
    #[error("amount in hours must be a whole number of minutes (e.g. 1.25 = 1 h 15 min)")]
    NotWholeMinutes,
    /// A days amount that is not an integer.
    #[error("amount in days must be a whole number")]
    NotWholeDays,
    /// More than 100 years.
    #[error("amount must be at most {max} {unit}")]
    TooLarge {
        /// The bound.
        max: i64,
        /// `hours` or `days`.
        unit: &'static str,
    },
}

/// A validated turnaround: whole minutes for the hour units, whole days for
/// the day units, at most 100 years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "TurnaroundWire", into = "TurnaroundWire")]
pub struct Turnaround {
    unit: TurnaroundUnit,
    /// Minutes for hour units, days for day units.
    quantity: i64,
}

impl Turnaround {
    /// Parses `amount` in `unit`. Hours accept decimals that are a whole
    /// number of minutes (`amount * 60` within 1e-6 of an integer, so that the
    /// f64 of e.g. 70 minutes, 1.1666666666666667, round-trips); days must be
    /// integers.
    pub fn new(amount: f64, unit: TurnaroundUnit) -> Result<Self, TurnaroundError> {
        if !amount.is_finite() {
            return Err(TurnaroundError::NotFinite);
        }
        if amount < 0.0 {
            return Err(TurnaroundError::Negative);
        }
        // Checked before scaling so the conversion to i64 below is in range.
        let (max, unit_name, scale) = if unit.is_days() {
            (MAX_DAYS, "days", 1.0)
        } else {
            (MAX_HOURS, "hours", 60.0)
        };
        if amount > max as f64 {
            return Err(TurnaroundError::TooLarge {
                max,
                unit: unit_name,
            });
        }
        let scaled = amount * scale;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return Err(if unit.is_days() {
                TurnaroundError::NotWholeDays
            } else {
                TurnaroundError::NotWholeMinutes
            });
        }
        Ok(Self {
            unit,
            // In range: 0 <= rounded <= MAX_HOURS * 60.
            quantity: rounded as i64,
        })
    }

    /// A business-hours turnaround of whole minutes.
    pub fn business_minutes(minutes: u32) -> Result<Self, TurnaroundError> {
        Self::from_quantity(TurnaroundUnit::BusinessHours, i64::from(minutes))
    }

    /// A turnaround of whole days (`BusinessDays` or `CalendarDays`), or
    /// whole minutes for the hour units.
    pub fn from_quantity(unit: TurnaroundUnit, quantity: i64) -> Result<Self, TurnaroundError> {
        let max = if unit.is_days() {
            MAX_DAYS
        } else {
            MAX_HOURS * 60
        };
        if quantity < 0 {
            Err(TurnaroundError::Negative)
        } else if quantity > max {
            Err(TurnaroundError::TooLarge {
                max: if unit.is_days() { MAX_DAYS } else { MAX_HOURS },
                unit: if unit.is_days() { "days" } else { "hours" },
            })
        } else {
            Ok(Self { unit, quantity })
        }
    }

    /// The unit.
    pub fn unit(&self) -> TurnaroundUnit {
        self.unit
    }

    /// Whole minutes for the hour units, whole days for the day units.
    pub fn quantity(&self) -> i64 {
        self.quantity
    }

    /// The amount in its unit (hours or days), as given.
    pub fn amount(&self) -> f64 {
        if self.unit.is_days() {
            self.quantity as f64
        } else {
            self.quantity as f64 / 60.0
        }
    }

    /// The turnaround as seconds, for the units that are a fixed length
    /// (business and calendar hours; calendar days of 24 h). `None` for
    /// business days, whose length depends on the calendar.
    pub fn fixed_seconds(&self) -> Option<i64> {
        match self.unit {
            TurnaroundUnit::BusinessHours | TurnaroundUnit::CalendarHours => {
                Some(self.quantity * 60)
            }
            TurnaroundUnit::CalendarDays => Some(self.quantity * 86_400),
            TurnaroundUnit::BusinessDays => None,
        }
    }
}

/// JSON form; the amount is written as an integer when it is one.
#[derive(Serialize, Deserialize)]
struct TurnaroundWire {
    amount: Amount,
    unit: TurnaroundUnit,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Amount {
    Whole(i64),
    Decimal(f64),
}

impl TryFrom<TurnaroundWire> for Turnaround {
    type Error = TurnaroundError;

    fn try_from(wire: TurnaroundWire) -> Result<Self, Self::Error> {
        match wire.amount {
            Amount::Whole(n) if wire.unit.is_days() => Self::from_quantity(wire.unit, n),
            Amount::Whole(n) => {
                let minutes = n.checked_mul(60).ok_or(TurnaroundError::TooLarge {
                    max: MAX_HOURS,
                    unit: "hours",
                })?;
                Self::from_quantity(wire.unit, minutes)
            }
            Amount::Decimal(x) => Self::new(x, wire.unit),
        }
    }
}

impl From<Turnaround> for TurnaroundWire {
    fn from(t: Turnaround) -> Self {
        let amount = if t.unit.is_days() {
            Amount::Whole(t.quantity)
        } else if t.quantity % 60 == 0 {
            Amount::Whole(t.quantity / 60)
        } else {
            Amount::Decimal(t.amount())
        };
        Self {
            amount,
            unit: t.unit,
        }
    }
}
