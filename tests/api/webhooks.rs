//! Webhooks: a notice becomes one signed call to each webhook that wants
//! its kind, received by a real HTTP server in the test
//! (`common::receiver`) that checks the signature itself; retried with
//! backoff for a day, sent again by hand, pinged, once across instances,
//! never to an internal address unless allowed, and set up by admins only.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use rocket::http::Status;
use serde_json::{Value, json};

use crate::common::receiver::Receiver;
use crate::common::{Answer, Pair, TestApp, assert_problem, instant, int, spawn_app_with};
use baton::services::webhooks::{self, Dispatched, Settings};

const PUBLIC: &str = "https://baton.example.org";
const SECRET: &str = "a-shared-secret-of-some-length-0123456789";

struct Hooks {
    app: TestApp,
    receiver: Receiver,
    db: sea_orm::DatabaseConnection,
    pair: Pair,
    agreement: i64,
    allow_private: bool,
}

impl Hooks {
    /// An organisation with a receiver on the loopback, which webhooks may
    /// reach only when `allow_private`. The background dispatcher is off:
    /// the tests dispatch themselves, at the moments they choose.
    async fn start(allow_private: bool) -> Hooks {
        let receiver = Receiver::start().await;
        receiver.expect_secret(SECRET);
        let app = spawn_app_with(|config| baton::Config {
            public_url: Some(PUBLIC.into()),
            webhook_allow_private: allow_private,
            webhook_poll_seconds: 0,
            ..config
        })
        .await;
        let pair = app.pair().await;
        let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
        let db = baton::db::connect(&app.database_url, 2)
            .await
            .expect("database");
        Hooks {
            app,
            receiver,
            db,
            pair,
            agreement,
            allow_private,
        }
    }

    async fn allowing_private() -> Hooks {
        Hooks::start(true).await
    }

    /// Creates a webhook as the admin; `body` adds to the receiver's `path`
    /// and the shared secret.
    async fn create(&self, path: &str, body: Value) -> i64 {
        let mut fields = json!({"url": self.receiver.url(path), "secret": SECRET});
        if let (Some(fields), Some(extra)) = (fields.as_object_mut(), body.as_object()) {
            fields.extend(extra.clone());
        }
        let created = self
            .app
            .post("/api/v1/webhooks", Some(&self.pair.admin.token), fields)
            .await;
        assert_eq!(created.status, Status::Created, "{}", created.body);
        int(&created.body["id"])
    }

