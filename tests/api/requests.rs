//! Internal requests through HTTP: the whole lifecycle on both sides, pause
//! arithmetic, lateness, rework, dependencies and the event record.
//! Legal's calendar is the default Mon–Fri 09:00–17:00, Europe/Berlin (UTC+1
//! in March 2026).

use crate::common;

use crate::common::{assert_problem, id_of, instant, int, spawn_app};
use rocket::http::Status;
use serde_json::{Value, json};

const MONDAY_9: &str = "2026-03-02T09:00:00+01:00";

fn kinds(events: &Value) -> Vec<String> {
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[rocket::async_test]
async fn a_request_goes_through_its_whole_life_and_every_step_is_on_the_record() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let logged = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await;
    let id = int(&logged["id"]);
    assert_eq!(logged["status"], "open");
    assert_eq!(logged["clock_start"], "2026-03-02T08:00:00Z");
    assert_eq!(logged["due_at"], "2026-03-03T16:00:00Z", "Tuesday 17:00");
    assert_eq!(logged["provider_department_id"], pair.legal);
    assert_eq!(logged["customer_department_id"], pair.sales);
    assert_eq!(logged["on_time"], json!(null));

    let started = app
        .act(&pair.legal_staff, id, "start", json!({"at": MONDAY_9}))
        .await;
    assert_eq!(started.body["status"], "in_progress");
    // Paused Monday 15:00 to Tuesday 11:00: 2 + 2 working hours, so the due
    // moves from Tuesday 17:00 to Wednesday 13:00.
    let paused = app
        .act(
            &pair.legal_staff,
            id,
            "pause",
            json!({"reason": "waiting for the signed draft", "at": "2026-03-02T15:00:00+01:00"}),
        )
        .await;
    assert_eq!(paused.status, Status::Ok, "{}", paused.body);
    assert_eq!(paused.body["status"], "waiting_on_customer");
    let resumed = app
        .act(
            &pair.legal_staff,
            id,
            "resume",
            json!({"at": "2026-03-03T11:00:00+01:00"}),
        )
        .await;
    assert_eq!(resumed.body["status"], "in_progress");
    assert_eq!(resumed.body["due_at"], "2026-03-04T12:00:00Z");

    let forecast = app
        .act(&pair.legal_staff, id, "forecast", json!({"expected_at": "2026-03-04T14:30:00+01:00", "reason": "partner review", "at": "2026-03-03T12:00:00+01:00"}))
        .await;
    assert_eq!(forecast.body["expected_at"], "2026-03-04T13:30:00Z");

    let delivered = app
        .act(
            &pair.legal_staff,
            id,
            "deliver",
            json!({"at": "2026-03-04T14:30:00+01:00"}),
        )
        .await;
    assert_eq!(delivered.status, Status::Ok, "{}", delivered.body);
    assert_eq!(delivered.body["status"], "delivered");
    assert_eq!(delivered.body["lateness_minutes"], 90);
    assert_eq!(delivered.body["on_time"], false);

    let accepted = app.act(&pair.sales_staff, id, "accept", json!({})).await;
    assert_eq!(accepted.body["status"], "accepted");
    let rated = app
        .act(
            &pair.sales_staff,
            id,
            "rating",
            json!({"score": 8, "comment": "Thorough, a little late"}),
        )
        .await;
    assert_eq!(
        rated.body["rating"],
        json!({"score": 8, "comment": "Thorough, a little late"})
    );

    let events = app
        .get(
            &format!("/api/v1/requests/{id}/events"),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(
        kinds(&events.body),
        [
            "logged",
            "overdue",
            "started",
            "paused",
            "resumed",
            "forecast",
            "delivered",
            "accepted",
            "rated"
        ]
    );
    let list = events.body.as_array().unwrap();
    assert_eq!(list[0]["actor_user_id"], pair.sales_staff.user_id);
    assert_eq!(list[0]["at"], "2026-03-02T08:00:00Z");
    assert_eq!(
        list[1]["actor_user_id"],
        json!(null),
        "Baton itself noticed the overdue"
    );
    assert_eq!(list[3]["data"]["reason"], "waiting for the signed draft");
    assert_eq!(list[3]["at"], "2026-03-02T14:00:00Z");
    assert_eq!(list[6]["actor_user_id"], pair.legal_staff.user_id);
    assert_eq!(list[6]["data"]["lateness_minutes"], 90);
    for event in list {
        assert!(
            instant(&event["recorded_at"]) >= instant(&event["at"]),
            "{event}"
        );
    }
}

#[rocket::async_test]
async fn lateness_is_negative_when_early_and_zero_when_late_outside_working_hours() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let cases = [
        // (delivered at, lateness, on time)
        ("2026-03-03T10:00:00+01:00", -420, true),
        ("2026-03-03T17:00:00+01:00", 0, true),
        ("2026-03-03T18:00:00+01:00", 0, false),
        ("2026-03-04T10:00:00+01:00", 60, false),
    ];
    for (delivered_at, lateness, on_time) in cases {
        let id = app
            .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
            .await["id"]
            .as_i64()
            .unwrap();
        app.act(&pair.legal_staff, id, "start", json!({"at": MONDAY_9}))
            .await;
        let done = app
            .act(
                &pair.legal_staff,
                id,
                "deliver",
                json!({"at": delivered_at}),
            )
            .await;
        assert_eq!(done.body["lateness_minutes"], lateness, "{delivered_at}");
        assert_eq!(done.body["on_time"], on_time, "{delivered_at}");
    }
}

