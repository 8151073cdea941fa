//! What a mail says: one notice, to one person, in their words and their
//! time zone.
//!
//! The subject names the request ("#42 Contract review: expected late");
//! the body repeats the notice, the request's facts with every time in the
//! reader's zone (their calendar's) and the promises to outside customers
//! it endangers, and a direct link to the request
//! (`BATON_PUBLIC_URL/requests/{id}`). Every mail has a plain-text part and
//! an HTML part saying the same, and a `List-Unsubscribe` link to the page
//! where people see their notices.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::Links;
use crate::entities::commitment::StoredRisk;
use crate::entities::notification::{self, NotificationKind};
use crate::entities::user;
use crate::entities::{commitment, request};

/// Everything one mail is made of.
pub struct Letter<'a> {
    pub notice: &'a notification::Model,
    pub person: &'a user::Model,
    pub request: Option<&'a request::Model>,
    /// The promises to outside customers the request endangers.
    pub endangers: &'a [commitment::Model],
    /// The promise a notice is about, as stored now.
    pub commitment: Option<&'a commitment::Model>,
    pub organisation: &'a str,
    pub zone: Tz,
    pub links: &'a Links,
}

/// What happened, as a subject says it.
fn headline(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::ForecastLate => "expected late",
        NotificationKind::Overdue => "passed its due",
        NotificationKind::ActionClosed => "action item closed",
        NotificationKind::Assigned => "now yours",
        NotificationKind::Mentioned => "you were mentioned",
        NotificationKind::CommitmentEndangered => "in danger",
    }
}

/// `Mon 7 Dec 2026, 14:00 CET`, in the reader's zone.
pub fn local(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %-d %b %Y, %H:%M %Z")
        .to_string()
}

pub fn subject(letter: &Letter<'_>) -> String {
    let what = headline(letter.notice.kind);
    match (letter.request, letter.commitment) {
        (Some(request), _) => format!("#{} {}: {what}", request.id, one_line(&request.title)),
        (None, Some(promise)) => {
            let standing = match promise.risk {
                Some(StoredRisk::Late) => "now late",
                _ => "now at risk",
            };
            format!(
                "Promise to {}: {} {standing}",
                one_line(&promise.customer_name),
                one_line(&promise.title)
            )
        }
        (None, None) => format!("Baton: {what}"),
    }
}

/// Where the mail sends its reader.
pub fn link(letter: &Letter<'_>) -> String {
    match (letter.notice.request_id, letter.notice.commitment_id) {
        (Some(id), _) => format!("{}/requests/{id}", letter.links.base),
        (None, Some(id)) => format!("{}/commitments/{id}", letter.links.base),
        (None, None) => format!("{}/notifications", letter.links.base),
    }
}

/// The request's facts as (label, value) lines.
fn facts(letter: &Letter<'_>) -> Vec<(&'static str, String)> {
    if let Some(promise) = letter.commitment {
        let mut lines = vec![
            (
                "Promise",
                format!(
                    "{} to {}",
                    one_line(&promise.title),
                    one_line(&promise.customer_name)
                ),
            ),
            ("Promised", local(promise.promised_at, letter.zone)),
        ];
        if let Some(projected) = promise.projected_at {
            lines.push(("Projected", local(projected, letter.zone)));
        }
        return lines;
    }
    let Some(request) = letter.request else {
        return Vec::new();
    };
    let mut lines = vec![
        (
            "Request",
            format!("#{} {}", request.id, one_line(&request.title)),
        ),
        ("Status", request.status.words().to_owned()),
        ("Due", local(request.due_at, letter.zone)),
    ];
    if let Some(expected) = request.expected_at {
        lines.push(("Expected", local(expected, letter.zone)));
    }
    for promise in letter.endangers {
        lines.push((
            "Endangers",
            format!(
                "{} — {}, promised {}",
                one_line(&promise.customer_name),
                one_line(&promise.title),
                local(promise.promised_at, letter.zone)
            ),
        ));
    }
    lines
}

pub fn text(letter: &Letter<'_>) -> String {
    let mut body = format!(
        "Hello {},\n\n{}\n\n",
        letter.person.name, letter.notice.message
    );
    for (label, value) in facts(letter) {
        body.push_str(&format!("{label}: {value}\n"));
    }
    body.push_str(&format!("\nOpen it: {}\n\n", link(letter)));
    body.push_str(&format!(
        "-- \nBaton for {}. Your notices: {}/notifications\n",
        letter.organisation, letter.links.base
    ));
    body
}

pub fn html(letter: &Letter<'_>) -> String {
    let mut body = format!(
        "<!doctype html><html><body style=\"font-family: sans-serif\">\
         <p>Hello {},</p><p>{}</p>",
        escape(&letter.person.name),
        escape(&letter.notice.message)
    );
    let facts = facts(letter);
    if !facts.is_empty() {
        body.push_str("<table>");
        for (label, value) in facts {
            body.push_str(&format!(
                "<tr><th align=\"left\">{label}</th><td>{}</td></tr>",
                escape(&value)
            ));
        }
        body.push_str("</table>");
    }
    body.push_str(&format!(
        "<p><a href=\"{0}\">{0}</a></p><hr><p><small>Baton for {1}. \
         <a href=\"{2}/notifications\">Your notices</a></small></p></body></html>",
        escape(&link(letter)),
        escape(letter.organisation),
        escape(&letter.links.base)
    ));
    body
}

/// The mail, ready for the SMTP server.
pub fn message(letter: &Letter<'_>, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = format!(
        "{} <{}>",
        one_line(&letter.person.name),
        letter.person.email
    )
    .parse()
    .or_else(|_| letter.person.email.parse())
    .map_err(|_| format!("{} is not an address mail can go to", letter.person.email))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject(letter));
    builder = builder.raw_header(HeaderValue::new(
        HeaderName::new_from_ascii_str("List-Unsubscribe"),
        format!("<{}/notifications>", letter.links.base),
    ));
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text(letter)),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html(letter)),
                ),
        )
        .map_err(|error| format!("the mail could not be built: {error}"))
}

/// A title on one line: a subject or a display name cannot hold a break.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text for HTML: the five characters that could open markup or end an attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