    /// Sales logs a request and Legal forecasts it a month late: a notice
    /// to Sales's two people, one event. Returns the request's id.
    async fn late_forecast(&self) -> i64 {
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

    async fn ping(&self, webhook: i64) -> Answer {
        self.app
            .post(
                &format!("/api/v1/webhooks/{webhook}/ping"),
                Some(&self.pair.admin.token),
                json!({}),
            )
            .await
    }

    fn settings(&self) -> Settings {
        Settings::new(PUBLIC, self.allow_private)
    }

    async fn dispatch(&self, at: DateTime<Utc>) -> Dispatched {
        webhooks::dispatch_due(&self.db, &self.settings(), at)
            .await
            .expect("dispatch")
    }

    /// Webhook `id`'s delivery log, newest first.
    async fn log(&self, webhook: i64) -> Vec<Value> {
        let log = self
            .app
            .get(
                &format!("/api/v1/webhooks/{webhook}/deliveries"),
                Some(&self.pair.admin.token),
            )
            .await;
        assert_eq!(log.status, Status::Ok, "{}", log.body);
        log.body["items"].as_array().expect("items").clone()
    }
}

#[rocket::async_test]
async fn a_late_forecast_reaches_each_subscribed_webhook_once_signed_and_an_unsubscribed_one_not_at_all()
 {
    let hooks = Hooks::allowing_private().await;
    let forecasts = hooks
        .create("/forecasts", json!({"events": ["forecast_late"]}))
        .await;
    let everything = hooks.create("/everything", json!({})).await;
    let overdue_only = hooks
        .create("/overdue", json!({"events": ["overdue"]}))
        .await;
    let id = hooks.late_forecast().await;

    let now = Utc::now();
    let done = hooks.dispatch(now).await;
    assert_eq!(done.sent, 2, "{done:?}");
    assert!(hooks.receiver.calls_to("/overdue").is_empty());
    for (path, webhook) in [("/forecasts", forecasts), ("/everything", everything)] {
        // One call for the event, though two people were notified.
        let calls = hooks.receiver.calls_to(path);
        assert_eq!(calls.len(), 1, "{path}: {calls:?}");
        let call = &calls[0];
        assert_eq!(call.method, "POST");
        assert!(call.signature_valid, "{call:?}");
        assert_eq!(call.signed_at, Some(now.timestamp()));
        assert_eq!(call.header("Content-Type"), Some("application/json"));
        assert_eq!(call.header("Baton-Event"), Some("forecast_late"));
        let log = hooks.log(webhook).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["state"], "sent", "{}", log[0]);
        assert_eq!(log[0]["attempts"], 1);
        assert_eq!(log[0]["last_status"], 200);
        assert!(log[0]["delivered_at"].is_string());
        let delivery = int(&log[0]["id"]);
        assert_eq!(call.header("Baton-Delivery"), Some(&*delivery.to_string()));

        let body = call.json();
        assert_eq!(body["delivery_id"], delivery);
        assert_eq!(body["webhook_id"], webhook);
        assert_eq!(body["event"], "forecast_late");
        assert_eq!(body["organisation_id"], hooks.pair.admin.organisation_id);
        assert!(instant(&body["occurred_at"]) <= now);
        let message = body["message"].as_str().expect("message");
        assert!(message.contains("will be late"), "{message}");
        assert!(message.contains("the signed NDA has not come back"));
        let request = &body["request"];
        assert_eq!(request["id"], id);
        assert_eq!(request["title"], "NDA for Globex");
        assert!(request["status"].is_string(), "{request}");
        assert!(request["due_at"].is_string(), "{request}");
        assert!(request["expected_at"].is_string(), "{request}");
        assert_eq!(
            request["link"],
            format!("https://baton.example.org/requests/{id}")
        );
        assert!(body["commitment"].is_null());
    }
    assert!(hooks.log(overdue_only).await.is_empty());

    // Nothing twice: the next dispatch finds nothing due.
    assert_eq!(hooks.dispatch(Utc::now()).await, Dispatched::default());
    assert_eq!(hooks.receiver.calls().len(), 2);
}

#[rocket::async_test]
async fn a_receiver_answering_500_is_tried_again_after_the_backoff_and_the_log_shows_its_status() {
    let hooks = Hooks::allowing_private().await;
    let webhook = hooks.create("/hook", json!({})).await;
    hooks.late_forecast().await;
    hooks.receiver.answer(500);

    let now = Utc::now();
    let done = hooks.dispatch(now).await;
    assert_eq!(done.retrying, 1, "{done:?}");
    let line = &hooks.log(webhook).await[0];
    assert_eq!(line["state"], "pending", "{line}");
    assert_eq!(line["attempts"], 1);
    assert_eq!(line["last_status"], 500);
    let error = line["last_error"].as_str().expect("a reason");
    assert!(
        error.contains("500") && error.contains("receiver down"),
        "{error}"
    );
    let next = instant(&line["next_attempt_at"]);
    // PostgreSQL keeps microseconds.
    let off_by = next - (now + webhooks::backoff(1));
    assert!(off_by.num_milliseconds().abs() < 1, "{next} {now}");

    // Not before the backoff has passed.
    assert_eq!(
        hooks.dispatch(next - TimeDelta::seconds(1)).await,
        Dispatched::default()
    );
    hooks.receiver.answer(204);
    assert_eq!(hooks.dispatch(next).await.sent, 1);
    let line = &hooks.log(webhook).await[0];
    assert_eq!(line["state"], "sent", "{line}");
    assert_eq!(line["attempts"], 2);
    assert_eq!(line["last_status"], 204);
    assert!(line["next_attempt_at"].is_null());

    // Both tries were the same delivery, each signed.
    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].header("Baton-Delivery"),
        calls[1].header("Baton-Delivery")
    );
    assert!(calls.iter().all(|call| call.signature_valid));
    assert_eq!(calls[0].body, calls[1].body);
}

