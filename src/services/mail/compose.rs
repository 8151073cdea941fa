//! What a mail says: one notice, to one person, in their words and their
//! time zone.
//!
//! The subject names the request ("#42 Contract review: expected late");
//! the body repeats the notice, the request's facts with every time in the
//! reader's zone (their calendar's) and the promises to outside customers
//! it endangers, and a direct link to the request
//! (`BATON_PUBLIC_URL/requests/{id}`). Every mail has a plain-text part and
//! an HTML part saying the same, and a `List-Unsubscribe` link to the page
//! where people choose which mail they get. A notice about a review
//! carries its invitation (`text/calendar; method=REQUEST`). A digest lists
//! notices one per line, each with its link.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::Message;
use lettre::message::header::{ContentDisposition, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::Links;
use crate::entities::commitment::StoredRisk;
use crate::entities::notification::{self, NotificationKind};
use crate::entities::user;
use crate::entities::{commitment, request};
use crate::services::reviews::Invitation;

/// Everything one mail is made of.
pub struct Letter<'a> {
    pub notice: &'a notification::Model,
    pub person: &'a user::Model,
    pub request: Option<&'a request::Model>,
    /// The promises to outside customers the request endangers.
    pub endangers: &'a [commitment::Model],
    /// The promise a notice is about, as stored now.
    pub commitment: Option<&'a commitment::Model>,
    /// The review a notice is about, as stored now.
    pub invitation: Option<&'a Invitation>,
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
        NotificationKind::DueSoon => "due soon",
        NotificationKind::Escalated => "breach escalated",
        NotificationKind::ReviewScheduled => "review scheduled",
        NotificationKind::ReviewMoved => "review moved",
        NotificationKind::Thanked => "thank you",
        NotificationKind::PulseOpened => "how are we doing?",
        NotificationKind::PulseAnswered => "what we will do",
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
    if let Some(invitation) = letter.invitation {
        let what = if letter.notice.kind == NotificationKind::ReviewMoved {
            "moved to"
        } else {
            "on"
        };
        return format!(
            "{} {what} {}",
            one_line(&invitation.title),
            local(invitation.review.scheduled_at, letter.zone)
        );
    }
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
    notice_link(letter.notice, letter.links)
}

/// Where a notice points: its request, promise or review.
fn notice_link(notice: &notification::Model, links: &Links) -> String {
    match (notice.request_id, notice.commitment_id, notice.review_id) {
        (Some(id), _, _) => format!("{}/requests/{id}", links.base),
        (None, Some(id), _) => format!("{}/commitments/{id}", links.base),
        (None, None, Some(id)) => format!("{}/reviews/{id}", links.base),
        (None, None, None) => format!("{}/notifications", links.base),
    }
}

/// The request's facts as (label, value) lines.
fn facts(letter: &Letter<'_>) -> Vec<(&'static str, String)> {
    if let Some(invitation) = letter.invitation {
        let mut lines = vec![
            ("Review", one_line(&invitation.title)),
            ("Starts", local(invitation.review.scheduled_at, letter.zone)),
            (
                "Lasts",
                format!("{} minutes", invitation.review.duration_minutes),
            ),
        ];
        if !invitation.attendees.is_empty() {
            lines.push((
                "Attendees",
                invitation
                    .attendees
                    .iter()
                    .map(|(name, _)| one_line(name))
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
        return lines;
    }
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
    body.push_str(&footer_text(letter.organisation, letter.links));
    body
}

fn footer_text(organisation: &str, links: &Links) -> String {
    format!(
        "-- \nBaton for {organisation}. Your notices: {0}/notifications\n\
         Choose which mail you get: {0}/preferences\n",
        links.base
    )
}

fn footer_html(organisation: &str, links: &Links) -> String {
    format!(
        "<hr><p><small>Baton for {}. <a href=\"{1}/notifications\">Your notices</a> · \
         <a href=\"{1}/preferences\">Choose which mail you get</a></small></p></body></html>",
        escape(organisation),
        escape(&links.base)
    )
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
        "<p><a href=\"{0}\">{0}</a></p>",
        escape(&link(letter))
    ));
    body.push_str(&footer_html(letter.organisation, letter.links));
    body
}

/// The mail, ready for the SMTP server.
pub fn message(letter: &Letter<'_>, from: &Mailbox) -> Result<Message, String> {
    let builder = envelope(letter.person, from, &subject(letter), letter.links)?;
    let body = alternative(text(letter), html(letter));
    let invitation = letter
        .invitation
        .and_then(|invitation| invitation.ics(from.email.as_ref(), letter.notice.created_at));
    let body = match invitation {
        Some(ics) => MultiPart::mixed().multipart(body).singlepart(
            SinglePart::builder()
                .header(
                    ContentType::parse("text/calendar; method=REQUEST; charset=UTF-8")
                        .map_err(|error| format!("the invitation's type: {error}"))?,
                )
                .header(ContentDisposition::attachment("invite.ics"))
                .body(ics),
        ),
        None => body,
    };
    builder
        .multipart(body)
        .map_err(|error| format!("the mail could not be built: {error}"))
}

/// Everything a daily digest is made of.
pub struct Digest<'a> {
    pub person: &'a user::Model,
    /// Oldest first.
    pub notices: &'a [notification::Model],
    pub organisation: &'a str,
    pub zone: Tz,
    pub links: &'a Links,
    /// When the last digest went, if one did.
    pub since: Option<DateTime<Utc>>,
}

