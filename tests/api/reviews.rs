//! Review meetings through HTTP: scheduling, the agenda's figures against a
//! constructed history, holding (exactly once, even under concurrency),
//! action items and their closure notices, the calendar feed, permissions.
//! The departments work around the clock (UTC, 24×7) and the agreements
//! count calendar hours, so lateness is plain elapsed minutes.

use crate::common;

use crate::common::{Session, TestApp, assert_problem, id_of, int, spawn_app};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rocket::http::Status;
use serde_json::{Value, json};

struct Setup {
    admin: Session,
    legal: i64,
    sales: i64,
    ops: i64,
    legal_lead: Session,
    sales_lead: Session,
    sales_staff: Session,
    legal_staff: Session,
    ops_lead: Session,
    agreement: i64,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = app.signup("Acme", "ada@acme.test").await;
    let day = json!([["00:00", "24:00"]]);
    let always = app
        .post(
            "/api/v1/calendars",
            Some(&admin.token),
            json!({"name": "24x7", "timezone": "UTC", "weekly": {"mon": day, "tue": day, "wed": day,
                   "thu": day, "fri": day, "sat": day, "sun": day}}),
        )
        .await;
    let calendar = id_of(&always);
    let mut ids = Vec::new();
    for code in ["LEGAL", "SALES", "OPS"] {
        let answer = app
            .post(
                "/api/v1/departments",
                Some(&admin.token),
                json!({"name": code, "code": code, "calendar_id": calendar}),
            )
            .await;
        ids.push(id_of(&answer));
    }
    let (legal, sales, ops) = (ids[0], ids[1], ids[2]);
    let draft = app
        .post(
            "/api/v1/agreements",
            Some(&admin.token),
            json!({"provider_department_id": legal, "customer_department_id": sales, "title": "Contract review",
                   "deliverable": "Marked-up contract", "definition_of_done": "Signed off",
                   "turnaround": {"amount": 10, "unit": "calendar_hours"}}),
        )
        .await;
    let agreement = id_of(&draft);
    app.post(
        &format!("/api/v1/agreements/{agreement}/propose"),
        Some(&admin.token),
        json!({}),
    )
    .await;
    app.post(
        &format!("/api/v1/agreements/{agreement}/accept"),
        Some(&admin.token),
        json!({}),
    )
    .await;
    Setup {
        legal_lead: app
            .create_user(&admin, "lena@acme.test", "lead", Some(legal))
            .await,
        legal_staff: app
            .create_user(&admin, "lars@acme.test", "staff", Some(legal))
            .await,
        sales_lead: app
            .create_user(&admin, "sara@acme.test", "lead", Some(sales))
            .await,
        sales_staff: app
            .create_user(&admin, "sam@acme.test", "staff", Some(sales))
            .await,
        ops_lead: app
            .create_user(&admin, "otto@acme.test", "lead", Some(ops))
            .await,
        admin,
        legal,
        sales,
        ops,
        agreement,
    }
}

fn at(base: DateTime<Utc>, hours: i64) -> String {
    (base + TimeDelta::hours(hours)).to_rfc3339()
}

/// Logs a request at `base` and works it to delivery `delivered_after`
/// hours later, with the given reasons and rating on the way.
async fn delivered(
    app: &TestApp,
    s: &Setup,
    base: DateTime<Utc>,
    delivered_after: i64,
    forecast_reason: Option<&str>,
    pause_reason: Option<&str>,
    rating: Option<(i64, &str)>,
) -> i64 {
    let id = app
        .log_request(&s.sales_staff, s.agreement, &base.to_rfc3339(), &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let step = |name: &'static str, body: Value| async move {
        let answer = app
            .act(
                if matches!(name, "rating") {
                    &s.sales_staff
                } else {
                    &s.legal_staff
                },
                id,
                name,
                body,
            )
            .await;
        assert_eq!(answer.status, Status::Ok, "{name}: {}", answer.body);
    };
    step("start", json!({"at": at(base, 0)})).await;
    if let Some(reason) = forecast_reason {
        step(
            "forecast",
            json!({"expected_at": at(base, delivered_after), "reason": reason, "at": at(base, 1)}),
        )
        .await;
    }
    if let Some(reason) = pause_reason {
        step("pause", json!({"reason": reason, "at": at(base, 1)})).await;
        step("resume", json!({"at": at(base, 1)})).await;
    }
    step("deliver", json!({"at": at(base, delivered_after)})).await;
    if let Some((score, comment)) = rating {
        step("rating", json!({"score": score, "comment": comment})).await;
    }
    id
}