#[rocket::async_test]
async fn a_delivery_still_failing_a_day_after_it_was_made_is_failed_with_the_reason() {
    let hooks = Hooks::allowing_private().await;
    let webhook = hooks.create("/hook", json!({})).await;
    hooks.receiver.answer(503);
    assert_eq!(hooks.ping(webhook).await.status, Status::Created);
    let made = instant(&hooks.log(webhook).await[0]["created_at"]);

    assert_eq!(hooks.dispatch(made).await.retrying, 1);
    // Its retries run until a day after it was made; the try then is the last.
    let day = made + webhooks::RETRY_FOR;
    let done = hooks.dispatch(day).await;
    assert_eq!(done.failed, 1, "{done:?}");
    let line = &hooks.log(webhook).await[0];
    assert_eq!(line["state"], "failed", "{line}");
    assert_eq!(line["attempts"], 2);
    assert_eq!(line["last_status"], 503);
    assert!(
        line["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("503")),
        "{line}"
    );
    assert!(line["next_attempt_at"].is_null());
    assert_eq!(
        hooks.dispatch(day + TimeDelta::hours(2)).await,
        Dispatched::default()
    );
    assert_eq!(hooks.receiver.calls().len(), 2);

    let failed = hooks
        .app
        .get(
            &format!("/api/v1/webhooks/{webhook}/deliveries?state=failed"),
            Some(&hooks.pair.admin.token),
        )
        .await;
    assert_eq!(failed.body["items"].as_array().map(Vec::len), Some(1));
    let lost = hooks
        .app
        .get(
            &format!("/api/v1/webhooks/{webhook}/deliveries?state=lost"),
            Some(&hooks.pair.admin.token),
        )
        .await;
    assert_problem(&lost, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn an_admin_sends_a_delivery_again_with_the_same_id() {
    let hooks = Hooks::allowing_private().await;
    let webhook = hooks.create("/hook", json!({})).await;
    hooks.late_forecast().await;
    assert_eq!(hooks.dispatch(Utc::now()).await.sent, 1);
    let delivery = int(&hooks.log(webhook).await[0]["id"]);

    let again = hooks
        .app
        .post(
            &format!("/api/v1/webhooks/deliveries/{delivery}/redeliver"),
            Some(&hooks.pair.admin.token),
            json!({}),
        )
        .await;
    assert_eq!(again.status, Status::Ok, "{}", again.body);
    assert_eq!(again.body["state"], "pending");
    assert_eq!(again.body["id"], delivery);
    assert_eq!(hooks.dispatch(Utc::now()).await.sent, 1);

    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert_eq!(call.header("Baton-Delivery"), Some(&*delivery.to_string()));
        assert!(call.signature_valid);
        assert_eq!(call.json()["delivery_id"], delivery);
    }
    let line = &hooks.log(webhook).await[0];
    assert_eq!(line["state"], "sent");
    assert_eq!(line["attempts"], 2);

    // Another's delivery, or none: 404; not an admin: 403.
    let missing = hooks
        .app
        .post(
            "/api/v1/webhooks/deliveries/999999/redeliver",
            Some(&hooks.pair.admin.token),
            json!({}),
        )
        .await;
    assert_problem(&missing, Status::NotFound);
    let lead = hooks
        .app
        .post(
            &format!("/api/v1/webhooks/deliveries/{delivery}/redeliver"),
            Some(&hooks.pair.sales_lead.token),
            json!({}),
        )
        .await;
    assert_problem(&lead, Status::Forbidden);
}

#[rocket::async_test]
async fn a_ping_reaches_its_webhook_alone_and_an_inactive_webhook_is_not_pinged() {
    let hooks = Hooks::allowing_private().await;
    let pinged = hooks.create("/pinged", json!({})).await;
    let other = hooks.create("/other", json!({})).await;

    let ping = hooks.ping(pinged).await;
    assert_eq!(ping.status, Status::Created, "{}", ping.body);
    assert_eq!(ping.body["event"], "ping");
    assert_eq!(ping.body["state"], "pending");
    assert_eq!(hooks.dispatch(Utc::now()).await.sent, 1);
    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/pinged");
    assert_eq!(calls[0].header("Baton-Event"), Some("ping"));
    assert!(calls[0].signature_valid);
    let body = calls[0].json();
    assert_eq!(body["event"], "ping");
    assert_eq!(body["webhook_id"], pinged);
    assert_eq!(body["delivery_id"], ping.body["id"]);
    assert!(body["request"].is_null());

    let off = hooks
        .app
        .patch(
            &format!("/api/v1/webhooks/{other}"),
            Some(&hooks.pair.admin.token),
            None,
            json!({"active": false}),
        )
        .await;
    assert_eq!(off.status, Status::Ok, "{}", off.body);
    assert_problem(&hooks.ping(other).await, Status::Conflict);
    // Nor is an inactive webhook told of notices.
    hooks.late_forecast().await;
    assert_eq!(hooks.dispatch(Utc::now()).await.sent, 1);
    assert!(hooks.receiver.calls_to("/other").is_empty());
}

#[rocket::async_test]
async fn a_slack_webhook_gets_the_message_and_its_link_as_text_still_signed() {
    let hooks = Hooks::allowing_private().await;
    hooks
        .create(
            "/slack",
            json!({"format": "slack", "events": ["forecast_late"]}),
        )
        .await;
    let id = hooks.late_forecast().await;
    assert_eq!(hooks.dispatch(Utc::now()).await.sent, 1);
    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].signature_valid);
    let body = calls[0].json();
    let fields: Vec<&String> = body.as_object().expect("an object").keys().collect();
    assert_eq!(fields, ["text"]);
    let text = body["text"].as_str().expect("text");
    assert!(text.contains("will be late"), "{text}");
    assert!(
        text.ends_with(&format!(" https://baton.example.org/requests/{id}")),
        "{text}"
    );
}

