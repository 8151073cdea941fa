//! Levels of service: how well one delivery served its internal customer,
//! on the ladder of the practices Baton is built on — satisfy, exceed,
//! delight, amaze — with *missed* below it. Pure: the facts are read at
//! delivery (and again when the delivery is rated or thanked for) and the
//! level is stored on the request for the reports to count.
//!
//! The definition, exactly (also in `docs/product.md`):
//!
//! - **missed**: delivered after its due, or rated 4 or lower. A late
//!   delivery is missed whatever its rating: the promise was the due.
//! - **amazed**: on time, rated 10, and thanked for.
//! - **delighted**: on time and rated 9 or 10 (a 10 without thanks).
//! - **exceeded**: on time, and delivered in at most half the agreed time:
//!   the time taken from the clock start, pauses excluded, is no more than
//!   half the time the agreement gave (both in the agreement's own measure:
//!   working time of the provider's calendar for business units, elapsed
//!   time for calendar units). Exactly half counts.
//! - **satisfied**: on time, and none of the above.
//!
//! Each delivery has exactly one level, the highest it reaches, so the
//! shares of a provider's deliveries at each level add up to 100 %. Rated
//! 5 to 8 does not lower an on-time delivery: it stays satisfied or
//! exceeded.

use crate::entities::request::ServiceLevel;

/// What a delivery's level is decided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelFacts {
    pub on_time: bool,
    /// Time taken from the clock start to the delivery, pauses excluded.
    pub used_seconds: i64,
    /// Time the agreement gave, in the same measure.
    pub agreed_seconds: i64,
    pub rating: Option<i32>,
    pub thanked: bool,
}

/// The rating at or below which a delivery is missed.
pub const MISSED_AT_OR_BELOW: i32 = 4;
/// The rating from which an on-time delivery delights.
pub const DELIGHTED_FROM: i32 = 9;

/// The level of a delivery with `facts`.
pub fn level(facts: LevelFacts) -> ServiceLevel {
    let rating = facts.rating;
    if !facts.on_time || rating.is_some_and(|score| score <= MISSED_AT_OR_BELOW) {
        ServiceLevel::Missed
    } else if rating == Some(10) && facts.thanked {
        ServiceLevel::Amazed
    } else if rating.is_some_and(|score| score >= DELIGHTED_FROM) {
        ServiceLevel::Delighted
    } else if facts.used_seconds.saturating_mul(2) <= facts.agreed_seconds {
        ServiceLevel::Exceeded
    } else {
        ServiceLevel::Satisfied
    }
}

/// The level of delivered request `row` once rated `rating` and
/// `thanked` (none before its delivery's facts are known).
pub fn of_row(
    row: &crate::entities::request::Model,
    rating: Option<i32>,
    thanked: bool,
) -> Option<ServiceLevel> {
    Some(level(LevelFacts {
        on_time: row.on_time?,
        used_seconds: row.used_seconds?,
        agreed_seconds: row.agreed_seconds?,
        rating,
        thanked,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(
        on_time: bool,
        used: i64,
        agreed: i64,
        rating: Option<i32>,
        thanked: bool,
    ) -> LevelFacts {
        LevelFacts {
            on_time,
            used_seconds: used,
            agreed_seconds: agreed,
            rating,
            thanked,
        }
    }

    #[test]
    fn exactly_half_the_agreed_time_exceeds_and_a_second_more_only_satisfies() {
        assert_eq!(
            level(facts(true, 3600, 7200, None, false)),
            ServiceLevel::Exceeded
        );
        assert_eq!(
            level(facts(true, 3601, 7200, None, false)),
            ServiceLevel::Satisfied
        );
        // An odd agreed time: half of 7201 s is 3600.5 s.
        assert_eq!(
            level(facts(true, 3600, 7201, None, false)),
            ServiceLevel::Exceeded
        );
        assert_eq!(
            level(facts(true, 3601, 7201, None, false)),
            ServiceLevel::Satisfied
        );
    }

    #[test]
    fn a_nine_delights_an_eight_does_not_and_a_four_misses() {
        assert_eq!(
            level(facts(true, 7000, 7200, Some(9), false)),
            ServiceLevel::Delighted
        );
        assert_eq!(
            level(facts(true, 7000, 7200, Some(8), false)),
            ServiceLevel::Satisfied
        );
        assert_eq!(
            level(facts(true, 100, 7200, Some(8), false)),
            ServiceLevel::Exceeded
        );
        assert_eq!(
            level(facts(true, 100, 7200, Some(5), false)),
            ServiceLevel::Exceeded
        );
        assert_eq!(
            level(facts(true, 100, 7200, Some(4), true)),
            ServiceLevel::Missed
        );
    }

    #[test]
    fn late_is_missed_even_when_rated_ten_and_thanked() {
        assert_eq!(
            level(facts(false, 9000, 7200, Some(10), true)),
            ServiceLevel::Missed
        );
        assert_eq!(
            level(facts(false, 9000, 7200, None, false)),
            ServiceLevel::Missed
        );
    }

    #[test]
    fn a_ten_amazes_only_with_thanks() {
        assert_eq!(
            level(facts(true, 7000, 7200, Some(10), true)),
            ServiceLevel::Amazed
        );
        assert_eq!(
            level(facts(true, 7000, 7200, Some(10), false)),
            ServiceLevel::Delighted
        );
        assert_eq!(
            level(facts(true, 7000, 7200, Some(9), true)),
            ServiceLevel::Delighted
        );
        assert_eq!(
            level(facts(true, 7000, 7200, None, true)),
            ServiceLevel::Satisfied
        );
    }

    /// Every combination on a grid around the boundaries against the
    /// definition read as separate rules, highest first.
    #[test]
    fn every_combination_gets_the_highest_level_it_reaches() {
        for on_time in [false, true] {
            for used in [0, 3599, 3600, 3601, 7200, 9000] {
                for rating in [None, Some(1), Some(4), Some(5), Some(8), Some(9), Some(10)] {
                    for thanked in [false, true] {
                        let got = level(facts(on_time, used, 7200, rating, thanked));
                        let missed = !on_time || rating.is_some_and(|r| r <= 4);
                        let amazed = !missed && rating == Some(10) && thanked;
                        let delighted = !missed && rating.is_some_and(|r| r >= 9);
                        let exceeded = !missed && used * 2 <= 7200;
                        let expected = if missed {
                            ServiceLevel::Missed
                        } else if amazed {
                            ServiceLevel::Amazed
                        } else if delighted {
                            ServiceLevel::Delighted
                        } else if exceeded {
                            ServiceLevel::Exceeded
                        } else {
                            ServiceLevel::Satisfied
                        };
                        assert_eq!(got, expected, "{on_time} {used} {rating:?} {thanked}");
                    }
                }
            }
        }
    }
}