#[rocket::async_test]
async fn reopened_work_keeps_its_original_due_and_lateness_counts_to_the_final_delivery() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    app.act(&pair.legal_staff, id, "start", json!({"at": MONDAY_9}))
        .await;
    let early = app
        .act(
            &pair.legal_staff,
            id,
            "deliver",
            json!({"at": "2026-03-03T10:00:00+01:00"}),
        )
        .await;
    assert_eq!(early.body["on_time"], true);
    let reopened = app
        .act(
            &pair.sales_staff,
            id,
            "reopen",
            json!({"reason": "clause 7 missing", "at": "2026-03-03T11:00:00+01:00"}),
        )
        .await;
    assert_eq!(reopened.body["status"], "reopened");
    assert_eq!(reopened.body["on_time"], json!(null));
    assert_eq!(reopened.body["due_at"], "2026-03-03T16:00:00Z");
    app.act(
        &pair.legal_staff,
        id,
        "start",
        json!({"at": "2026-03-03T11:00:00+01:00"}),
    )
    .await;
    let final_delivery = app
        .act(
            &pair.legal_staff,
            id,
            "deliver",
            json!({"at": "2026-03-04T10:00:00+01:00"}),
        )
        .await;
    assert_eq!(final_delivery.body["lateness_minutes"], 60);
    assert_eq!(final_delivery.body["on_time"], false);
}

#[rocket::async_test]
async fn every_transition_outside_the_state_machine_is_409() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let provider = &pair.legal_staff;
    let customer = &pair.sales_staff;
    let reason = json!({"reason": "because"});
    let forecast = json!({"expected_at": "2026-03-05T09:00:00Z", "reason": "busy"});
    let rating = json!({"score": 5, "comment": ""});

    // From open.
    let open = app.log_request(customer, agreement, MONDAY_9, &[]).await["id"]
        .as_i64()
        .unwrap();
    for (who, action, body) in [
        (provider, "resume", json!({})),
        (provider, "deliver", json!({})),
        (customer, "accept", json!({})),
        (customer, "reopen", reason.clone()),
        (customer, "rating", rating.clone()),
    ] {
        assert_problem(&app.act(who, open, action, body).await, Status::Conflict);
    }
    // From in progress.
    app.act(provider, open, "start", json!({})).await;
    for (who, action, body) in [
        (provider, "start", json!({})),
        (provider, "resume", json!({})),
        (customer, "accept", json!({})),
    ] {
        assert_problem(&app.act(who, open, action, body).await, Status::Conflict);
    }
    // From waiting on the customer.
    app.act(provider, open, "pause", reason.clone()).await;
    for (who, action, body) in [
        (provider, "start", json!({})),
        (provider, "pause", reason.clone()),
        (provider, "deliver", json!({})),
    ] {
        assert_problem(&app.act(who, open, action, body).await, Status::Conflict);
    }
    // From delivered and accepted.
    app.act(provider, open, "resume", json!({})).await;
    app.act(provider, open, "deliver", json!({})).await;
    for (who, action, body) in [
        (provider, "deliver", json!({})),
        (provider, "forecast", forecast.clone()),
        (provider, "pause", reason.clone()),
        (customer, "cancel", reason.clone()),
    ] {
        assert_problem(&app.act(who, open, action, body).await, Status::Conflict);
    }
    app.act(customer, open, "rating", rating.clone()).await;
    assert_problem(
        &app.act(customer, open, "rating", rating.clone()).await,
        Status::Conflict,
    );
    app.act(customer, open, "accept", json!({})).await;
    assert_problem(
        &app.act(customer, open, "reopen", reason.clone()).await,
        Status::Conflict,
    );
    // From cancelled.
    let cancelled = app.log_request(customer, agreement, MONDAY_9, &[]).await["id"]
        .as_i64()
        .unwrap();
    app.act(customer, cancelled, "cancel", reason.clone()).await;
    for (who, action, body) in [
        (provider, "start", json!({})),
        (provider, "forecast", forecast.clone()),
        (customer, "cancel", reason.clone()),
    ] {
        assert_problem(
            &app.act(who, cancelled, action, body).await,
            Status::Conflict,
        );
    }
    let events = app
        .get(
            &format!("/api/v1/requests/{cancelled}/events"),
            Some(&customer.token),
        )
        .await;
    assert_eq!(
        kinds(&events.body),
        ["logged", "overdue", "cancelled"],
        "refusals log nothing"
    );
}