#[rocket::async_test]
async fn two_instances_dispatching_at_the_same_moment_deliver_each_event_once() {
    let hooks = Hooks::allowing_private().await;
    let webhook = hooks.create("/hook", json!({})).await;
    for _ in 0..5 {
        hooks.late_forecast().await;
    }
    let other = baton::db::connect(&hooks.app.database_url, 2)
        .await
        .expect("second instance's pool");
    let settings = hooks.settings();
    let now = Utc::now();
    let (one, two) = tokio::join!(
        webhooks::dispatch_due(&hooks.db, &settings, now),
        webhooks::dispatch_due(&other, &settings, now),
    );
    let sent = one.expect("first").sent + two.expect("second").sent;
    assert_eq!(sent, 5);
    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 5);
    let distinct: BTreeSet<String> = calls
        .iter()
        .filter_map(|call| call.header("Baton-Delivery").map(str::to_owned))
        .collect();
    assert_eq!(distinct.len(), 5, "a delivery went twice");
    for line in hooks.log(webhook).await {
        assert_eq!(line["state"], "sent");
        assert_eq!(line["attempts"], 1, "{line}");
    }
}

#[rocket::async_test]
async fn a_webhook_to_the_loopback_is_refused_with_the_reason_and_nothing_reaches_it() {
    let hooks = Hooks::start(false).await;
    let literal = hooks.create("/literal", json!({})).await;
    let port = hooks.receiver.address.port();
    let named = hooks
        .app
        .post(
            "/api/v1/webhooks",
            Some(&hooks.pair.admin.token),
            json!({"url": format!("http://localhost:{port}/named")}),
        )
        .await;
    assert_eq!(named.status, Status::Created, "{}", named.body);
    let named = int(&named.body["id"]);
    hooks.late_forecast().await;

    let done = hooks.dispatch(Utc::now()).await;
    assert_eq!(done.failed, 2, "{done:?}");
    assert!(hooks.receiver.calls().is_empty(), "nothing arrives");
    let line = &hooks.log(literal).await[0];
    assert_eq!(line["state"], "failed", "{line}");
    assert_eq!(line["attempts"], 1);
    assert!(line["last_status"].is_null());
    assert_eq!(
        line["last_error"],
        "refused: 127.0.0.1 is a loopback address (BATON_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
    );
    // A name is checked for what it resolves to.
    let line = &hooks.log(named).await[0];
    assert_eq!(line["state"], "failed", "{line}");
    assert!(
        line["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("is a loopback address")),
        "{line}"
    );
    // A refusal is not retried.
    assert_eq!(
        hooks.dispatch(Utc::now() + TimeDelta::hours(2)).await,
        Dispatched::default()
    );
    assert!(hooks.receiver.calls().is_empty());
}

#[rocket::async_test]
async fn only_admins_see_and_set_up_webhooks_and_only_their_organisations() {
    let hooks = Hooks::allowing_private().await;
    let webhook = hooks.create("/hook", json!({})).await;
    let app = &hooks.app;
    for who in [
        &hooks.pair.leader,
        &hooks.pair.sales_lead,
        &hooks.pair.legal_staff,
    ] {
        let token = Some(who.token.as_str());
        assert_problem(&app.get("/api/v1/webhooks", token).await, Status::Forbidden);
        assert_problem(
            &app.get(&format!("/api/v1/webhooks/{webhook}"), token).await,
            Status::Forbidden,
        );
        assert_problem(
            &app.get(&format!("/api/v1/webhooks/{webhook}/deliveries"), token)
                .await,
            Status::Forbidden,
        );
        let create = app
            .post(
                "/api/v1/webhooks",
                token,
                json!({"url": "https://example.org/hook"}),
            )
            .await;
        assert_problem(&create, Status::Forbidden);
        let ping = app
            .post(
                &format!("/api/v1/webhooks/{webhook}/ping"),
                token,
                json!({}),
            )
            .await;
        assert_problem(&ping, Status::Forbidden);
    }

    // Another organisation's admin finds nothing of it.
    let stranger = app.signup("Initech", "bill@initech.test").await;
    let token = Some(stranger.token.as_str());
    let theirs = app.get("/api/v1/webhooks", token).await;
    assert_eq!(theirs.status, Status::Ok);
    assert_eq!(theirs.body["items"], json!([]));
    for path in [
        format!("/api/v1/webhooks/{webhook}"),
        format!("/api/v1/webhooks/{webhook}/deliveries"),
    ] {
        assert_problem(&app.get(&path, token).await, Status::NotFound);
    }
    let patch = app
        .patch(
            &format!("/api/v1/webhooks/{webhook}"),
            token,
            None,
            json!({"active": false}),
        )
        .await;
    assert_problem(&patch, Status::NotFound);
    let ping = app
        .post(
            &format!("/api/v1/webhooks/{webhook}/ping"),
            token,
            json!({}),
        )
        .await;
    assert_problem(&ping, Status::NotFound);
    assert_problem(
        &app.delete(&format!("/api/v1/webhooks/{webhook}"), token, None)
            .await,
        Status::NotFound,
    );
    let mine = app
        .get(
            &format!("/api/v1/webhooks/{webhook}"),
            Some(&hooks.pair.admin.token),
        )
        .await;
    assert_eq!(mine.status, Status::Ok);
    assert_eq!(mine.body["active"], true, "untouched");
}

#[rocket::async_test]
async fn a_generated_secret_is_shown_once_when_created_and_never_in_lists_or_the_audit_log() {
    let hooks = Hooks::allowing_private().await;
    let admin = Some(hooks.pair.admin.token.as_str());
    let created = hooks
        .app
        .post(
            "/api/v1/webhooks",
            admin,
            json!({"url": "https://hooks.example.org/services/T0/B0/path-token"}),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let secret = created.body["secret"]
        .as_str()
        .expect("the secret")
        .to_owned();
    assert_eq!(secret.len(), 64, "32 random bytes as hex: {secret}");
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
    let hint = format!("…{}", &secret[60..]);
    assert_eq!(created.body["secret_hint"], hint);
    assert_eq!(created.body["events"], json!(["*"]));
    assert_eq!(created.body["format"], "json");
    assert_eq!(created.etag.as_deref(), Some("\"1\""));
    let id = int(&created.body["id"]);

    let list = hooks.app.get("/api/v1/webhooks", admin).await;
    let show = hooks
        .app
        .get(&format!("/api/v1/webhooks/{id}"), admin)
        .await;
    let audit = hooks.app.get("/api/v1/events?entity=webhook", admin).await;
    assert_eq!(audit.status, Status::Ok, "{}", audit.body);
    assert_eq!(list.body["items"][0]["secret_hint"], hint);
    assert!(list.body["items"][0].get("secret").is_none());
    assert!(show.body.get("secret").is_none());
    for answer in [&list, &show, &audit] {
        let text = answer.body.to_string();
        assert!(!text.contains(&secret), "the secret shows in {text}");
    }
    // The audit log names the target by its origin: the path may be a token.
    let event = &audit.body["items"][0];
    assert_eq!(event["kind"], "webhook.created");
    assert_eq!(event["data"]["target"], "https://hooks.example.org");
    assert!(!audit.body.to_string().contains("path-token"));
}

#[rocket::async_test]
async fn bad_input_is_refused_whole_in_one_422_and_changes_nothing() {
    let hooks = Hooks::allowing_private().await;
    let admin = Some(hooks.pair.admin.token.as_str());
    let refused = hooks
        .app
        .post(
            "/api/v1/webhooks",
            admin,
            json!({"url": "ftp://example.org/hook", "events": ["forecast_late", "lunch"],
                   "secret": "short", "format": "xml"}),
        )
        .await;
    assert_problem(&refused, Status::UnprocessableEntity);
    for field in ["url", "events", "secret", "format"] {
        assert!(
            refused.body["errors"][field].is_array(),
            "{field}: {}",
            refused.body
        );
    }
    for body in [
        json!({"url": "https://example.org/", "events": []}),
        json!({"url": "https://example.org/", "colour": "red"}),
        json!({"events": ["*"]}),
        json!({"url": "file:///etc/passwd"}),
    ] {
        let answer = hooks.app.post("/api/v1/webhooks", admin, body).await;
        assert_problem(&answer, Status::UnprocessableEntity);
    }
    let list = hooks.app.get("/api/v1/webhooks", admin).await;
    assert_eq!(list.body["items"], json!([]), "nothing was made");

    let webhook = hooks.create("/hook", json!({"events": ["overdue"]})).await;
    let path = format!("/api/v1/webhooks/{webhook}");
    let bad = hooks
        .app
        .patch(
            &path,
            admin,
            Some("\"1\""),
            json!({"events": ["overdue", "lunch"], "url": "gopher://x"}),
        )
        .await;
    assert_problem(&bad, Status::UnprocessableEntity);
    let stale = hooks
        .app
        .patch(&path, admin, Some("\"7\""), json!({"active": false}))
        .await;
    assert_problem(&stale, Status::PreconditionFailed);
    let unchanged = hooks.app.get(&path, admin).await;
    assert_eq!(unchanged.body["version"], 1);
    assert_eq!(unchanged.body["events"], json!(["overdue"]));
    assert_eq!(unchanged.body["active"], true);

    let changed = hooks
        .app
        .patch(
            &path,
            admin,
            Some("\"1\""),
            json!({"events": ["*"], "format": "slack"}),
        )
        .await;
    assert_eq!(changed.status, Status::Ok, "{}", changed.body);
    assert_eq!(changed.etag.as_deref(), Some("\"2\""));
    assert_eq!(changed.body["events"], json!(["*"]));
    assert_eq!(changed.body["format"], "slack");
}

#[rocket::async_test]
async fn deleting_a_webhook_drops_what_was_pending_for_it() {
    let hooks = Hooks::allowing_private().await;
    let webhook = hooks.create("/hook", json!({})).await;
    hooks.late_forecast().await;
    let path = format!("/api/v1/webhooks/{webhook}");
    let admin = Some(hooks.pair.admin.token.as_str());
    let stale = hooks.app.delete(&path, admin, Some("\"3\"")).await;
    assert_problem(&stale, Status::PreconditionFailed);
    let deleted = hooks.app.delete(&path, admin, Some("\"1\"")).await;
    assert_eq!(deleted.status, Status::NoContent, "{}", deleted.body);
    assert_problem(&hooks.app.get(&path, admin).await, Status::NotFound);
    assert_eq!(hooks.dispatch(Utc::now()).await, Dispatched::default());
    assert!(hooks.receiver.calls().is_empty());
}

#[rocket::async_test]
async fn a_promise_turning_late_reaches_a_webhook_with_the_promise_and_its_link() {
    let hooks = Hooks::allowing_private().await;
    hooks
        .create("/promises", json!({"events": ["commitment_endangered"]}))
        .await;
    let now = Utc::now();
    let request = int(&hooks
        .app
        .log_request(
            &hooks.pair.sales_staff,
            hooks.agreement,
            &now.to_rfc3339(),
            &[],
        )
        .await["id"]);
    let promised = now + TimeDelta::days(5);
    let commitment = hooks
        .app
        .post(
            "/api/v1/commitments",
            Some(&hooks.pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": promised.to_rfc3339(),
                   "owner_department_id": hooks.pair.sales, "depends_on": [request]}),
        )
        .await;
    assert_eq!(commitment.status, Status::Created, "{}", commitment.body);
    let commitment = int(&commitment.body["id"]);
    let far = (now + TimeDelta::days(30)).to_rfc3339();
    let forecast = hooks
        .app
        .act(
            &hooks.pair.legal_staff,
            request,
            "forecast",
            json!({"expected_at": far, "reason": "a judge's ruling"}),
        )
        .await;
    assert_eq!(forecast.status, Status::Ok, "{}", forecast.body);

    assert_eq!(hooks.dispatch(Utc::now()).await.sent, 1);
    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 1, "the promise's event only");
    assert!(calls[0].signature_valid);
    let body = calls[0].json();
    assert_eq!(body["event"], "commitment_endangered");
    assert!(body["request"].is_null());
    assert_eq!(body["commitment"]["id"], commitment);
    assert_eq!(body["commitment"]["title"], "Go-live");
    assert_eq!(body["commitment"]["customer_name"], "Globex");
    assert_eq!(
        body["commitment"]["link"],
        format!("https://baton.example.org/commitments/{commitment}")
    );
}

