//! [`CalendarSpec`]: a calendar as the user describes it (IANA zone, weekly
//! `HH:MM`–`HH:MM` ranges per weekday, holiday dates), validated field by
//! field. The only way to get one is through [`CalendarSpec::new`], so a spec
//! in hand is always valid and can be compiled.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::error::CalendarErrors;

/// Weekday keys in the order of the `weekly` array (Monday first), as used in
/// field paths and JSON.
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Minutes in a day; `24:00` as an end.
pub(crate) const DAY_MINUTES: u16 = 1440;

/// One working range of a weekday, `[start, end)` in minutes of the local day
/// (`0 <= start < end <= 1440`; 1440 is `24:00`, midnight starting the next
/// date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkingRange {
    start: u16,
    end: u16,
}

impl WorkingRange {
    /// Start, minutes after local midnight.
    pub fn start_minute(&self) -> u16 {
        self.start
    }

    /// End, minutes after local midnight (1440 = `24:00`).
    pub fn end_minute(&self) -> u16 {
        self.end
    }

    /// Start as `HH:MM`.
    pub fn start_hhmm(&self) -> String {
        hhmm(self.start)
    }

    /// End as `HH:MM` (`24:00` for midnight ending the day).
    pub fn end_hhmm(&self) -> String {
        hhmm(self.end)
    }
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A validated calendar: zone, weekly working ranges and holidays.
///
/// Choices where SPEC §2 is silent:
/// - Ranges of a weekday may be given in any order; they are stored sorted by
///   start. Ranges that only touch (`09:00–12:00`, `12:00–17:00`) are allowed
///   and behave as one.
/// - Holidays are stored sorted and de-duplicated; holidays outside the
///   supported dates are kept but have no effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {
    tz: Tz,
    weekly: [Vec<WorkingRange>; 7],
    holidays: Vec<NaiveDate>,
}

impl CalendarSpec {
    /// Validates a calendar. `weekly` is Monday..Sunday, each a list of
    /// `("HH:MM", "HH:MM")` ranges. Every problem is reported with its field
    /// path (`timezone`, `weekly.mon[1].start`, `weekly.mon[1]`, `weekly`).
    pub fn new<S: AsRef<str>>(
        timezone: &str,
        weekly: [Vec<(S, S)>; 7],
        holidays: Vec<NaiveDate>,
    ) -> Result<Self, CalendarErrors> {
        let mut errors = CalendarErrors::default();
        let tz = match timezone.parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                errors.push("timezone", format!("unknown time zone '{timezone}'"));
                None
            }
        };

        let mut parsed: [Vec<WorkingRange>; 7] = Default::default();
        let mut weekly_ok = true;
        for (day, ranges) in weekly.iter().enumerate() {
            let key = WEEKDAY_KEYS[day];
            match parse_day(key, ranges, &mut errors) {
                Some(list) => parsed[day] = list,
                None => weekly_ok = false,
            }
        }
        // Only complain about an empty week when every range parsed: a week
        // whose only range was malformed is better explained by that error.
        if weekly_ok && parsed.iter().all(Vec::is_empty) {
            errors.push("weekly", "the calendar has no working time in any week");
        }

        match tz {
            Some(tz) if errors.is_empty() => {
                let mut holidays = holidays;
                holidays.sort_unstable();
                holidays.dedup();
                Ok(Self {
                    tz,
                    weekly: parsed,
                    holidays,
                })
            }
            _ => Err(errors),
        }
    }

    /// The default office calendar: Monday–Friday 09:00–17:00, no holidays.
    pub fn default_office(timezone: &str) -> Result<Self, CalendarErrors> {
        let office = || vec![("09:00", "17:00")];
        Self::new(
            timezone,
            [
                office(),
                office(),
                office(),
                office(),
                office(),
                Vec::new(),
                Vec::new(),
            ],
            Vec::new(),
        )
    }

    /// The calendar's zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Working ranges Monday..Sunday, each sorted by start.
    pub fn weekly(&self) -> &[Vec<WorkingRange>; 7] {
        &self.weekly
    }

    /// Holidays, sorted and without duplicates.
    pub fn holidays(&self) -> &[NaiveDate] {
        &self.holidays
    }

    /// Nominal working minutes in a week (ignoring holidays and DST).
    pub fn weekly_minutes(&self) -> u32 {
        self.weekly
            .iter()
            .flatten()
            .map(|r| u32::from(r.end - r.start))
            .sum()
    }
}