#[rocket::async_test]
async fn each_side_makes_only_its_own_moves() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    for who in [&pair.sales_staff, &pair.sales_lead, &pair.leader] {
        assert_problem(
            &app.act(who, id, "start", json!({})).await,
            Status::Forbidden,
        );
    }
    app.act(&pair.legal_lead, id, "start", json!({})).await;
    app.act(&pair.legal_lead, id, "deliver", json!({})).await;
    for who in [&pair.legal_staff, &pair.legal_lead, &pair.leader] {
        assert_problem(
            &app.act(who, id, "accept", json!({})).await,
            Status::Forbidden,
        );
        assert_problem(
            &app.act(who, id, "rating", json!({"score": 9})).await,
            Status::Forbidden,
        );
    }
    let accepted = app.act(&pair.sales_lead, id, "accept", json!({})).await;
    assert_eq!(accepted.body["status"], "accepted");
}

#[rocket::async_test]
async fn the_customer_side_logs_requests_and_only_under_active_agreements() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let body = json!({"agreement_id": agreement, "title": "NDA"});
    for who in [&pair.legal_staff, &pair.legal_lead] {
        let answer = app
            .post("/api/v1/requests", Some(&who.token), body.clone())
            .await;
        assert_problem(&answer, Status::Forbidden);
    }
    for who in [
        &pair.sales_staff,
        &pair.sales_lead,
        &pair.leader,
        &pair.admin,
    ] {
        let answer = app
            .post("/api/v1/requests", Some(&who.token), body.clone())
            .await;
        assert_eq!(answer.status, Status::Created, "{}", answer.body);
    }
    app.post(
        &format!("/api/v1/agreements/{agreement}/retire"),
        Some(&pair.legal_lead.token),
        json!({}),
    )
    .await;
    let retired = app
        .post("/api/v1/requests", Some(&pair.sales_staff.token), body)
        .await;
    assert_problem(&retired, Status::Conflict);
}

#[rocket::async_test]
async fn bad_request_fields_are_422_and_create_nothing() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let future = (chrono::Utc::now() + chrono::TimeDelta::minutes(10)).to_rfc3339();
    let other = app.signup("Globex", "gil@globex.test").await;
    let _ = other;
    for (body, field) in [
        (
            json!({"agreement_id": agreement, "title": "x", "requested_at": future}),
            "requested_at",
        ),
        (json!({"agreement_id": agreement, "title": ""}), "title"),
        (
            json!({"agreement_id": agreement, "title": "x", "depends_on": [999_999]}),
            "depends_on",
        ),
        (
            json!({"agreement_id": 999_999, "title": "x"}),
            "agreement_id",
        ),
        (
            json!({"agreement_id": agreement, "title": "x", "requested_at": "tomorrow"}),
            "requested_at",
        ),
        (
            json!({"agreement_id": agreement, "title": "x", "priority": "high"}),
            "priority",
        ),
    ] {
        let answer = app
            .post(
                "/api/v1/requests",
                Some(&pair.sales_staff.token),
                body.clone(),
            )
            .await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(
            answer.body["errors"][field].is_array(),
            "{body}: {}",
            answer.body
        );
    }
    let listed = app.get("/api/v1/requests", Some(&pair.admin.token)).await;
    assert_eq!(listed.body["items"], json!([]));
}