async fn schedule(
    app: &TestApp,
    who: &Session,
    s: &Setup,
    when: DateTime<Utc>,
    every_weeks: i64,
) -> common::Answer {
    app.post(
        "/api/v1/reviews",
        Some(&who.token),
        json!({"department_ids": [s.sales, s.legal], "scheduled_at": when.to_rfc3339(), "duration_minutes": 45,
               "every_weeks": every_weeks, "attendee_user_ids": [s.legal_lead.user_id, s.sales_lead.user_id]}),
    )
    .await
}

#[rocket::async_test]
async fn the_agenda_shows_how_each_side_served_the_other_since_the_last_review() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let base = (Utc::now() - TimeDelta::days(20))
        .duration_trunc(TimeDelta::hours(1))
        .unwrap();
    // Due after 10 hours: early by 2 h, exactly on the due second, late by 3 h
    // (after a forecast), late by 1 h (after a pause of no working time).
    delivered(&app, &s, base, 8, None, None, Some((9, "great"))).await;
    delivered(&app, &s, base, 10, None, None, Some((7, " "))).await;
    let late = delivered(
        &app,
        &s,
        base,
        13,
        Some("short-staffed"),
        None,
        Some((4, "late again")),
    )
    .await;
    let paused = delivered(&app, &s, base, 11, None, Some("missing input"), None).await;
    // Cancelled, and delivered before the window: neither counts.
    let cancelled = app
        .log_request(&s.sales_staff, s.agreement, &base.to_rfc3339(), &[])
        .await["id"]
        .as_i64()
        .unwrap();
    app.act(
        &s.sales_staff,
        cancelled,
        "cancel",
        json!({"reason": "not needed"}),
    )
    .await;
    delivered(
        &app,
        &s,
        Utc::now() - TimeDelta::days(100),
        1,
        None,
        None,
        None,
    )
    .await;

    let review = schedule(&app, &s.legal_lead, &s, Utc::now() + TimeDelta::days(1), 4).await;
    assert_eq!(review.status, Status::Created, "{}", review.body);
    let id = id_of(&review);
    let agenda = app
        .get(
            &format!("/api/v1/reviews/{id}/agenda"),
            Some(&s.sales_staff.token),
        )
        .await;
    assert_eq!(agenda.status, Status::Ok, "{}", agenda.body);
    let row = &agenda.body["agreements"][0];
    assert_eq!(row["agreement_id"], s.agreement);
    assert_eq!(row["delivered"], 4);
    assert_eq!(row["on_time"], 2);
    assert_eq!(row["on_time_pct"], 50.0);
    assert_eq!(row["target_pct"], 90);
    assert_eq!(row["meets_target"], false);
    assert_eq!(row["median_lateness_minutes"], 0);
    assert_eq!(row["worst_lateness_minutes"], 180);
    assert_eq!(row["avg_rating"], 6.7);
    assert_eq!(row["comments"], json!(["great", "late again"]));
    assert_eq!(
        row["worst_misses"],
        json!([
            {"request_id": late, "title": "NDA for Globex", "lateness_minutes": 180, "reasons": ["forecast: short-staffed"]},
            {"request_id": paused, "title": "NDA for Globex", "lateness_minutes": 60, "reasons": ["paused: missing input"]},
        ])
    );
    let window_days = {
        let from: DateTime<Utc> = agenda.body["window"]["from"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let to: DateTime<Utc> = agenda.body["window"]["to"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        (to - from).num_days()
    };
    assert_eq!(window_days, 90, "no earlier review: the last 90 days");
}

#[rocket::async_test]
async fn holding_a_review_records_it_and_schedules_the_next_exactly_once() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let when = (Utc::now() - TimeDelta::hours(1))
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap();
    let id = schedule(&app, &s.sales_lead, &s, when, 2).await.body["id"]
        .as_i64()
        .unwrap();
    let body = json!({"minutes": "Went through the misses", "decisions": ["Legal adds a second reviewer"]});
    let path = format!("/api/v1/reviews/{id}/hold");
    let (first, second) = tokio::join!(
        app.post(&path, Some(&s.sales_lead.token), body.clone()),
        app.post(&path, Some(&s.legal_lead.token), body.clone()),
    );
    let mut statuses = [first.status.code, second.status.code];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", first.body, second.body);
    let held = if first.status == Status::Ok {
        first
    } else {
        second
    };
    assert_eq!(held.body["status"], "held");
    assert_eq!(
        held.body["decisions"],
        json!(["Legal adds a second reviewer"])
    );
    let next_id = int(&held.body["next_review_id"]);
    let next = app
        .get(
            &format!("/api/v1/reviews/{next_id}"),
            Some(&s.sales_staff.token),
        )
        .await;
    let scheduled: DateTime<Utc> = next.body["scheduled_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(scheduled, when + TimeDelta::weeks(2));
    assert_eq!(next.body["status"], "scheduled");
    assert_eq!(next.body["follows_review_id"], id);
    assert_eq!(
        next.body["attendee_user_ids"],
        json!([s.legal_lead.user_id, s.sales_lead.user_id])
    );
    let all = app.get("/api/v1/reviews", Some(&s.admin.token)).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);

    // The next agenda's window starts where this review was held.
    let agenda = app
        .get(
            &format!("/api/v1/reviews/{next_id}/agenda"),
            Some(&s.sales_lead.token),
        )
        .await;
    assert_eq!(agenda.body["window"]["from"], held.body["held_at"]);
    // The agreement now shows when it was last reviewed.
    let agreement = app
        .get(
            &format!("/api/v1/agreements/{}", s.agreement),
            Some(&s.sales_staff.token),
        )
        .await;
    assert_eq!(agreement.body["last_reviewed_at"], held.body["held_at"]);
    assert_eq!(agreement.body["review_overdue"], false);
}