pub fn digest_subject(digest: &Digest<'_>) -> String {
    match digest.notices.len() {
        1 => "Your Baton digest: 1 notice".to_owned(),
        n => format!("Your Baton digest: {n} notices"),
    }
}

fn digest_intro(digest: &Digest<'_>) -> String {
    match digest.since {
        Some(since) => format!("What happened since {}:", local(since, digest.zone)),
        None => "What happened since your notices became a daily digest:".to_owned(),
    }
}

pub fn digest_text(digest: &Digest<'_>) -> String {
    let mut body = format!(
        "Hello {},\n\n{}\n\n",
        digest.person.name,
        digest_intro(digest)
    );
    for notice in digest.notices {
        body.push_str(&format!(
            "- {}: {}\n  {}\n",
            local(notice.created_at, digest.zone),
            notice.message,
            notice_link(notice, digest.links)
        ));
    }
    body.push('\n');
    body.push_str(&footer_text(digest.organisation, digest.links));
    body
}

pub fn digest_html(digest: &Digest<'_>) -> String {
    let mut body = format!(
        "<!doctype html><html><body style=\"font-family: sans-serif\">\
         <p>Hello {},</p><p>{}</p><ul>",
        escape(&digest.person.name),
        escape(&digest_intro(digest))
    );
    for notice in digest.notices {
        body.push_str(&format!(
            "<li>{}: <a href=\"{}\">{}</a></li>",
            escape(&local(notice.created_at, digest.zone)),
            escape(&notice_link(notice, digest.links)),
            escape(&notice.message)
        ));
    }
    body.push_str("</ul>");
    body.push_str(&footer_html(digest.organisation, digest.links));
    body
}

/// The digest, ready for the SMTP server.
pub fn digest_message(digest: &Digest<'_>, from: &Mailbox) -> Result<Message, String> {
    envelope(digest.person, from, &digest_subject(digest), digest.links)?
        .multipart(alternative(digest_text(digest), digest_html(digest)))
        .map_err(|error| format!("the digest could not be built: {error}"))
}

/// The mail with a link to set a new password.
pub fn reset_message(
    person: &user::Model,
    link: &str,
    from: &Mailbox,
    links: &Links,
) -> Result<Message, String> {
    let text = format!(
        "Hello {},\n\nSomeone, we hope you, asked to set a new password for your Baton account. \
         This link sets it; it works once, within the hour:\n\n{link}\n\n\
         If it was not you, ignore this mail: your password stays as it is.\n",
        person.name
    );
    let html = format!(
        "<!doctype html><html><body style=\"font-family: sans-serif\"><p>Hello {},</p>\
         <p>Someone, we hope you, asked to set a new password for your Baton account. \
         This link sets it; it works once, within the hour:</p>\
         <p><a href=\"{1}\">Set a new password</a></p>\
         <p>If it was not you, ignore this mail: your password stays as it is.</p></body></html>",
        escape(&person.name),
        escape(link)
    );
    envelope(person, from, "Set a new Baton password", links)?
        .multipart(alternative(text, html))
        .map_err(|error| format!("the mail could not be built: {error}"))
}

/// From, to, subject and the `List-Unsubscribe` link to the preferences.
fn envelope(
    person: &user::Model,
    from: &Mailbox,
    subject: &str,
    links: &Links,
) -> Result<lettre::message::MessageBuilder, String> {
    let to: Mailbox = format!("{} <{}>", one_line(&person.name), person.email)
        .parse()
        .or_else(|_| person.email.parse())
        .map_err(|_| format!("{} is not an address mail can go to", person.email))?;
    Ok(Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject)
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{}/preferences>", links.base),
        )))
}

fn alternative(text: String, html: String) -> MultiPart {
    MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(text),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(html),
        )
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
