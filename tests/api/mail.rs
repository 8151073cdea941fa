//! Mail: a notice becomes a mail to each person it concerns, through a real
//! SMTP server (`common::smtp`), once across instances, at the opening of
//! the reader's calendar, retried when the server refuses, with the admin's
//! delivery log.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use rocket::http::Status;
use serde_json::json;

use crate::common::smtp::{Received, SmtpSink};
use crate::common::{Pair, TestApp, int, spawn_app_with};
use baton::mailer::Mailer;
use baton::services::calendars::CalendarCache;
use baton::services::mail::{self, Dispatched, Links};

pub const PUBLIC: &str = "https://baton.example.org";

/// An organisation whose mail goes to an SMTP server inside the test.
pub struct Mailing {
    pub app: TestApp,
    pub sink: SmtpSink,
    pub mailer: Mailer,
    pub db: sea_orm::DatabaseConnection,
    pub pair: Pair,
    pub agreement: i64,
}

impl Mailing {
    /// An organisation whose calendar (Berlin, shared by every department)
    /// is open on the given days of the week only (0 = Monday), all day.
    pub async fn open_on(days: &[u32]) -> Mailing {
        let sink = SmtpSink::start().await;
        let url = sink.url();
        let adjust = |config: baton::Config| baton::Config {
            smtp_url: Some(url.clone()),
            mail_from: "Baton <baton@acme.test>".into(),
            public_url: Some(PUBLIC.into()),
            ..config
        };
        let app = spawn_app_with(adjust).await;
        let mailer = Mailer::from_config(&adjust(baton::Config::default()))
            .expect("mail configuration")
            .expect("mail is on");
        let pair = app.pair().await;
        let calendar = app.default_calendar(&pair.admin).await;
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let weekly: serde_json::Map<String, serde_json::Value> = names
            .iter()
            .enumerate()
            .map(|(day, name)| {
                let hours = if days.contains(&(day as u32)) {
                    json!([["00:00", "24:00"]])
                } else {
                    json!([])
                };
                ((*name).to_owned(), hours)
            })
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
        Mailing {
            app,
            sink,
            mailer,
            db,
            pair,
            agreement,
        }
    }

    pub async fn always_open() -> Mailing {
        Mailing::open_on(&[0, 1, 2, 3, 4, 5, 6]).await
    }

    /// Sales logs a request and Legal forecasts it a month late: Sales's
    /// two people are notified. Returns the request's id.
    pub async fn late_forecast(&self) -> i64 {
        let now = Utc::now().to_rfc3339();
        let id = int(&self
            .app
            .log_request(&self.pair.sales_staff, self.agreement, &now, &[])
            .await["id"]);
        let far = (Utc::now() + TimeDelta::days(30)).to_rfc3339();
        let forecast = self
            .app
            .act(
                &self.pair.legal_staff,
                id,
                "forecast",
                json!({"expected_at": far, "reason": "the signed NDA has not come back"}),
            )
            .await;
        assert_eq!(forecast.status, Status::Ok, "{}", forecast.body);
        id
    }

    pub async fn dispatch(&self, at: DateTime<Utc>) -> Dispatched {
        mail::dispatch_due(
            &self.db,
            &CalendarCache::default(),
            &self.mailer,
            &Links::new(PUBLIC),
            at,
        )
        .await
        .expect("dispatch")
    }

    pub async fn deliveries(&self) -> Vec<serde_json::Value> {
        let log = self
            .app
            .get("/api/v1/mail/deliveries", Some(&self.pair.admin.token))
            .await;
        assert_eq!(log.status, Status::Ok, "{}", log.body);
        log.body["items"].as_array().expect("items").clone()
    }
}

pub fn recipients(mails: &[Received]) -> BTreeSet<String> {
    mails.iter().flat_map(|mail| mail.to.clone()).collect()
}

