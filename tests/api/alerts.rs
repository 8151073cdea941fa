//! Alerts around a due: whoever works a request hears when it has used its
//! agreement's share of its time, and a lasting breach reaches the
//! organisation's leaders; each once per due, planned again when the due
//! moves. The sweeps run here at chosen moments, as every instance's
//! background sweep would run them.

use chrono::{DateTime, TimeDelta, Utc};
use rocket::http::Status;
use serde_json::{Value, json};

use crate::common::{Pair, Session, TestApp, int, spawn_app};
use baton::services::calendars::CalendarCache;
use baton::services::requests::{Alerted, sweep_alerts};

struct Org {
    app: TestApp,
    pair: Pair,
    agreement: i64,
    db: sea_orm::DatabaseConnection,
}

impl Org {
    /// Legal owes Sales 16 business hours, and every hour of every day is
    /// working time (so that the arithmetic here is plain hours).
    async fn new() -> Org {
        let app = spawn_app().await;
        let pair = app.pair().await;
        let calendar = app.default_calendar(&pair.admin).await;
        let all_day = json!([["00:00", "24:00"]]);
        let weekly: serde_json::Map<String, Value> =
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .map(|day| ((*day).to_owned(), all_day.clone()))
                .collect();
        let edited = app
            .patch(
                &format!("/api/v1/calendars/{calendar}"),
                Some(&pair.admin.token),
                Some("\"1\""),
                json!({"timezone": "Europe/Berlin", "weekly": weekly}),
            )
            .await;
        assert_eq!(edited.status, Status::Ok, "{}", edited.body);
        let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
        let db = baton::db::connect(&app.database_url, 2)
            .await
            .expect("database");
        Org {
            app,
            pair,
            agreement,
            db,
        }
    }

    async fn log(&self, requested_at: DateTime<Utc>) -> i64 {
        int(&self
            .app
            .log_request(
                &self.pair.sales_staff,
                self.agreement,
                &requested_at.to_rfc3339(),
                &[],
            )
            .await["id"])
    }

    async fn sweep(&self, at: DateTime<Utc>) -> Alerted {
        sweep_alerts(&self.db, &CalendarCache::default(), at)
            .await
            .expect("sweep")
    }