#[rocket::async_test]
async fn declared_times_may_not_lie_in_the_future_or_before_the_previous_change() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let before_logging = app
        .act(
            &pair.legal_staff,
            id,
            "start",
            json!({"at": "2026-03-01T09:00:00+01:00"}),
        )
        .await;
    assert_problem(&before_logging, Status::UnprocessableEntity);
    assert!(before_logging.body["errors"]["at"].is_array());
    let future = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let in_future = app
        .act(&pair.legal_staff, id, "start", json!({"at": future}))
        .await;
    assert_problem(&in_future, Status::UnprocessableEntity);
    let request = app
        .get(
            &format!("/api/v1/requests/{id}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(request.body["status"], "open");
}

#[rocket::async_test]
async fn a_repeated_post_with_the_same_idempotency_key_returns_the_same_request() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let body =
        json!({"agreement_id": agreement, "title": "NDA for Globex", "requested_at": MONDAY_9});
    let post = |key: &'static str, body: Value| {
        app.client
            .post("/api/v1/requests")
            .header(rocket::http::ContentType::JSON)
            .header(rocket::http::Header::new(
                "Authorization",
                format!("Bearer {}", pair.sales_staff.token),
            ))
            .header(rocket::http::Header::new("Idempotency-Key", key))
            .body(body.to_string())
    };
    let first = app.send(post("order-42", body.clone())).await;
    let second = app.send(post("order-42", body.clone())).await;
    assert_eq!(first.status, Status::Created);
    assert_eq!(second.status, Status::Created);
    assert_eq!(first.body["id"], second.body["id"]);
    let different = app
        .send(post(
            "order-42",
            json!({"agreement_id": agreement, "title": "Another"}),
        ))
        .await;
    assert_problem(&different, Status::UnprocessableEntity);
    let listed = app
        .get("/api/v1/requests", Some(&pair.sales_staff.token))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let other_key = app.send(post("order-43", body)).await;
    assert_ne!(other_key.body["id"], first.body["id"]);
}

#[rocket::async_test]
async fn a_stale_if_match_is_412() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let logged = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await;
    let id = int(&logged["id"]);
    let path = format!("/api/v1/requests/{id}");
    let read = app.get(&path, Some(&pair.sales_staff.token)).await;
    let etag = read.etag.clone().unwrap();
    app.act(&pair.legal_staff, id, "start", json!({})).await;
    let stale = app
        .patch(
            &path,
            Some(&pair.sales_staff.token),
            Some(&etag),
            json!({"title": "Renamed"}),
        )
        .await;
    assert_problem(&stale, Status::PreconditionFailed);
    let stale_transition = app
        .send(
            app.client
                .post(format!("/api/v1/requests/{id}/pause"))
                .header(rocket::http::ContentType::JSON)
                .header(rocket::http::Header::new(
                    "Authorization",
                    format!("Bearer {}", pair.legal_staff.token),
                ))
                .header(rocket::http::Header::new("If-Match", etag))
                .body(r#"{"reason": "x"}"#),
        )
        .await;
    assert_problem(&stale_transition, Status::PreconditionFailed);
    let fresh = app.get(&path, Some(&pair.sales_staff.token)).await;
    assert_eq!(fresh.body["title"], "NDA for Globex");
    assert_eq!(fresh.body["status"], "in_progress");
}