#[rocket::async_test]
async fn a_late_forecast_is_mailed_once_to_the_customer_department_with_a_link_and_berlin_times() {
    let mailing = Mailing::always_open().await;
    let id = mailing.late_forecast().await;

    let done = mailing.dispatch(Utc::now()).await;
    assert_eq!(done.sent, 2, "{done:?}");
    let mails = mailing.sink.received();
    assert_eq!(
        recipients(&mails),
        BTreeSet::from(["sam@acme.test".to_owned(), "sara@acme.test".to_owned()])
    );
    for mail in &mails {
        assert_eq!(mail.from, "baton@acme.test");
        let subject = mail.header("Subject").expect("subject");
        assert_eq!(subject, format!("#{id} NDA for Globex: expected late"));
        assert_eq!(
            mail.header("List-Unsubscribe").as_deref(),
            Some("<https://baton.example.org/preferences>")
        );
        assert!(mail.data.contains("multipart/alternative"), "{}", mail.data);
        assert!(mail.data.contains("text/plain"), "{}", mail.data);
        assert!(mail.data.contains("text/html"), "{}", mail.data);
        assert!(
            mail.data
                .contains(&format!("https://baton.example.org/requests/{id}")),
            "{}",
            mail.data
        );
        assert!(mail.data.contains("the signed NDA has not come back"));
        // The facts are in the reader's zone: Berlin's CET or CEST.
        assert!(
            mail.data.contains(" CET") || mail.data.contains(" CEST"),
            "{}",
            mail.data
        );
    }

    // Nothing twice: the next dispatch finds nothing to send.
    assert_eq!(mailing.dispatch(Utc::now()).await.sent, 0);
    assert_eq!(mailing.sink.received().len(), 2);
    let log = mailing.deliveries().await;
    assert_eq!(log.len(), 2);
    for line in &log {
        assert_eq!(line["state"], "sent", "{line}");
        assert_eq!(line["attempts"], 1);
        assert!(line["sent_at"].is_string());
    }

    // The log is the admins'.
    let refused = mailing
        .app
        .get(
            "/api/v1/mail/deliveries",
            Some(&mailing.pair.sales_lead.token),
        )
        .await;
    assert_eq!(refused.status, Status::Forbidden);
}

#[rocket::async_test]
async fn a_mail_waits_for_the_readers_calendar_to_open_while_the_notice_shows_at_once() {
    // Open only on the day after tomorrow (Berlin), so closed now.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .weekday()
        .num_days_from_monday();
    let open_day = (today + 2) % 7;
    let mailing = Mailing::open_on(&[open_day]).await;
    let id = mailing.late_forecast().await;

    let done = mailing.dispatch(Utc::now()).await;
    assert_eq!(done.postponed, 2, "{done:?}");
    assert!(mailing.sink.received().is_empty());
    let inbox = mailing
        .app
        .get(
            "/api/v1/notifications",
            Some(&mailing.pair.sales_lead.token),
        )
        .await;
    assert_eq!(inbox.body["items"][0]["request_id"], id, "{}", inbox.body);

    // It goes at midnight in Berlin at the start of the open day.
    let log = mailing.deliveries().await;
    let waits_until: DateTime<Utc> = log[0]["next_attempt_at"]
        .as_str()
        .expect("scheduled")
        .parse()
        .expect("instant");
    let local = waits_until.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(local.weekday().num_days_from_monday(), open_day);
    assert_eq!(local.format("%H:%M").to_string(), "00:00");
    for line in &log {
        assert_eq!(line["state"], "pending");
        assert_eq!(line["attempts"], 0, "waiting is not a try: {line}");
    }

    // A minute before: still nothing. At the opening: both mails.
    assert_eq!(
        mailing.dispatch(waits_until - TimeDelta::minutes(1)).await,
        Dispatched::default()
    );
    assert_eq!(mailing.dispatch(waits_until).await.sent, 2);
    assert_eq!(mailing.sink.received().len(), 2);
}

