//! HTML views: the Tera templates of `templates/`, compiled into the binary
//! (so a deployed binary needs no template directory and a broken template
//! stops the server at start, not a request later).
//!
//! Templates are registered under their file name without `.tera`, so
//! `templates/reports/health.html.tera` is `reports/health.html`, and every
//! `.html` template is HTML-escaped automatically.

use tera::{Context, Tera};

use crate::error::ApiError;

/// Every template, by name.
const TEMPLATES: [(&str, &str); 40] = [
    ("base.html", include_str!("../templates/base.html.tera")),
    (
        "reports/charts.html",
        include_str!("../templates/reports/charts.html.tera"),
    ),
    (
        "reports/picker.html",
        include_str!("../templates/reports/picker.html.tera"),
    ),
    (
        "reports/nav.html",
        include_str!("../templates/reports/nav.html.tera"),
    ),
    (
        "pages/reports.html",
        include_str!("../templates/pages/reports.html.tera"),
    ),
    (
        "pages/pulses.html",
        include_str!("../templates/pages/pulses.html.tera"),
    ),
    (
        "pages/agreements.html",
        include_str!("../templates/pages/agreements.html.tera"),
    ),
    (
        "pages/commitments.html",
        include_str!("../templates/pages/commitments.html.tera"),
    ),
    (
        "pages/reviews.html",
        include_str!("../templates/pages/reviews.html.tera"),
    ),
    (
        "reports/health.html",
        include_str!("../templates/reports/health.html.tera"),
    ),
    (
        "reports/matrix.html",
        include_str!("../templates/reports/matrix.html.tera"),
    ),
    (
        "reports/trend.html",
        include_str!("../templates/reports/trend.html.tera"),
    ),
    (
        "reports/impact.html",
        include_str!("../templates/reports/impact.html.tera"),
    ),
    (
        "pages/layout.html",
        include_str!("../templates/pages/layout.html.tera"),
    ),
    (
        "pages/login.html",
        include_str!("../templates/pages/login.html.tera"),
    ),
    (
        "pages/home.html",
        include_str!("../templates/pages/home.html.tera"),
    ),
    (
        "pages/request.html",
        include_str!("../templates/pages/request.html.tera"),
    ),
    (
        "pages/request_new.html",
        include_str!("../templates/pages/request_new.html.tera"),
    ),
    (
        "pages/requests.html",
        include_str!("../templates/pages/requests.html.tera"),
    ),
    (
        "pages/commitment.html",
        include_str!("../templates/pages/commitment.html.tera"),
    ),
    (
        "pages/agreement.html",
        include_str!("../templates/pages/agreement.html.tera"),
    ),
    (
        "pages/review.html",
        include_str!("../templates/pages/review.html.tera"),
    ),
    (
        "pages/forms.html",
        include_str!("../templates/pages/forms.html.tera"),
    ),
    (
        "pages/departments.html",
        include_str!("../templates/pages/departments.html.tera"),
    ),
    (
        "pages/department.html",
        include_str!("../templates/pages/department.html.tera"),
    ),
    (
        "pages/agreement_new.html",
        include_str!("../templates/pages/agreement_new.html.tera"),
    ),
    (
        "pages/commitment_new.html",
        include_str!("../templates/pages/commitment_new.html.tera"),
    ),
    (
        "pages/review_new.html",
        include_str!("../templates/pages/review_new.html.tera"),
    ),
    (
        "pages/notifications.html",
        include_str!("../templates/pages/notifications.html.tera"),
    ),
    ("error.html", include_str!("../templates/error.html.tera")),
    (
        "pages/preferences.html",
        include_str!("../templates/pages/preferences.html.tera"),
    ),
    (
        "pages/password_forgot.html",
        include_str!("../templates/pages/password_forgot.html.tera"),
    ),
    (
        "pages/password_reset.html",
        include_str!("../templates/pages/password_reset.html.tera"),
    ),
    (
        "pages/admin.html",
        include_str!("../templates/pages/admin.html.tera"),
    ),
    (
        "pages/admin_users.html",
        include_str!("../templates/pages/admin_users.html.tera"),
    ),
    (
        "pages/admin_user.html",
        include_str!("../templates/pages/admin_user.html.tera"),
    ),
    (
        "pages/admin_calendars.html",
        include_str!("../templates/pages/admin_calendars.html.tera"),
    ),
    (
        "pages/admin_calendar.html",
        include_str!("../templates/pages/admin_calendar.html.tera"),
    ),
    (
        "pages/admin_organisation.html",
        include_str!("../templates/pages/admin_organisation.html.tera"),
    ),
    (
        "pages/department_edit.html",
        include_str!("../templates/pages/department_edit.html.tera"),
    ),
];

/// The compiled templates.
pub struct Views {
    tera: Tera,
}