#[rocket::async_test]
async fn a_dependency_delays_the_clock_start_and_moves_when_upstream_moves() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let upstream = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await;
    let a = int(&upstream["id"]);
    let downstream = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[a])
        .await;
    let b = int(&downstream["id"]);
    assert_eq!(downstream["depends_on"], json!([a]));
    assert_eq!(
        downstream["ready_at"], "2026-03-03T16:00:00Z",
        "A is due Tuesday 17:00"
    );
    assert_eq!(downstream["clock_start"], "2026-03-04T08:00:00Z");
    assert_eq!(downstream["due_at"], "2026-03-05T16:00:00Z");

    let started = app
        .act(&pair.legal_staff, a, "start", json!({"at": MONDAY_9}))
        .await;
    assert_eq!(started.status, Status::Ok, "{}", started.body);
    let forecast = app
        .act(&pair.legal_staff, a, "forecast", json!({"expected_at": "2026-03-04T12:00:00+01:00", "reason": "swamped", "at": "2026-03-03T09:00:00+01:00"}))
        .await;
    assert_eq!(forecast.status, Status::Ok, "{}", forecast.body);
    let unmoved = app
        .get(
            &format!("/api/v1/requests/{b}"),
            Some(&pair.sales_staff.token),
        )
        .await;
    // A forecast is a prediction: the projection shows it, the due stays.
    assert_eq!(unmoved.body["ready_at"], "2026-03-03T16:00:00Z");
    assert_eq!(unmoved.body["due_at"], "2026-03-05T16:00:00Z");

    let delivered = app
        .act(
            &pair.legal_staff,
            a,
            "deliver",
            json!({"at": "2026-03-04T10:00:00+01:00"}),
        )
        .await;
    assert_eq!(delivered.status, Status::Ok, "{}", delivered.body);
    let settled = app
        .get(
            &format!("/api/v1/requests/{b}"),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(settled.body["due_at"], "2026-03-06T09:00:00Z");
    let events = app
        .get(
            &format!("/api/v1/requests/{b}/events"),
            Some(&pair.sales_staff.token),
        )
        .await;
    let moves: Vec<_> = events
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "due_moved")
        .collect();
    assert_eq!(moves.len(), 1, "only the delivery moved it");
    assert_eq!(moves[0]["data"]["from"], "2026-03-05T16:00:00Z");
    assert_eq!(moves[0]["data"]["to"], "2026-03-06T09:00:00Z");
}

#[rocket::async_test]
async fn a_dependency_that_would_close_a_cycle_is_refused_naming_the_cycle() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let a = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let b = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[a])
        .await["id"]
        .as_i64()
        .unwrap();
    let c = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[b])
        .await["id"]
        .as_i64()
        .unwrap();
    let answer = app
        .patch(
            &format!("/api/v1/requests/{a}"),
            Some(&pair.sales_staff.token),
            None,
            json!({"depends_on": [c]}),
        )
        .await;
    assert_problem(&answer, Status::UnprocessableEntity);
    let message = answer.body["errors"]["depends_on"][0].as_str().unwrap();
    assert!(
        message.contains(&format!("{a} → {c} → {b} → {a}")),
        "{message}"
    );
    let itself = app
        .patch(
            &format!("/api/v1/requests/{a}"),
            Some(&pair.sales_staff.token),
            None,
            json!({"depends_on": [a]}),
        )
        .await;
    assert_problem(&itself, Status::UnprocessableEntity);
    let unchanged = app
        .get(
            &format!("/api/v1/requests/{a}"),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(unchanged.body["depends_on"], json!([]));
}

#[rocket::async_test]
async fn staff_see_only_requests_touching_their_department() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let ops = app.create_department(&pair.admin, "OPS").await;
    let outsider = app
        .create_user(&pair.admin, "otto@acme.test", "staff", Some(ops))
        .await;
    assert_problem(
        &app.get(&format!("/api/v1/requests/{id}"), Some(&outsider.token))
            .await,
        Status::NotFound,
    );
    assert_problem(
        &app.get(
            &format!("/api/v1/requests/{id}/events"),
            Some(&outsider.token),
        )
        .await,
        Status::NotFound,
    );
    assert_problem(
        &app.act(&outsider, id, "cancel", json!({"reason": "x"}))
            .await,
        Status::NotFound,
    );
    let listed = app.get("/api/v1/requests", Some(&outsider.token)).await;
    assert_eq!(listed.body["items"], json!([]));
    for who in [
        &pair.legal_staff,
        &pair.sales_lead,
        &pair.leader,
        &pair.admin,
    ] {
        let listed = app.get("/api/v1/requests", Some(&who.token)).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    }
    let other_org = app.signup("Globex", "gil@globex.test").await;
    assert_problem(
        &app.get(&format!("/api/v1/requests/{id}"), Some(&other_org.token))
            .await,
        Status::NotFound,
    );
}