/// Parses and checks one weekday's ranges; `None` if any of them is invalid
/// (the problems are pushed to `errors`).
fn parse_day<S: AsRef<str>>(
    key: &str,
    ranges: &[(S, S)],
    errors: &mut CalendarErrors,
) -> Option<Vec<WorkingRange>> {
    let mut ok = true;
    // (range, index in the input) so that messages name what the user sent.
    let mut valid: Vec<(WorkingRange, usize)> = Vec::with_capacity(ranges.len());
    for (i, (start, end)) in ranges.iter().enumerate() {
        let path = format!("weekly.{key}[{i}]");
        let start =
            parse_hhmm(start.as_ref(), false).map_err(|m| errors.push(format!("{path}.start"), m));
        let end = parse_hhmm(end.as_ref(), true).map_err(|m| errors.push(format!("{path}.end"), m));
        match (start, end) {
            (Ok(start), Ok(end)) if start < end => valid.push((WorkingRange { start, end }, i)),
            (Ok(start), Ok(end)) => {
                ok = false;
                errors.push(
                    path,
                    format!(
                        "start {} is not before end {}",
                        hhmm(start),
                        if end == DAY_MINUTES {
                            "24:00".to_owned()
                        } else {
                            hhmm(end)
                        }
                    ),
                );
            }
            _ => ok = false,
        }
    }

    valid.sort_unstable();
    // Track the range reaching furthest so far, so a range nested in an
    // earlier long one is caught as well as a plain neighbour overlap.
    let mut furthest: Option<(WorkingRange, usize)> = None;
    for &(range, index) in &valid {
        if let Some((prev, prev_index)) = furthest {
            if range.start < prev.end {
                ok = false;
                errors.push(
                    format!("weekly.{key}[{index}]"),
                    format!(
                        "overlaps weekly.{key}[{prev_index}] ({}–{})",
                        prev.start_hhmm(),
                        prev.end_hhmm()
                    ),
                );
            }
            if range.end > prev.end {
                furthest = Some((range, index));
            }
        } else {
            furthest = Some((range, index));
        }
    }
    ok.then(|| valid.into_iter().map(|(r, _)| r).collect())
}

/// Parses strict `HH:MM` into minutes of the day. `24:00` is accepted only
/// when `is_end`.
fn parse_hhmm(text: &str, is_end: bool) -> Result<u16, String> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 5
        && bytes[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
    if !shape_ok {
        return Err(format!("'{text}' is not a time of day in HH:MM form"));
    }
    let digit = |i: usize| u16::from(bytes[i] - b'0');
    let hours = digit(0) * 10 + digit(1);
    let minutes = digit(3) * 10 + digit(4);
    if minutes > 59 {
        return Err(format!("'{text}': minutes must be 00–59"));
    }
    if hours == 24 && minutes == 0 {
        return if is_end {
            Ok(DAY_MINUTES)
        } else {
            Err("24:00 is only allowed as the end of a range".to_owned())
        };
    }
    if hours > 23 {
        return Err(format!(
            "'{text}': hours must be 00–23 (or 24:00 as an end)"
        ));
    }
    Ok(hours * 60 + minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_edge_times() {
        assert_eq!(parse_hhmm("00:00", false), Ok(0));
        assert_eq!(parse_hhmm("23:59", false), Ok(1439));
        assert_eq!(parse_hhmm("24:00", true), Ok(1440));
        assert!(parse_hhmm("24:00", false).is_err());
        assert!(parse_hhmm("24:01", true).is_err());
        assert!(parse_hhmm("9:00", true).is_err());
        assert!(parse_hhmm("09:60", true).is_err());
        assert!(parse_hhmm("０9:00", true).is_err());
        assert!(parse_hhmm("", true).is_err());
    }
}