#[rocket::async_test]
async fn a_review_scheduled_reaches_a_webhook_with_the_review_and_its_link() {
    let hooks = Hooks::allowing_private().await;
    hooks
        .create("/reviews", json!({"events": ["review_scheduled"]}))
        .await;
    let at = (Utc::now() + TimeDelta::days(3)).to_rfc3339();
    let review = hooks
        .app
        .post(
            "/api/v1/reviews",
            Some(&hooks.pair.sales_lead.token),
            json!({"department_ids": [hooks.pair.legal, hooks.pair.sales], "scheduled_at": at,
                   "duration_minutes": 45, "every_weeks": 4,
                   "attendee_user_ids": [hooks.pair.legal_lead.user_id, hooks.pair.sales_staff.user_id]}),
        )
        .await;
    assert_eq!(review.status, Status::Created, "{}", review.body);
    let review = int(&review.body["id"]);

    assert_eq!(hooks.dispatch(Utc::now()).await.sent, 1);
    let calls = hooks.receiver.calls();
    assert_eq!(calls.len(), 1, "one event for its two attendees");
    assert!(calls[0].signature_valid);
    let body = calls[0].json();
    assert_eq!(body["event"], "review_scheduled");
    assert_eq!(body["review"]["id"], review);
    assert_eq!(body["review"]["duration_minutes"], 45);
    assert_eq!(
        body["review"]["link"],
        format!("https://baton.example.org/reviews/{review}")
    );
    assert!(body["request"].is_null() && body["commitment"].is_null());
}