#[rocket::async_test]
async fn lists_filter_by_status_department_overdue_and_due() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let old = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let fresh = app
        .log_request(
            &pair.sales_staff,
            agreement,
            &chrono::Utc::now().to_rfc3339(),
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.act(&pair.legal_staff, fresh, "start", json!({})).await;
    let ids = |body: &Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| int(&r["id"]))
            .collect()
    };
    let token = Some(pair.admin.token.as_str());
    assert_eq!(
        ids(&app.get("/api/v1/requests?overdue=true", token).await.body),
        [old]
    );
    assert_eq!(
        ids(&app.get("/api/v1/requests?overdue=false", token).await.body),
        [fresh]
    );
    assert_eq!(
        ids(&app
            .get("/api/v1/requests?status=in_progress", token)
            .await
            .body),
        [fresh]
    );
    assert_eq!(
        ids(&app
            .get("/api/v1/requests?due_before=2026-04-01T00:00:00Z", token)
            .await
            .body),
        [old]
    );
    assert_eq!(
        ids(&app
            .get("/api/v1/requests?due_after=2026-04-01T00:00:00Z", token)
            .await
            .body),
        [fresh]
    );
    let by_provider = format!(
        "/api/v1/requests?provider={}&customer={}&agreement={agreement}",
        pair.legal, pair.sales
    );
    assert_eq!(ids(&app.get(&by_provider, token).await.body), [old, fresh]);
    assert_eq!(
        ids(&app
            .get(&format!("/api/v1/requests?provider={}", pair.sales), token)
            .await
            .body),
        Vec::<i64>::new()
    );
    for bad in [
        "status=lost",
        "overdue=maybe",
        "due_before=soon",
        "provider=legal",
    ] {
        assert_problem(
            &app.get(&format!("/api/v1/requests?{bad}"), token).await,
            Status::UnprocessableEntity,
        );
    }
}

#[rocket::async_test]
async fn a_late_forecast_and_a_passed_due_notify_the_customer_department_at_once() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let now = chrono::Utc::now().to_rfc3339();
    let id = app
        .log_request(&pair.sales_staff, agreement, &now, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let quiet = app
        .get("/api/v1/notifications", Some(&pair.sales_lead.token))
        .await;
    assert_eq!(quiet.body["items"], json!([]));

    let far = (chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339();
    app.act(
        &pair.legal_staff,
        id,
        "forecast",
        json!({"expected_at": far, "reason": "backlog"}),
    )
    .await;
    for who in [&pair.sales_lead, &pair.sales_staff] {
        let inbox = app.get("/api/v1/notifications", Some(&who.token)).await;
        let items = inbox.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", inbox.body);
        assert_eq!(items[0]["kind"], "forecast_late");
        assert_eq!(items[0]["request_id"], id);
        assert!(items[0]["message"].as_str().unwrap().contains("backlog"));
    }
    let provider_inbox = app
        .get("/api/v1/notifications", Some(&pair.legal_lead.token))
        .await;
    assert_eq!(provider_inbox.body["items"], json!([]));

    // A request logged with a due already past is overdue at once.
    let late = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let inbox = app
        .get("/api/v1/notifications", Some(&pair.sales_staff.token))
        .await;
    let items = inbox.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "overdue");
    assert_eq!(items[0]["request_id"], late);

    // Marking read puts unread ones first.
    let first = int(&items[0]["id"]);
    let read = app
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            Some(&pair.sales_staff.token),
            json!({}),
        )
        .await;
    assert!(read.body["read_at"].is_string());
    let inbox = app
        .get("/api/v1/notifications", Some(&pair.sales_staff.token))
        .await;
    assert_eq!(inbox.body["items"][0]["kind"], "forecast_late");
    assert_eq!(inbox.body["items"][1]["id"], first);
    assert_eq!(inbox.body["unread"], 1);
    let someone_elses = app
        .post(
            &format!("/api/v1/notifications/{first}/read"),
            Some(&pair.sales_lead.token),
            json!({}),
        )
        .await;
    assert_problem(&someone_elses, Status::NotFound);
    let all = app
        .post(
            "/api/v1/notifications/read-all",
            Some(&pair.sales_lead.token),
            json!({}),
        )
        .await;
    assert_eq!(all.body["marked"], 2);
}