#[rocket::async_test]
async fn a_refused_mail_is_retried_after_a_backoff_and_the_admin_sees_why() {
    let mailing = Mailing::always_open().await;
    mailing.late_forecast().await;
    mailing.sink.refuse(true);

    let now = Utc::now();
    let done = mailing.dispatch(now).await;
    assert_eq!(done.failed, 2, "{done:?}");
    for line in mailing.deliveries().await {
        assert_eq!(line["state"], "pending");
        assert_eq!(line["attempts"], 1);
        assert!(
            line["error"].as_str().unwrap_or_default().contains("451"),
            "{line}"
        );
        let next: DateTime<Utc> = line["next_attempt_at"].as_str().unwrap().parse().unwrap();
        assert!(next > now, "{line}");
    }
    // Not before the backoff has passed.
    assert_eq!(mailing.dispatch(now).await, Dispatched::default());

    mailing.sink.refuse(false);
    let later = now + mail::backoff(1) + TimeDelta::seconds(1);
    assert_eq!(mailing.dispatch(later).await.sent, 2);
    for line in mailing.deliveries().await {
        assert_eq!(line["state"], "sent");
        assert_eq!(line["attempts"], 2);
        assert!(line["error"].is_null(), "{line}");
    }

    // The admin may send one again: it goes once more.
    let first = int(&mailing.deliveries().await[0]["id"]);
    let resent = mailing
        .app
        .post(
            &format!("/api/v1/mail/deliveries/{first}/resend"),
            Some(&mailing.pair.admin.token),
            json!({}),
        )
        .await;
    assert_eq!(resent.status, Status::Ok, "{}", resent.body);
    assert_eq!(mailing.dispatch(Utc::now()).await.sent, 1);
    assert_eq!(mailing.sink.received().len(), 3);
}