#[rocket::async_test]
async fn two_server_instances_holding_the_same_review_schedule_one_next_review() {
    let app = spawn_app().await;
    let other = common::spawn_app_on(app.database_url.clone(), |config| config).await;
    let s = setup(&app).await;
    let id = schedule(&app, &s.sales_lead, &s, Utc::now(), 1).await.body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/reviews/{id}/hold");
    let body = json!({"minutes": "m"});
    let (a, b) = tokio::join!(
        app.post(&path, Some(&s.sales_lead.token), body.clone()),
        other.post(&path, Some(&s.legal_lead.token), body.clone()),
    );
    assert_eq!(
        [a.status, b.status]
            .iter()
            .filter(|status| **status == Status::Ok)
            .count(),
        1,
        "{} / {}",
        a.body,
        b.body
    );
    let all = other.get("/api/v1/reviews", Some(&s.admin.token)).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
}

#[rocket::async_test]
async fn closing_an_action_item_tells_the_other_department_and_open_ones_reach_the_next_agenda() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let id = schedule(&app, &s.sales_lead, &s, Utc::now() - TimeDelta::days(1), 4)
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let yesterday = (Utc::now() - TimeDelta::days(1)).date_naive().to_string();
    let action = app
        .post(
            &format!("/api/v1/reviews/{id}/actions"),
            Some(&s.sales_lead.token),
            json!({"title": "Share the contract template", "owner_user_id": s.legal_lead.user_id, "due_on": yesterday}),
        )
        .await;
    assert_eq!(action.status, Status::Created, "{}", action.body);
    let action_id = id_of(&action);
    let second = app
        .post(
            &format!("/api/v1/reviews/{id}/actions"),
            Some(&s.sales_lead.token),
            json!({"title": "Name a backup", "owner_user_id": s.sales_lead.user_id, "due_on": "2099-01-01"}),
        )
        .await;
    let held = app
        .post(
            &format!("/api/v1/reviews/{id}/hold"),
            Some(&s.sales_lead.token),
            json!({"minutes": "ok"}),
        )
        .await;
    let next_id = int(&held.body["next_review_id"]);
    let agenda = app
        .get(
            &format!("/api/v1/reviews/{next_id}/agenda"),
            Some(&s.legal_staff.token),
        )
        .await;
    let open = agenda.body["open_actions"].as_array().unwrap();
    assert_eq!(open.len(), 2);
    assert_eq!(open[0]["id"], action_id);
    assert_eq!(open[0]["overdue"], true);
    assert_eq!(open[1]["overdue"], false);

    let no_note = app
        .patch(
            &format!("/api/v1/actions/{action_id}"),
            Some(&s.legal_lead.token),
            None,
            json!({"status": "done"}),
        )
        .await;
    assert_problem(&no_note, Status::UnprocessableEntity);
    let closed = app
        .patch(
            &format!("/api/v1/actions/{action_id}"),
            Some(&s.legal_lead.token),
            Some("\"1\""),
            json!({"status": "done", "resolution_note": "Template is on the wiki"}),
        )
        .await;
    assert_eq!(closed.status, Status::Ok, "{}", closed.body);
    assert_eq!(closed.body["status"], "done");
    for who in [&s.sales_lead, &s.sales_staff] {
        let inbox = app.get("/api/v1/notifications", Some(&who.token)).await;
        let items = inbox.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", inbox.body);
        assert_eq!(items[0]["kind"], "action_closed");
        assert_eq!(items[0]["review_id"], id, "it links to its review");
        assert!(
            items[0]["message"]
                .as_str()
                .unwrap()
                .contains("Template is on the wiki")
        );
    }
    let legal_inbox = app
        .get("/api/v1/notifications", Some(&s.legal_staff.token))
        .await;
    assert_eq!(legal_inbox.body["items"], json!([]));
    let again = app
        .patch(
            &format!("/api/v1/actions/{action_id}"),
            Some(&s.legal_lead.token),
            None,
            json!({"status": "dropped", "resolution_note": "x"}),
        )
        .await;
    assert_problem(&again, Status::Conflict);
    let agenda = app
        .get(
            &format!("/api/v1/reviews/{next_id}/agenda"),
            Some(&s.legal_staff.token),
        )
        .await;
    assert_eq!(agenda.body["open_actions"].as_array().unwrap().len(), 1);
    assert_eq!(agenda.body["open_actions"][0]["id"], second.body["id"]);
}

