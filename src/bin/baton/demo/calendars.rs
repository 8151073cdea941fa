//! The demo's office calendars: five zones (Berlin, New York, Bengaluru,
//! Sydney, Kathmandu), split days, a half Saturday, a Sunday-to-Friday week,
//! and the public holidays of the years around the moment of loading.

use chrono::{Datelike, NaiveDate, Weekday};

use baton::identity::AuthUser;
use baton::services::calendars::{self, CalendarInput, Holiday, WeeklyHours};

use super::DemoError;

/// The calendars a department can work by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Office {
    /// The organisation's default, Monday to Friday 09:00–17:00 in Berlin.
    Default,
    Berlin,
    NewYork,
    Bengaluru,
    Sydney,
    Kathmandu,
}

/// The calendars created beside the default one.
pub(crate) const CREATED: [Office; 5] = [
    Office::Berlin,
    Office::NewYork,
    Office::Bengaluru,
    Office::Sydney,
    Office::Kathmandu,
];

/// The organisation's own time zone (its default calendar's).
pub(crate) const HOME_ZONE: &str = "Europe/Berlin";

/// Creates one office's calendar and answers its id.
pub(crate) async fn create(
    db: &sea_orm::DatabaseConnection,
    admin: &AuthUser,
    office: Office,
    year: i32,
) -> Result<i64, DemoError> {
    let input = definition(office, year)
        .ok_or_else(|| DemoError::new(format!("{office:?} is not created by the demo")))?;
    Ok(calendars::create(db, admin, input).await?.id)
}

fn ranges(pairs: &[(&str, &str)]) -> Vec<[String; 2]> {
    pairs
        .iter()
        .map(|(start, end)| [(*start).to_owned(), (*end).to_owned()])
        .collect()
}

/// The calendar of `office`, with holidays of the year before, of and after
/// `year` so that the whole history and the coming months are covered.
fn definition(office: Office, year: i32) -> Option<CalendarInput> {
    let years = (year - 1)..=(year + 1);
    let (name, timezone, weekly, holidays): (&str, &str, WeeklyHours, Vec<Holiday>) = match office {
        Office::Default => return None,
        Office::Berlin => {
            // A long lunch break and an early Friday: a split working day.
            let day = ranges(&[("08:30", "12:30"), ("13:30", "17:30")]);
            (
                "Berlin HQ (split day, early Friday)",
                "Europe/Berlin",
                WeeklyHours {
                    mon: day.clone(),
                    tue: day.clone(),
                    wed: day.clone(),
                    thu: day,
                    fri: ranges(&[("08:30", "14:00")]),
                    sat: vec![],
                    sun: vec![],
                },
                fixed(
                    years,
                    &[
                        (1, 1, "New Year's Day"),
                        (5, 1, "Labour Day"),
                        (10, 3, "German Unity Day"),
                        (12, 24, "Christmas Eve"),
                        (12, 25, "Christmas Day"),
                        (12, 26, "St Stephen's Day"),
                        (12, 31, "New Year's Eve"),
                    ],
                ),
            )
        }
        Office::NewYork => {
            let day = ranges(&[("09:00", "17:30")]);
            let mut holidays = fixed(
                years.clone(),
                &[
                    (1, 1, "New Year's Day"),
                    (6, 19, "Juneteenth"),
                    (7, 4, "Independence Day"),
                    (12, 25, "Christmas Day"),
                ],
            );
            for year in years {
                holidays.extend(
                    [
                        (5, Weekday::Mon, 0, "Memorial Day"),
                        (9, Weekday::Mon, 1, "Labor Day"),
                        (11, Weekday::Thu, 4, "Thanksgiving"),
                    ]
                    .into_iter()
                    .filter_map(|(month, weekday, n, name)| {
                        nth_weekday(year, month, weekday, n).map(|date| Holiday {
                            date,
                            name: name.into(),
                        })
                    }),
                );
            }
            (
                "New York office",
                "America/New_York",
                five_days(day),
                holidays,
            )
        }
        Office::Bengaluru => {
            let day = ranges(&[("09:30", "13:00"), ("14:00", "18:30")]);
            let mut weekly = five_days(day);
            weekly.sat = ranges(&[("10:00", "14:00")]);
            (
                "Bengaluru centre (half Saturday)",
                "Asia/Kolkata",
                weekly,
                fixed(
                    years,
                    &[
                        (1, 26, "Republic Day"),
                        (5, 1, "May Day"),
                        (8, 15, "Independence Day"),
                        (10, 2, "Gandhi Jayanti"),
                        (11, 1, "Karnataka Rajyotsava"),
                        (12, 25, "Christmas Day"),
                    ],
                ),
            )
        }
        Office::Sydney => (
            "Sydney office",
            "Australia/Sydney",
            five_days(ranges(&[("08:30", "17:00")])),
            fixed(
                years,
                &[
                    (1, 1, "New Year's Day"),
                    (1, 26, "Australia Day"),
                    (4, 25, "Anzac Day"),
                    (12, 25, "Christmas Day"),
                    (12, 26, "Boxing Day"),
                ],
            ),
        ),
        Office::Kathmandu => {
            // Nepal works Sunday to Friday; Saturday is the day off.
            let day = ranges(&[("10:00", "17:00")]);
            (
                "Kathmandu support centre (Sunday–Friday)",
                "Asia/Kathmandu",
                WeeklyHours {
                    sun: day.clone(),
                    mon: day.clone(),
                    tue: day.clone(),
                    wed: day.clone(),
                    thu: day.clone(),
                    fri: day,
                    sat: vec![],
                },
                fixed(
                    years,
                    &[(5, 29, "Republic Day"), (9, 19, "Constitution Day")],
                ),
            )
        }
    };
    Some(CalendarInput {
        name: name.into(),
        timezone: timezone.into(),
        weekly,
        holidays,
    })
}

fn five_days(day: Vec<[String; 2]>) -> WeeklyHours {
    WeeklyHours {
        mon: day.clone(),
        tue: day.clone(),
        wed: day.clone(),
        thu: day.clone(),
        fri: day,
        sat: vec![],
        sun: vec![],
    }
}

/// Holidays on the same date every year.
fn fixed(years: std::ops::RangeInclusive<i32>, days: &[(u32, u32, &str)]) -> Vec<Holiday> {
    years
        .flat_map(|year| {
            days.iter().filter_map(move |&(month, day, name)| {
                NaiveDate::from_ymd_opt(year, month, day).map(|date| Holiday {
                    date,
                    name: name.into(),
                })
            })
        })
        .collect()
}

/// The `n`-th `weekday` of a month (1-based); 0 means the last one.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    if n > 0 {
        return NaiveDate::from_weekday_of_month_opt(year, month, weekday, n);
    }
    (1..=5)
        .rev()
        .find_map(|n| NaiveDate::from_weekday_of_month_opt(year, month, weekday, n))
        .filter(|date| date.month() == month)
}
