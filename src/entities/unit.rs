//! The unit of a stored turnaround or lead time, as its column holds it.
//!
//! The pure time core has its own [`TurnaroundUnit`] and knows nothing of
//! the database; this is its stored twin, converted both ways without loss.

use sea_orm::entity::prelude::*;

use crate::time::TurnaroundUnit;

closed_set! {
    /// `business_hours | business_days | calendar_hours | calendar_days`.
    pub enum Unit {
        BusinessHours = "business_hours",
        BusinessDays = "business_days",
        CalendarHours = "calendar_hours",
        CalendarDays = "calendar_days",
    }
}

impl From<TurnaroundUnit> for Unit {
    fn from(unit: TurnaroundUnit) -> Self {
        match unit {
            TurnaroundUnit::BusinessHours => Unit::BusinessHours,
            TurnaroundUnit::BusinessDays => Unit::BusinessDays,
            TurnaroundUnit::CalendarHours => Unit::CalendarHours,
            TurnaroundUnit::CalendarDays => Unit::CalendarDays,
        }
    }
}

impl From<Unit> for TurnaroundUnit {
    fn from(unit: Unit) -> Self {
        match unit {
            Unit::BusinessHours => TurnaroundUnit::BusinessHours,
            Unit::BusinessDays => TurnaroundUnit::BusinessDays,
            Unit::CalendarHours => TurnaroundUnit::CalendarHours,
            Unit::CalendarDays => TurnaroundUnit::CalendarDays,
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn every_unit_survives_the_round_trip_through_its_column_and_the_time_core() {
        for unit in Unit::iter() {
            let core: TurnaroundUnit = unit.into();
            assert_eq!(Unit::from(core), unit);
            let json = serde_json_name(core);
            assert_eq!(unit.to_value(), json, "the column holds the JSON name");
            assert_eq!(unit.as_str(), json);
        }
    }

    fn serde_json_name(unit: TurnaroundUnit) -> String {
        serde_json::to_value(unit)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}
