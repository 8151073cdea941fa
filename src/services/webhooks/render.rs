//! What a webhook is told: the event as it is stored with each delivery
//! ([`Event`], the facts at the moment of the notice), and the body sent
//! from it, JSON or Slack-compatible.
//!
//! A notice is about a request, a promise to an outside customer or a
//! review; its facts go with it, each with a link to its page.
//!
//! The stored event holds no link and no delivery id: links are made from
//! `BATON_PUBLIC_URL` when the body is, so that a delivery retried after
//! the address changed points at the new one, and the id is the row's own.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::entities::ids::{CommitmentId, OrganisationId, RequestId, WebhookDeliveryId, WebhookId};
use crate::entities::webhook::WebhookFormat;

/// The event kind of a test call.
pub const PING: &str = "ping";

/// An event's facts, stored as a delivery's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// A notice kind's name, or [`PING`].
    pub event: String,
    pub occurred_at: DateTime<Utc>,
    pub organisation_id: OrganisationId,
    /// The notice's text.
    pub message: String,
    #[serde(default)]
    pub request: Option<RequestFacts>,
    #[serde(default)]
    pub commitment: Option<CommitmentFacts>,
    #[serde(default)]
    pub review: Option<ReviewFacts>,
}

/// The request a notice is about, as it stood when the notice was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestFacts {
    pub id: RequestId,
    pub title: String,
    pub status: String,
    pub due_at: DateTime<Utc>,
    /// The provider's forecast, when there is one.
    #[serde(default)]
    pub expected_at: Option<DateTime<Utc>>,
}

/// The promise to an outside customer a notice is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitmentFacts {
    pub id: CommitmentId,
    pub title: String,
    pub customer_name: String,
    pub promised_at: DateTime<Utc>,
}

/// The review meeting a notice is about (scheduled, or moved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewFacts {
    pub id: i64,
    pub scheduled_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub status: String,
}

/// Which delivery a body is for.
#[derive(Debug, Clone, Copy)]
pub struct Addressed {
    pub delivery_id: WebhookDeliveryId,
    pub webhook_id: WebhookId,
}

/// The body sent for `event`; `base` is `BATON_PUBLIC_URL` without a
/// trailing slash.
pub fn body(format: WebhookFormat, to: Addressed, event: &Event, base: &str) -> String {
    match format {
        WebhookFormat::Json => json_body(to, event, base).to_string(),
        WebhookFormat::Slack => slack_body(event, base).to_string(),
    }
}

fn json_body(to: Addressed, event: &Event, base: &str) -> Value {
    let request = event.request.as_ref().map(|request| {
        json!({
            "id": request.id,
            "title": request.title,
            "status": request.status,
            "due_at": request.due_at,
            "expected_at": request.expected_at,
            "link": request_link(base, request.id),
        })
    });
    let commitment = event.commitment.as_ref().map(|commitment| {
        json!({
            "id": commitment.id,
            "title": commitment.title,
            "customer_name": commitment.customer_name,
            "promised_at": commitment.promised_at,
            "link": commitment_link(base, commitment.id),
        })
    });
    let review = event.review.as_ref().map(|review| {
        json!({
            "id": review.id,
            "scheduled_at": review.scheduled_at,
            "duration_minutes": review.duration_minutes,
            "status": review.status,
            "link": format!("{base}/reviews/{}", review.id),
        })
    });
    json!({
        "delivery_id": to.delivery_id,
        "webhook_id": to.webhook_id,
        "event": event.event,
        "occurred_at": event.occurred_at,
        "organisation_id": event.organisation_id,
        "message": event.message,
        "request": request,
        "commitment": commitment,
        "review": review,
    })
}

/// `{"text": "<message> <link>"}`. Slack reads `&`, `<` and `>` as markup
/// (`<url|label>`, `<@user>`), so the message's own are escaped as its
/// documentation asks; the link is left bare, and unfurled by Slack.
fn slack_body(event: &Event, base: &str) -> Value {
    let message = event
        .message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let link = match (&event.request, &event.commitment, &event.review) {
        (Some(request), _, _) => Some(request_link(base, request.id)),
        (None, Some(commitment), _) => Some(commitment_link(base, commitment.id)),
        (None, None, Some(review)) => Some(format!("{base}/reviews/{}", review.id)),
        (None, None, None) => None,
    };
    let text = match link {
        Some(link) => format!("{message} {link}"),
        None => message,
    };
    json!({ "text": text })
}

fn request_link(base: &str, id: RequestId) -> String {
    format!("{base}/requests/{id}")
}

fn commitment_link(base: &str, id: CommitmentId) -> String {
    format!("{base}/commitments/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event {
            event: "forecast_late".into(),
            occurred_at: "2026-03-02T09:00:00Z".parse().expect("instant"),
            organisation_id: OrganisationId(3),
            message: "Request #7 \"NDA\" will be late: <Legal> & co.".into(),
            request: Some(RequestFacts {
                id: RequestId(7),
                title: "NDA".into(),
                status: "in_progress".into(),
                due_at: "2026-03-03T17:00:00Z".parse().expect("instant"),
                expected_at: None,
            }),
            commitment: None,
            review: None,
        }
    }

    const TO: Addressed = Addressed {
        delivery_id: WebhookDeliveryId(11),
        webhook_id: WebhookId(2),
    };

    #[test]
    fn the_json_body_carries_the_delivery_the_event_and_a_link_to_the_request() {
        let body: Value = serde_json::from_str(&body(
            WebhookFormat::Json,
            TO,
            &event(),
            "https://b.example",
        ))
        .expect("JSON");
        assert_eq!(body["delivery_id"], 11);
        assert_eq!(body["webhook_id"], 2);
        assert_eq!(body["event"], "forecast_late");
        assert_eq!(body["organisation_id"], 3);
        assert_eq!(body["occurred_at"], "2026-03-02T09:00:00Z");
        assert_eq!(body["request"]["link"], "https://b.example/requests/7");
        assert_eq!(body["request"]["status"], "in_progress");
        assert_eq!(body["request"]["due_at"], "2026-03-03T17:00:00Z");
        assert!(body["commitment"].is_null());
        assert!(body["review"].is_null());
    }

    #[test]
    fn the_slack_body_is_the_escaped_message_and_the_link() {
        let body: Value = serde_json::from_str(&body(
            WebhookFormat::Slack,
            TO,
            &event(),
            "https://b.example",
        ))
        .expect("JSON");
        assert_eq!(
            body,
            json!({"text": "Request #7 \"NDA\" will be late: &lt;Legal&gt; &amp; co. https://b.example/requests/7"})
        );
    }

    #[test]
    fn a_stored_event_reads_back_as_it_was_written() {
        let stored = serde_json::to_string(&event()).expect("JSON");
        let read: Event = serde_json::from_str(&stored).expect("read");
        assert_eq!(read, event());
    }
}