#[rocket::async_test]
async fn two_instances_dispatching_at_the_same_moment_send_each_mail_once() {
    let mailing = Mailing::always_open().await;
    for _ in 0..5 {
        mailing.late_forecast().await;
    }
    let other = baton::db::connect(&mailing.app.database_url, 2)
        .await
        .expect("second instance's pool");
    let cache = CalendarCache::default();
    let links = Links::new(PUBLIC);
    let now = Utc::now();
    let (one, two) = tokio::join!(
        mail::dispatch_due(&mailing.db, &cache, &mailing.mailer, &links, now),
        mail::dispatch_due(&other, &cache, &mailing.mailer, &links, now),
    );
    let sent = one.expect("first").sent + two.expect("second").sent;
    assert_eq!(sent, 10);
    let mails = mailing.sink.received();
    assert_eq!(mails.len(), 10);
    let distinct: BTreeSet<(String, String)> = mails
        .iter()
        .map(|mail| {
            (
                mail.to.join(","),
                mail.header("Subject").unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(distinct.len(), 10, "a mail went twice");
}

#[rocket::async_test]
async fn notices_made_while_mail_was_off_for_more_than_a_day_expire_instead_of_arriving_late() {
    let mailing = Mailing::always_open().await;
    mailing.late_forecast().await;
    let done = mailing.dispatch(Utc::now() + TimeDelta::days(2)).await;
    assert_eq!(done.expired, 2, "{done:?}");
    assert_eq!(done.sent, 0);
    assert!(mailing.sink.received().is_empty());
    let failed = mailing
        .app
        .get(
            "/api/v1/mail/deliveries?state=expired",
            Some(&mailing.pair.admin.token),
        )
        .await;
    assert_eq!(failed.body["items"].as_array().map(Vec::len), Some(2));
    let bad_state = mailing
        .app
        .get(
            "/api/v1/mail/deliveries?state=lost",
            Some(&mailing.pair.admin.token),
        )
        .await;
    assert_eq!(bad_state.status, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_request_past_its_due_is_mailed_to_the_customers_lead_its_logger_and_the_providers_lead()
{
    let mailing = Mailing::always_open().await;
    let id = int(&mailing
        .app
        .log_request(
            &mailing.pair.sales_staff,
            mailing.agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]);
    assert_eq!(mailing.dispatch(Utc::now()).await.sent, 3);
    let mails = mailing.sink.received();
    assert_eq!(
        recipients(&mails),
        BTreeSet::from([
            "lena@acme.test".to_owned(),
            "sam@acme.test".to_owned(),
            "sara@acme.test".to_owned()
        ]),
        "Sales's lead, who logged it, Legal's lead; not Legal's staff"
    );
    for mail in &mails {
        assert_eq!(
            mail.header("Subject").as_deref(),
            Some(format!("#{id} NDA for Globex: passed its due").as_str())
        );
    }
}

#[rocket::async_test]
async fn a_late_forecast_names_the_promise_it_endangers_and_the_promise_turning_late_is_told_once()
{
    let mailing = Mailing::always_open().await;
    let now = Utc::now();
    let id = int(&mailing
        .app
        .log_request(
            &mailing.pair.sales_staff,
            mailing.agreement,
            &now.to_rfc3339(),
            &[],
        )
        .await["id"]);
    let promised = now + TimeDelta::days(5);
    let commitment = mailing
        .app
        .post(
            "/api/v1/commitments",
            Some(&mailing.pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": promised.to_rfc3339(),
                   "owner_department_id": mailing.pair.sales, "depends_on": [id]}),
        )
        .await;
    assert_eq!(commitment.status, Status::Created, "{}", commitment.body);
    let far = (now + TimeDelta::days(30)).to_rfc3339();
    let forecast = mailing
        .app
        .act(
            &mailing.pair.legal_staff,
            id,
            "forecast",
            json!({"expected_at": far, "reason": "a judge's ruling"}),
        )
        .await;
    assert_eq!(forecast.status, Status::Ok, "{}", forecast.body);

    // Two mails about the request (Sales's lead, who logged it) and two
    // about the promise it breaks (its owner's lead, the leader).
    assert_eq!(mailing.dispatch(Utc::now()).await.sent, 4);
    let promised_in_berlin = mail::compose::local(promised, chrono_tz::Europe::Berlin);
    let mails = mailing.sink.received();
    let (about_request, about_promise): (Vec<Received>, Vec<Received>) = mails
        .into_iter()
        .partition(|mail| mail.header("Subject").is_some_and(|s| s.starts_with('#')));
    assert_eq!(about_request.len(), 2);
    for mail in &about_request {
        let text = mail.decoded();
        assert!(
            text.contains(&format!(
                "Endangers: Globex — Go-live, promised {promised_in_berlin}"
            )),
            "{text}"
        );
        assert!(text.contains("Reason: a judge's ruling"), "{text}");
    }
    let commitment = int(&commitment.body["id"]);
    assert_eq!(
        recipients(&about_promise),
        BTreeSet::from(["leo@acme.test".to_owned(), "sara@acme.test".to_owned()])
    );
    for mail in &about_promise {
        assert_eq!(
            mail.header("Subject").as_deref(),
            Some("Promise to Globex: Go-live now late")
        );
        let text = mail.decoded();
        assert!(
            text.contains(&format!(
                "https://baton.example.org/commitments/{commitment}"
            )),
            "{text}"
        );
        assert!(
            text.contains("The promise \"Go-live\" to Globex is now late"),
            "{text}"
        );
    }

    let inbox = mailing
        .app
        .get("/api/v1/notifications", Some(&mailing.pair.leader.token))
        .await;
    assert_eq!(
        inbox.body["items"][0]["kind"], "commitment_endangered",
        "{}",
        inbox.body
    );
    assert_eq!(inbox.body["items"][0]["commitment_id"], commitment);

    // A later forecast still late tells nothing new about the promise.
    let later = (now + TimeDelta::days(40)).to_rfc3339();
    let again = mailing
        .app
        .act(
            &mailing.pair.legal_staff,
            id,
            "forecast",
            json!({"expected_at": later, "reason": "an appeal"}),
        )
        .await;
    assert_eq!(again.status, Status::Ok, "{}", again.body);
    mailing.dispatch(Utc::now()).await;
    let promise_mails = mailing
        .sink
        .received()
        .iter()
        .filter(|mail| {
            mail.header("Subject")
                .is_some_and(|s| s.starts_with("Promise"))
        })
        .count();
    assert_eq!(promise_mails, 2, "the turn to late is told once");
}