#[rocket::async_test]
async fn leads_of_the_pair_leaders_and_admins_write_reviews_staff_read_and_others_see_nothing() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let soon = Utc::now() + TimeDelta::days(3);
    assert_problem(
        &schedule(&app, &s.sales_staff, &s, soon, 4).await,
        Status::Forbidden,
    );
    assert_problem(
        &schedule(&app, &s.ops_lead, &s, soon, 4).await,
        Status::Forbidden,
    );
    let leader = app
        .create_user(&s.admin, "leo@acme.test", "leader", None)
        .await;
    assert_eq!(
        schedule(&app, &leader, &s, soon, 4).await.status,
        Status::Created
    );
    let id = schedule(&app, &s.legal_lead, &s, soon, 4).await.body["id"]
        .as_i64()
        .unwrap();
    for path in [
        format!("/api/v1/reviews/{id}"),
        format!("/api/v1/reviews/{id}/agenda"),
    ] {
        assert_eq!(
            app.get(&path, Some(&s.sales_staff.token)).await.status,
            Status::Ok
        );
        assert_problem(
            &app.get(&path, Some(&s.ops_lead.token)).await,
            Status::NotFound,
        );
    }
    let hold_by_staff = app
        .post(
            &format!("/api/v1/reviews/{id}/hold"),
            Some(&s.sales_staff.token),
            json!({"minutes": ""}),
        )
        .await;
    assert_problem(&hold_by_staff, Status::Forbidden);
    let ops_list = app.get("/api/v1/reviews", Some(&s.ops_lead.token)).await;
    assert_eq!(ops_list.body["items"], json!([]));
    for body in [
        json!({"department_ids": [s.sales, s.sales], "scheduled_at": soon.to_rfc3339(), "duration_minutes": 45, "every_weeks": 4}),
        json!({"department_ids": [s.sales, s.legal], "scheduled_at": soon.to_rfc3339(), "duration_minutes": 0, "every_weeks": 4}),
        json!({"department_ids": [s.sales, s.legal], "scheduled_at": soon.to_rfc3339(), "duration_minutes": 45, "every_weeks": 4, "attendee_user_ids": [999999]}),
    ] {
        assert_problem(
            &app.post("/api/v1/reviews", Some(&s.admin.token), body)
                .await,
            Status::UnprocessableEntity,
        );
    }
    let other = app.signup("Globex", "gil@globex.test").await;
    assert_problem(
        &app.get(&format!("/api/v1/reviews/{id}"), Some(&other.token))
            .await,
        Status::NotFound,
    );
    assert_problem(
        &app.get(&format!("/api/v1/reviews/{id}/agenda"), Some(&other.token))
            .await,
        Status::NotFound,
    );
    assert_eq!(
        app.get("/api/v1/reviews", Some(&other.token)).await.body["items"],
        json!([])
    );
}