impl Views {
    /// Parses every template; an error names the template and what is wrong.
    pub fn new() -> Result<Self, tera::Error> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.register_filter("words", words_filter);
        tera.register_filter("working", |value: &tera::Value, _: &_| {
            Ok(span_filter(value, WORKING_DAY))
        });
        tera.register_filter("elapsed", |value: &tera::Value, _: &_| {
            Ok(span_filter(value, 24 * 60))
        });
        tera.add_raw_templates(TEMPLATES)?;
        Ok(Views { tera })
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: &Context) -> Result<String, ApiError> {
        // Everything a page shows has been read by now: the read's
        // connection goes back to the pool while the page renders.
        crate::db::give_back();
        self.tera.render(name, context).map_err(|error| {
            // Tera's top-level message is generic; the cause says what failed.
            let mut cause = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(inner) = source {
                cause.push_str(": ");
                cause.push_str(&inner.to_string());
                source = inner.source();
            }
            ApiError::Internal(format!("rendering {name}: {cause}"))
        })
    }
}

/// An API word in people's words, for the pages: `in_progress` is "In
/// progress", `at_risk` "At risk", `own_slip` "Its own delay". A word not
/// listed still loses its underscores and starts with a capital, so no
/// page shows the API's spelling.
pub fn words(word: &str) -> String {
    let listed = match word {
        "in_progress" => "In progress",
        "waiting_on_customer" => "Waiting on the customer",
        "on_track" => "On track",
        "at_risk" => "At risk",
        "own_slip" => "Its own delay",
        "customer_wait" => "Waiting on the customer",
        _ => "",
    };
    if !listed.is_empty() {
        return listed.to_owned();
    }
    let spaced = word.replace('_', " ");
    let mut letters = spaced.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => spaced,
    }
}

/// The minutes of a working day when durations are said in days: the
/// default calendar's 09:00–17:00.
const WORKING_DAY: i64 = 8 * 60;

/// A count as people write it, thousands grouped: "1,000", "25".
pub fn grouped(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A duration of `minutes` in days (of `day` minutes), hours and minutes,
/// the two largest units that are not zero: "1 d 4 h", "3 h 20 min",
/// "45 min", "-2 d" (ahead rather than behind).
pub fn span(minutes: i64, day: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let total = minutes.unsigned_abs();
    let day = day.unsigned_abs().max(1);
    let (days, hours, rest) = (total / day, total % day / 60, total % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (rest, "min")]
        .into_iter()
        .skip_while(|(amount, _)| *amount == 0)
        .take(2)
        .filter(|(amount, _)| *amount > 0)
        .map(|(amount, unit)| format!("{amount} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 min".to_owned()
    } else {
        format!("{sign}{}", parts.join(" "))
    }
}

/// `{{ minutes | working }}` (8-hour days) and `{{ minutes | elapsed }}`
/// (24-hour days): [`span`] for a number; anything else as it is.
fn span_filter(value: &tera::Value, day: i64) -> tera::Value {
    match value.as_i64() {
        Some(minutes) => tera::Value::String(span(minutes, day)),
        None => value.clone(),
    }
}

/// `{{ value | words }}`: [`words`] for a string; anything else as it is.
fn words_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    Ok(match value.as_str() {
        Some(word) => tera::Value::String(words(word)),
        None => value.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_with_their_thousands_grouped() {
        assert_eq!(super::grouped(0), "0");
        assert_eq!(super::grouped(999), "999");
        assert_eq!(super::grouped(1_000), "1,000");
        assert_eq!(super::grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn every_template_compiles() {
        let views = Views::new().unwrap();
        let mut context = Context::new();
        context.insert("title", "<script>");
        context.insert("window", "March");
        context.insert("rows", &Vec::<String>::new());
        let page = views.render("reports/health.html", &context).unwrap();
        assert!(page.contains("&lt;script&gt;"), "titles are escaped");
    }

    #[test]
    fn api_words_read_as_peoples_words() {
        assert_eq!(words("in_progress"), "In progress");
        assert_eq!(words("waiting_on_customer"), "Waiting on the customer");
        assert_eq!(words("at_risk"), "At risk");
        assert_eq!(words("own_slip"), "Its own delay");
        assert_eq!(words("open"), "Open");
        assert_eq!(words("review_scheduled"), "Review scheduled");
        assert_eq!(words(""), "");
    }

    #[test]
    fn durations_read_in_the_two_largest_units() {
        assert_eq!(span(0, WORKING_DAY), "0 min");
        assert_eq!(span(45, WORKING_DAY), "45 min");
        assert_eq!(span(200, WORKING_DAY), "3 h 20 min");
        assert_eq!(span(12 * 60, WORKING_DAY), "1 d 4 h");
        assert_eq!(span(16 * 60, WORKING_DAY), "2 d");
        assert_eq!(span(16 * 60 + 5, WORKING_DAY), "2 d");
        assert_eq!(span(-2880, WORKING_DAY), "-6 d");
        assert_eq!(span(14_399, 24 * 60), "9 d 23 h");
    }
}