    /// The notices of `kind` a person holds, as (request id, message).
    async fn notices(&self, who: &Session, kind: &str) -> Vec<(i64, String)> {
        let inbox = self
            .app
            .get("/api/v1/notifications?limit=100", Some(&who.token))
            .await;
        assert_eq!(inbox.status, Status::Ok, "{}", inbox.body);
        inbox.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|item| item["kind"] == kind)
            .map(|item| {
                (
                    item["request_id"].as_i64().unwrap_or_default(),
                    item["message"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

/// Whole seconds, as the business-time engine works.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("now")
}

#[rocket::async_test]
async fn a_request_that_has_used_eighty_percent_of_its_time_warns_the_providers_lead_once() {
    let org = Org::new().await;
    let start = now();
    let id = org.log(start).await;

    // Planned at once; nothing to say until 12 h 48 min of its 16 h are used.
    assert_eq!(
        org.sweep(start).await,
        Alerted {
            planned: 1,
            ..Alerted::default()
        }
    );
    let before = start + TimeDelta::minutes(12 * 60 + 47);
    assert_eq!(org.sweep(before).await, Alerted::default());
    assert!(
        org.notices(&org.pair.legal_lead, "due_soon")
            .await
            .is_empty()
    );

    let at = start + TimeDelta::minutes(12 * 60 + 48);
    assert_eq!(org.sweep(at).await.due_soon, 1);
    let told = org.notices(&org.pair.legal_lead, "due_soon").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, id);
    assert!(told[0].1.contains("due soon"), "{told:?}");
    // Only whoever works it: not Legal's staff, not the customer.
    for other in [
        &org.pair.legal_staff,
        &org.pair.sales_lead,
        &org.pair.sales_staff,
    ] {
        assert!(org.notices(other, "due_soon").await.is_empty());
    }
    // Once.
    assert_eq!(
        org.sweep(at + TimeDelta::hours(1)).await,
        Alerted::default()
    );
    assert_eq!(org.notices(&org.pair.legal_lead, "due_soon").await.len(), 1);
}

#[rocket::async_test]
async fn the_share_is_the_agreements_and_the_warning_goes_to_the_assignee_and_again_when_the_due_moves()
 {
    let org = Org::new().await;
    // Half of the time, not 80 %; a bad share changes nothing.
    let agreement = format!("/api/v1/agreements/{}", org.agreement);
    let bad = org
        .app
        .patch(
            &agreement,
            Some(&org.pair.legal_lead.token),
            None,
            json!({"due_soon_percent": 100}),
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity, "{}", bad.body);
    let half = org
        .app
        .patch(
            &agreement,
            Some(&org.pair.legal_lead.token),
            None,
            json!({"due_soon_percent": 50}),
        )
        .await;
    assert_eq!(half.status, Status::Ok, "{}", half.body);
    assert_eq!(half.body["due_soon_percent"], 50);

    // An input due in 1 h, and a request logged 9 h ago, due in 7 h: past
    // half its time, so it is due soon at once. Lars has it.
    let start = now();
    let input = org.log(start - TimeDelta::hours(15)).await;
    let id = org.log(start - TimeDelta::hours(9)).await;
    let assigned = org
        .app
        .patch(
            &format!("/api/v1/requests/{id}"),
            Some(&org.pair.legal_lead.token),
            None,
            json!({"assignee_user_id": org.pair.legal_staff.user_id}),
        )
        .await;
    assert_eq!(assigned.status, Status::Ok, "{}", assigned.body);
    let first = org.sweep(start).await;
    assert_eq!(first.planned, 2, "{first:?}");
    assert_eq!(first.due_soon, 2, "{first:?}");
    let lars = org.notices(&org.pair.legal_staff, "due_soon").await;
    assert_eq!(lars.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [id]);
    let lena = org.notices(&org.pair.legal_lead, "due_soon").await;
    assert_eq!(lena.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [input]);

    // It now waits for the input: its clock starts when the input is due
    // (in 1 h) and it is due 16 h later, half of which is 9 h from now.
    let edited = org
        .app
        .patch(
            &format!("/api/v1/requests/{id}"),
            Some(&org.pair.sales_staff.token),
            None,
            json!({"depends_on": [input]}),
        )
        .await;
    assert_eq!(edited.status, Status::Ok, "{}", edited.body);
    assert_eq!(
        org.sweep(start).await,
        Alerted {
            planned: 1,
            ..Alerted::default()
        },
        "planned again, not yet due soon"
    );
    assert_eq!(
        org.sweep(start + TimeDelta::hours(9) - TimeDelta::seconds(1))
            .await
            .due_soon,
        0
    );
    assert_eq!(org.sweep(start + TimeDelta::hours(9)).await.due_soon, 1);
    assert_eq!(
        org.notices(&org.pair.legal_staff, "due_soon").await.len(),
        2
    );
}

#[rocket::async_test]
async fn a_breach_that_lasts_a_working_day_reaches_the_leaders_once_and_only_when_escalation_is_on()
{
    let org = Org::new().await;
    let start = now();
    // Due 4 h ago: overdue, past being "due soon".
    let id = org.log(start - TimeDelta::hours(20)).await;
    assert_eq!(
        org.sweep(start).await,
        Alerted {
            planned: 1,
            ..Alerted::default()
        },
        "no due-soon warning for a request already overdue"
    );
    assert!(
        org.notices(&org.pair.legal_lead, "due_soon")
            .await
            .is_empty()
    );
    // The breach reached the provider's lead (the overdue notice) when it
    // was logged; the leaders hear after 480 more working minutes.
    assert_eq!(org.notices(&org.pair.legal_lead, "overdue").await.len(), 1);
    let escalation = start + TimeDelta::hours(4);
    assert_eq!(
        org.sweep(escalation - TimeDelta::seconds(1)).await,
        Alerted::default()
    );
    assert_eq!(org.sweep(escalation).await.escalated, 1);
    let leo = org.notices(&org.pair.leader, "escalated").await;
    assert_eq!(leo.len(), 1);
    assert_eq!(leo[0].0, id);
    assert!(
        org.notices(&org.pair.legal_lead, "escalated")
            .await
            .is_empty()
    );
    assert_eq!(
        org.sweep(escalation + TimeDelta::hours(1)).await,
        Alerted::default()
    );
    assert_eq!(org.notices(&org.pair.leader, "escalated").await.len(), 1);

    // The request's history says so.
    let history = org
        .app
        .get(
            &format!("/api/v1/requests/{id}/events"),
            Some(&org.pair.admin.token),
        )
        .await;
    assert!(
        history.body.to_string().contains("escalated"),
        "{}",
        history.body
    );

    // An organisation without escalation: a bad value changes nothing, null turns it off.
    let organisation = org
        .app
        .get("/api/v1/organisation", Some(&org.pair.admin.token))
        .await;
    assert_eq!(organisation.body["escalation_minutes"], 480);
    let version = organisation.etag.clone();
    let bad = org
        .app
        .patch(
            "/api/v1/organisation",
            Some(&org.pair.admin.token),
            version.as_deref(),
            json!({"escalation_minutes": 0}),
        )
        .await;
    assert_eq!(bad.status, Status::UnprocessableEntity, "{}", bad.body);
    let off = org
        .app
        .patch(
            "/api/v1/organisation",
            Some(&org.pair.admin.token),
            version.as_deref(),
            json!({"escalation_minutes": null}),
        )
        .await;
    assert_eq!(off.status, Status::Ok, "{}", off.body);
    assert!(off.body["escalation_minutes"].is_null());
    org.log(start - TimeDelta::hours(20)).await;
    org.sweep(start).await;
    assert_eq!(
        org.sweep(start + TimeDelta::days(3)).await.escalated,
        0,
        "escalation is off"
    );
    assert_eq!(org.notices(&org.pair.leader, "escalated").await.len(), 1);
}

#[rocket::async_test]
async fn breaches_older_than_a_day_when_first_planned_do_not_wake_the_leaders() {
    let org = Org::new().await;
    let start = now();
    org.log(start - TimeDelta::days(10)).await;
    assert_eq!(org.sweep(start).await.planned, 1);
    assert_eq!(
        org.sweep(start + TimeDelta::hours(1)).await,
        Alerted::default()
    );
    assert!(org.notices(&org.pair.leader, "escalated").await.is_empty());
}
