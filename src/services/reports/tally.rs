//! The counts a report is rolled up from and their exact arithmetic:
//! nearest-rank percentiles over a lateness histogram, percentages, and
//! delivery-weighted targets. No database here: [`super::queries`] fills
//! the tallies.

use std::collections::BTreeMap;

use super::Figures;
use crate::entities::request::ServiceLevel;

/// Counts for one agreement in one period, before any roll-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Tally {
    pub delivered: i64,
    pub on_time: i64,
    pub early: i64,
    pub rated: i64,
    pub rating_sum: i64,
    /// Lateness in working minutes → how many deliveries had it.
    pub lateness: BTreeMap<i64, i64>,
    pub open: i64,
    pub overdue: i64,
    /// Deliveries at each level of service, in [`LEVELS`] order.
    pub levels: [i64; 5],
}

/// The levels of service in the order the figures give them.
pub(super) const LEVELS: [ServiceLevel; 5] = [
    ServiceLevel::Missed,
    ServiceLevel::Satisfied,
    ServiceLevel::Exceeded,
    ServiceLevel::Delighted,
    ServiceLevel::Amazed,
];

impl Tally {
    /// Adds another tally (another agreement of the same group).
    pub fn absorb(&mut self, other: &Tally) {
        self.delivered += other.delivered;
        self.on_time += other.on_time;
        self.early += other.early;
        self.rated += other.rated;
        self.rating_sum += other.rating_sum;
        for (&minutes, &count) in &other.lateness {
            *self.lateness.entry(minutes).or_default() += count;
        }
        self.open += other.open;
        self.overdue += other.overdue;
        for (mine, theirs) in self.levels.iter_mut().zip(other.levels) {
            *mine += theirs;
        }
    }

    /// Nearest-rank percentile of the lateness values: the value at rank
    /// ⌈p·n/100⌉ in ascending order (so the median of an even count is the
    /// lower middle value); `None` without deliveries.
    pub fn lateness_percentile(&self, percent: i64) -> Option<i64> {
        if self.delivered <= 0 {
            return None;
        }
        // ⌈p·n/100⌉ in integers, never below rank 1.
        let rank = ((percent * self.delivered + 99) / 100).max(1);
        let mut seen = 0;
        for (&minutes, &count) in &self.lateness {
            seen += count;
            if seen >= rank {
                return Some(minutes);
            }
        }
        self.lateness.keys().next_back().copied()
    }

    /// The figures of this tally against a target: `weighted_target` is
    /// Σ target × deliveries over the agreements rolled up; `plain_target`
    /// the target to show when nothing was delivered.
    pub fn figures(&self, weighted_target: i64, plain_target: Option<f64>) -> Figures {
        let delivered = self.delivered;
        let levelled: i64 = self.levels.iter().sum();
        let share = |count: i64| {
            (levelled > 0).then(|| round_to(count as f64 * 100.0 / levelled as f64, 1))
        };
        let [missed, satisfied, exceeded, delighted, amazed] = self.levels;
        let target_pct = if delivered > 0 {
            Some(round_to(weighted_target as f64 / delivered as f64, 1))
        } else {
            plain_target.map(|target| round_to(target, 1))
        };
        Figures {
            delivered,
            on_time: self.on_time,
            early: self.early,
            late: delivered - self.on_time,
            on_time_pct: (delivered > 0)
                .then(|| round_to(self.on_time as f64 * 100.0 / delivered as f64, 1)),
            target_pct,
            // Exact: on_time / delivered × 100 ≥ Σ tᵢdᵢ / delivered.
            meets_target: (delivered > 0).then_some(self.on_time * 100 >= weighted_target),
            median_lateness_minutes: self.lateness_percentile(50),
            p90_lateness_minutes: self.lateness_percentile(90),
            open: self.open,
            overdue: self.overdue,
            avg_rating: (self.rated > 0)
                .then(|| round_to(self.rating_sum as f64 / self.rated as f64, 2)),
            rated: self.rated,
            missed,
            satisfied,
            exceeded,
            delighted,
            amazed,
            missed_pct: share(missed),
            satisfied_pct: share(satisfied),
            exceeded_pct: share(exceeded),
            delighted_pct: share(delighted),
            amazed_pct: share(amazed),
        }
    }
}

/// Rounds half away from zero to `places` decimals.
pub(super) fn round_to(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

/// Rolls the tallies of several agreements up into one, with the target
/// weights the figures need.
#[derive(Debug, Default, Clone)]
pub(super) struct RollUp {
    pub tally: Tally,
    weighted_target: i64,
    target_sum: i64,
    agreements: i64,
}

impl RollUp {
    pub fn add(&mut self, tally: &Tally, target_pct: i64) {
        self.tally.absorb(tally);
        self.weighted_target += target_pct * tally.delivered;
        self.target_sum += target_pct;
        self.agreements += 1;
    }

    /// The figures of the roll-up; with nothing delivered the target shown
    /// is the plain mean of the agreements' targets, or `fallback` when no
    /// agreement was rolled up at all (an empty week of a trend).
    pub fn figures(&self, fallback: Option<f64>) -> Figures {
        let plain = if self.agreements > 0 {
            Some(self.target_sum as f64 / self.agreements as f64)
        } else {
            fallback
        };
        self.tally.figures(self.weighted_target, plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally_of(values: &[i64]) -> Tally {
        let mut tally = Tally::default();
        for &value in values {
            tally.delivered += 1;
            *tally.lateness.entry(value).or_default() += 1;
        }
        tally
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let tally = tally_of(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(tally.lateness_percentile(50), Some(5));
        assert_eq!(tally.lateness_percentile(90), Some(9));
        let tally = tally_of(&[-30, 0, 0, 120]);
        assert_eq!(tally.lateness_percentile(50), Some(0));
        assert_eq!(tally.lateness_percentile(90), Some(120));
        assert_eq!(tally_of(&[7]).lateness_percentile(90), Some(7));
        assert_eq!(tally_of(&[]).lateness_percentile(50), None);
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(tally_of(&eleven).lateness_percentile(90), Some(10));
    }

    #[test]
    fn targets_are_weighted_by_deliveries() {
        let mut roll = RollUp::default();
        let mut three = tally_of(&[0, 0, 0]);
        three.on_time = 3;
        roll.add(&three, 90);
        roll.add(&tally_of(&[60]), 50);
        let figures = roll.figures(None);
        assert_eq!(figures.target_pct, Some(80.0));
        assert_eq!(figures.on_time_pct, Some(75.0));
        assert_eq!(figures.meets_target, Some(false));
        assert_eq!(figures.late, 1);
    }
}