#[rocket::async_test]
async fn the_agenda_lists_commitments_whose_critical_path_crosses_the_pair() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let request = app
        .log_request(&s.sales_staff, s.agreement, &Utc::now().to_rfc3339(), &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let commitment = app
        .post(
            "/api/v1/commitments",
            Some(&s.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": (Utc::now() + TimeDelta::hours(2)).to_rfc3339(),
                   "owner_department_id": s.sales, "depends_on": [request]}),
        )
        .await;
    let id = schedule(&app, &s.sales_lead, &s, Utc::now() + TimeDelta::days(1), 4)
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let agenda = app
        .get(
            &format!("/api/v1/reviews/{id}/agenda"),
            Some(&s.sales_lead.token),
        )
        .await;
    let listed = agenda.body["commitments"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", agenda.body);
    assert_eq!(listed[0]["commitment_id"], commitment.body["id"]);
    assert_eq!(listed[0]["risk"], "late");
    let unrelated = app
        .post(
            "/api/v1/reviews",
            Some(&s.admin.token),
            json!({"department_ids": [s.ops, s.legal], "scheduled_at": Utc::now().to_rfc3339(), "duration_minutes": 30, "every_weeks": 0}),
        )
        .await;
    let other_agenda = app
        .get(
            &format!("/api/v1/reviews/{}/agenda", unrelated.body["id"]),
            Some(&s.admin.token),
        )
        .await;
    assert_eq!(other_agenda.body["commitments"], json!([]));
}