#[rocket::async_test]
async fn a_request_that_passes_its_due_while_open_notifies_without_anyone_asking() {
    let app = common::spawn_app_with(|config| baton::Config {
        overdue_sweep_seconds: 1,
        ..config
    })
    .await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 1.0, "calendar_hours").await;
    // Due two seconds from now.
    let requested_at = (chrono::Utc::now() - chrono::TimeDelta::seconds(3598)).to_rfc3339();
    let id = app
        .log_request(&pair.sales_staff, agreement, &requested_at, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.get("/api/v1/notifications", Some(&pair.sales_lead.token))
            .await
            .body["items"],
        json!([])
    );
    let mut items = json!([]);
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        items = app
            .get("/api/v1/notifications", Some(&pair.sales_lead.token))
            .await
            .body["items"]
            .clone();
        if !items.as_array().unwrap().is_empty() {
            break;
        }
    }
    assert_eq!(items[0]["kind"], "overdue", "{items}");
    assert_eq!(items[0]["request_id"], id);
    // Only once, however many sweeps pass.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let again = app
        .get("/api/v1/notifications", Some(&pair.sales_lead.token))
        .await;
    assert_eq!(again.body["items"].as_array().unwrap().len(), 1);
}

#[rocket::async_test]
async fn two_people_starting_the_same_request_at_once_get_one_success_and_one_conflict() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    for _ in 0..5 {
        let id = app
            .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
            .await["id"]
            .as_i64()
            .unwrap();
        let (a, b) = tokio::join!(
            app.act(&pair.legal_staff, id, "start", json!({})),
            app.act(&pair.legal_lead, id, "start", json!({})),
        );
        let mut statuses = [a.status.code, b.status.code];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
    }
}

#[rocket::async_test]
async fn a_new_request_answers_its_projected_finish_through_its_late_inputs() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    // Logged back in March and never delivered: by now both are overdue, so
    // nothing can finish before now (SPEC §4's `as_of` floor).
    let upstream = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await;
    let a = int(&upstream["id"]);
    let downstream = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[a])
        .await;
    let b = int(&downstream["id"]);
    let now = chrono::Utc::now();
    assert!(instant(&upstream["projected_finish"]) >= now - chrono::TimeDelta::minutes(1));
    let finish = instant(&downstream["projected_finish"]);
    assert!(
        finish > instant(&upstream["projected_finish"]) && finish > instant(&downstream["due_at"]),
        "the late input pushes the new request past its stored due: {downstream}"
    );
    assert_eq!(downstream["endangered_commitment_ids"], json!([]));
    // The answer to the POST is the projection a read gives.
    let read = app
        .get(
            &format!("/api/v1/requests/{b}"),
            Some(&pair.sales_staff.token),
        )
        .await;
    let drift = (instant(&read.body["projected_finish"]) - finish).abs();
    assert!(
        drift <= chrono::TimeDelta::minutes(1),
        "POST said {finish}, GET says {}",
        read.body["projected_finish"]
    );
}