#[rocket::async_test]
async fn the_calendar_feed_is_valid_icalendar_follows_moves_and_can_be_revoked() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let when = (Utc::now() + TimeDelta::days(2))
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap();
    let review = schedule(&app, &s.legal_lead, &s, when, 4).await;
    let id = id_of(&review);
    let issued = app
        .post(
            "/api/v1/calendar-feed-token",
            Some(&s.sales_staff.token),
            json!({}),
        )
        .await;
    assert_eq!(issued.status, Status::Created);
    let url = issued.body["url"].as_str().unwrap().to_owned();

    let fetch = |url: String| {
        let app = &app;
        async move {
            let response = app.client.get(url).dispatch().await;
            let status = response.status();
            let content_type = response.content_type().map(|c| c.to_string());
            (
                status,
                content_type,
                response.into_string().await.unwrap_or_default(),
            )
        }
    };
    let event_of = |text: &str| -> (String, String, String) {
        let calendar: icalendar::Calendar = text.parse().expect("a valid iCalendar document");
        let event = calendar
            .components
            .iter()
            .filter_map(|component| component.as_event())
            .find(|event| {
                icalendar::Component::get_uid(*event) == Some(&format!("review-{id}@baton"))
            })
            .expect("the review's event");
        let property = |name: &str| {
            icalendar::Component::property_value(event, name)
                .unwrap_or_default()
                .to_owned()
        };
        (
            property("DTSTART"),
            property("SEQUENCE"),
            property("SUMMARY"),
        )
    };
    let (status, content_type, text) = fetch(url.clone()).await;
    assert_eq!(status, Status::Ok);
    assert!(content_type.unwrap().starts_with("text/calendar"));
    assert!(text.contains("\r\n"), "lines end in CRLF");
    let (start, sequence, summary) = event_of(&text);
    assert_eq!(start, when.format("%Y%m%dT%H%M%SZ").to_string());
    assert_eq!(summary, "Review: LEGAL ⇄ SALES");

    let moved_to = when + TimeDelta::hours(3);
    let moved = app
        .patch(
            &format!("/api/v1/reviews/{id}"),
            Some(&s.legal_lead.token),
            Some("\"1\""),
            json!({"scheduled_at": moved_to.to_rfc3339()}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{}", moved.body);
    let (_, _, text) = fetch(url.clone()).await;
    let (start_after, sequence_after, _) = event_of(&text);
    assert_eq!(start_after, moved_to.format("%Y%m%dT%H%M%SZ").to_string());
    assert!(sequence_after.parse::<u32>().unwrap() > sequence.parse::<u32>().unwrap());

    let revoke =
        app.send(app.client.delete("/api/v1/calendar-feed-token").header(
            rocket::http::Header::new("Authorization", format!("Bearer {}", s.sales_staff.token)),
        ))
        .await;
    assert_eq!(revoke.status, Status::NoContent);
    let (status, _, _) = fetch(url).await;
    assert_eq!(status, Status::Unauthorized);
    let (status, _, _) = fetch("/api/v1/calendar.ics?token=guess".into()).await;
    assert_eq!(status, Status::Unauthorized);
}

#[rocket::async_test]
async fn a_review_far_in_the_future_is_refused_with_a_422_naming_scheduled_at() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    for far in [
        "9999-12-31T00:00:00Z",
        "+200000-01-01T00:00:00Z",
        "1900-01-01T00:00:00Z",
    ] {
        let answer = app
            .post(
                "/api/v1/reviews",
                Some(&s.sales_lead.token),
                json!({"department_ids": [s.sales, s.legal], "scheduled_at": far, "duration_minutes": 45,
                       "every_weeks": 52, "attendee_user_ids": []}),
            )
            .await;
        // A year chrono cannot read is the body's shape (422 too); either way
        // nothing is stored, and the field is named.
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(
            answer.body["errors"]["scheduled_at"].is_array(),
            "{far}: {}",
            answer.body
        );
    }
    let id = schedule(&app, &s.sales_lead, &s, Utc::now(), 1).await.body["id"]
        .as_i64()
        .unwrap();
    let moved = app
        .patch(
            &format!("/api/v1/reviews/{id}"),
            Some(&s.sales_lead.token),
            None,
            json!({"scheduled_at": "9999-12-31T00:00:00Z"}),
        )
        .await;
    assert_problem(&moved, Status::UnprocessableEntity);
    assert!(
        moved.body["errors"]["scheduled_at"].is_array(),
        "{}",
        moved.body
    );
    let all = app.get("/api/v1/reviews", Some(&s.admin.token)).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
    assert_ne!(all.body["items"][0]["scheduled_at"], "9999-12-31T00:00:00Z");
}

#[rocket::async_test]
async fn holding_a_recurring_review_whose_next_date_leaves_the_supported_range_is_a_422_not_a_crash()
 {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let last_week = "2150-12-20T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let created = schedule(&app, &s.sales_lead, &s, last_week, 2).await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let id = id_of(&created);
    let held = app
        .post(
            &format!("/api/v1/reviews/{id}/hold"),
            Some(&s.sales_lead.token),
            json!({"minutes": "m"}),
        )
        .await;
    assert_problem(&held, Status::UnprocessableEntity);
    assert!(
        held.body["errors"]["scheduled_at"].is_array(),
        "{}",
        held.body
    );
    // Nothing was held, nothing scheduled after it.
    let all = app.get("/api/v1/reviews", Some(&s.admin.token)).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(all.body["items"][0]["status"], "scheduled");
    // Without a cadence it can be held.
    let once = app
        .patch(
            &format!("/api/v1/reviews/{id}"),
            Some(&s.sales_lead.token),
            None,
            json!({"every_weeks": 0}),
        )
        .await;
    assert_eq!(once.status, Status::Ok, "{}", once.body);
    let held = app
        .post(
            &format!("/api/v1/reviews/{id}/hold"),
            Some(&s.sales_lead.token),
            json!({"minutes": "m"}),
        )
        .await;
    assert_eq!(held.status, Status::Ok, "{}", held.body);
}