#[rocket::async_test]
async fn requests_logged_at_the_same_moment_each_get_their_own_answer() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let upstream = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await["id"]
        .as_i64()
        .unwrap();
    // Two deep: requests on it carry a longer upstream cone than those on
    // `upstream` alone, so answers built from a shared read must tell them apart.
    let second = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[upstream])
        .await["id"]
        .as_i64()
        .unwrap();
    let post = |who: &common::Session, body: Value, key: Option<&'static str>| {
        let request = app
            .client
            .post("/api/v1/requests")
            .header(rocket::http::ContentType::JSON)
            .header(rocket::http::Header::new(
                "Authorization",
                format!("Bearer {}", who.token),
            ))
            .body(body.to_string());
        match key {
            Some(key) => request.header(rocket::http::Header::new("Idempotency-Key", key)),
            None => request,
        }
    };
    let input_of = |n: usize| {
        if n.is_multiple_of(2) {
            upstream
        } else {
            second
        }
    };
    let valid = |n: usize| {
        json!({"agreement_id": agreement, "title": format!("Batch {n}"),
               "requested_at": MONDAY_9, "depends_on": [input_of(n)]})
    };

    // Valid and refused requests at once: written together, each answered
    // on its own.
    let mut sent = Vec::new();
    let mut expected = Vec::new();
    for n in 0..12 {
        sent.push(post(&pair.sales_staff, valid(n), None));
        expected.push(Status::Created);
    }
    for (who, body, status) in [
        (
            &pair.sales_staff,
            json!({"agreement_id": agreement, "title": "x", "depends_on": [upstream, 999_999]}),
            Status::UnprocessableEntity,
        ),
        (
            &pair.sales_staff,
            json!({"agreement_id": agreement, "title": ""}),
            Status::UnprocessableEntity,
        ),
        (
            &pair.sales_staff,
            json!({"agreement_id": 999_999, "title": "x"}),
            Status::UnprocessableEntity,
        ),
        (
            &pair.legal_staff,
            json!({"agreement_id": agreement, "title": "x"}),
            Status::Forbidden,
        ),
    ] {
        sent.push(post(who, body, None));
        expected.push(status);
    }
    let answers =
        rocket::futures::future::join_all(sent.into_iter().map(|request| app.send(request))).await;

    for (n, (answer, status)) in answers.iter().zip(&expected).enumerate() {
        assert_eq!(answer.status, *status, "#{n}: {}", answer.body);
    }
    let mut ids = Vec::new();
    for (n, answer) in answers[..12].iter().enumerate() {
        assert_eq!(answer.body["title"], format!("Batch {n}"));
        assert_eq!(answer.body["depends_on"], json!([input_of(n)]));
        let id = id_of(answer);
        let read = app
            .get(
                &format!("/api/v1/requests/{id}"),
                Some(&pair.sales_staff.token),
            )
            .await;
        for field in ["title", "due_at", "clock_start"] {
            assert_eq!(read.body[field], answer.body[field], "#{n}: {field}");
        }
        // The inputs are overdue, so the projection starts from `as_of`
        // (now, in whole seconds) and the read's may be a little later.
        let drift =
            instant(&read.body["projected_finish"]) - instant(&answer.body["projected_finish"]);
        assert!(
            drift >= chrono::TimeDelta::zero() && drift <= chrono::TimeDelta::minutes(1),
            "#{n}: POST said {}, GET says {}",
            answer.body["projected_finish"],
            read.body["projected_finish"]
        );
        assert_eq!(read.body["depends_on"], json!([input_of(n)]));
        let events = app
            .get(
                &format!("/api/v1/requests/{id}/events"),
                Some(&pair.sales_staff.token),
            )
            .await;
        // Logged in March, so overdue the moment it is logged.
        assert_eq!(
            kinds(&events.body),
            ["logged", "overdue"],
            "{}",
            events.body
        );
        ids.push(id);
    }
    // The deeper input starts later, so what waits for it is due later and
    // projected to finish a whole turnaround later.
    assert!(
        instant(&answers[1].body["due_at"]) > instant(&answers[0].body["due_at"]),
        "{} vs {}",
        answers[1].body,
        answers[0].body
    );
    assert!(
        instant(&answers[1].body["projected_finish"])
            > instant(&answers[0].body["projected_finish"]) + chrono::TimeDelta::hours(1),
        "{} vs {}",
        answers[1].body,
        answers[0].body
    );

    // Two at once with one idempotency key: one request, both answered with it.
    let keyed = json!({"agreement_id": agreement, "title": "Keyed", "depends_on": [upstream]});
    let (first, second_try) = rocket::futures::future::join(
        app.send(post(&pair.sales_staff, keyed.clone(), Some("batch-key"))),
        app.send(post(&pair.sales_staff, keyed, Some("batch-key"))),
    )
    .await;
    assert_eq!(first.status, Status::Created, "{}", first.body);
    assert_eq!(second_try.status, Status::Created, "{}", second_try.body);
    assert_eq!(first.body["id"], second_try.body["id"]);
    ids.push(id_of(&first));
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 13, "every request is a row of its own");
    let listed = app
        .get("/api/v1/requests?limit=100", Some(&pair.admin.token))
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 15);
}

#[rocket::async_test]
async fn a_transition_sent_a_json_null_body_acts_as_if_no_body_was_sent() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let logged = app
        .log_request(&pair.sales_staff, agreement, MONDAY_9, &[])
        .await;
    let id = int(&logged["id"]);
    let started = app.act(&pair.legal_staff, id, "start", json!(null)).await;
    assert_eq!(started.status, Status::Ok, "{}", started.body);
    assert_eq!(started.body["status"], "in_progress");
}
