//! Calendars through HTTP: validation of zones, ranges and holidays, and the
//! `due` and `working-time` endpoints of appendix A.

use crate::common;

use crate::common::{Session, TestApp, assert_problem, spawn_app};
use rocket::http::Status;
use serde_json::{Value, json};

async fn create_calendar(app: &TestApp, admin: &Session, body: Value) -> common::Answer {
    app.post("/api/v1/calendars", Some(&admin.token), body)
        .await
}

fn berlin_split_days() -> Value {
    json!({"name": "Berlin office", "timezone": "Europe/Berlin",
           "weekly": {"mon": [["09:00","12:30"],["13:30","17:00"]], "tue": [["09:00","17:00"]],
                      "wed": [], "thu": [["00:00","24:00"]], "fri": [["09:00","17:00"]], "sat": [], "sun": []},
           "holidays": [{"date": "2026-12-25", "name": "Christmas"}]})
}

#[rocket::async_test]
async fn the_appendix_example_calendar_is_created_as_given() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let answer = create_calendar(&app, &admin, berlin_split_days()).await;
    assert_eq!(answer.status, Status::Created, "{}", answer.body);
    assert_eq!(
        answer.body["weekly"]["mon"],
        json!([["09:00", "12:30"], ["13:30", "17:00"]])
    );
    assert_eq!(answer.body["weekly"]["thu"], json!([["00:00", "24:00"]]));
    assert_eq!(
        answer.body["holidays"],
        json!([{"date": "2026-12-25", "name": "Christmas"}])
    );
    assert_eq!(answer.etag.as_deref(), Some("\"1\""));
}

#[rocket::async_test]
async fn invalid_calendars_are_422_naming_the_field_and_nothing_is_created() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let cases = [
        (
            json!({"name": "x", "timezone": "Mars/Olympus", "weekly": {"mon": [["09:00","17:00"]]}}),
            "timezone",
        ),
        (
            json!({"name": "x", "timezone": "UTC", "weekly": {"mon": [["17:00","09:00"]]}}),
            "weekly.mon",
        ),
        (
            json!({"name": "x", "timezone": "UTC", "weekly": {"mon": [["09:00","13:00"],["12:00","17:00"]]}}),
            "weekly.mon",
        ),
        (
            json!({"name": "x", "timezone": "UTC", "weekly": {"mon": [["25:00","26:00"]]}}),
            "weekly.mon",
        ),
        (
            json!({"name": "x", "timezone": "UTC", "weekly": {"mon": [["24:00","24:00"]]}}),
            "weekly.mon",
        ),
        (
            json!({"name": "x", "timezone": "UTC", "weekly": {"mon": [["9am","5pm"]]}}),
            "weekly.mon",
        ),
        (
            json!({"name": "x", "timezone": "UTC", "weekly": {}}),
            "weekly",
        ),
        (
            json!({"name": "x", "timezone": "UTC", "weekly": {"mon": [["09:00","17:00"]]},
                "holidays": [{"date": "2026-02-30"}]}),
            "holidays",
        ),
        (
            json!({"name": "", "timezone": "UTC", "weekly": {"mon": [["09:00","17:00"]]}}),
            "name",
        ),
    ];
    for (body, field) in cases {
        let answer = create_calendar(&app, &admin, body.clone()).await;
        assert_problem(&answer, Status::UnprocessableEntity);
        let errors = answer.body["errors"].as_object().unwrap();
        assert!(
            errors.keys().any(|key| key.starts_with(field)),
            "{body}: expected an error on {field}, got {}",
            answer.body
        );
    }
    let calendars = app.get("/api/v1/calendars", Some(&admin.token)).await;
    assert_eq!(
        calendars.body["items"].as_array().unwrap().len(),
        1,
        "only the default"
    );
}

#[rocket::async_test]
async fn a_calendar_whose_only_working_days_are_holidays_still_counts_weekly_time() {
    // "No working time in any week" is about the weekly ranges; holidays close
    // single dates and cannot make a whole calendar empty.
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let answer = create_calendar(
        &app,
        &admin,
        json!({"name": "Mondays", "timezone": "UTC", "weekly": {"mon": [["09:00","10:00"]]},
               "holidays": [{"date": "2026-03-09"}]}),
    )
    .await;
    assert_eq!(answer.status, Status::Created, "{}", answer.body);
}

#[rocket::async_test]
async fn friday_15_00_plus_10_business_hours_is_monday_17_00() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await;
    let answer = app
        .get(
            &format!("/api/v1/calendars/{calendar}/due?from=2026-03-06T15:00:00%2B01:00&amount=10&unit=business_hours"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    assert_eq!(answer.body["clock_start"], "2026-03-06T14:00:00Z");
    assert_eq!(answer.body["due"], "2026-03-09T16:00:00Z");
}

#[rocket::async_test]
async fn business_days_end_at_the_close_of_the_nth_working_day() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await;
    // Friday 18:00 is after close: the clock starts Monday 09:00, and one
    // business day later is the close of Tuesday.
    let answer = app
        .get(
            &format!("/api/v1/calendars/{calendar}/due?from=2026-03-06T18:00:00%2B01:00&amount=1&unit=business_days"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    assert_eq!(answer.body["clock_start"], "2026-03-09T08:00:00Z");
    assert_eq!(answer.body["due"], "2026-03-10T16:00:00Z");
}

#[rocket::async_test]
async fn working_time_counts_only_working_minutes() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await;
    // Friday 15:00 to Monday 11:00 in Berlin: 2 h Friday + 2 h Monday.
    let answer = app
        .get(
            &format!("/api/v1/calendars/{calendar}/working-time?from=2026-03-06T15:00:00%2B01:00&to=2026-03-09T11:00:00%2B01:00"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    assert_eq!(answer.body["minutes"], 240);
}

#[rocket::async_test]
async fn due_and_working_time_reject_bad_parameters() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await;
    let base = format!("/api/v1/calendars/{calendar}");
    let cases = [
        (
            format!("{base}/due?from=yesterday&amount=1&unit=business_hours"),
            "from",
        ),
        (
            format!("{base}/due?from=2026-03-06T15:00:00Z&amount=1&unit=fortnights"),
            "unit",
        ),
        (
            format!("{base}/due?from=2026-03-06T15:00:00Z&amount=-1&unit=business_hours"),
            "amount",
        ),
        (
            format!("{base}/due?from=2026-03-06T15:00:00Z&amount=1.5&unit=business_days"),
            "amount",
        ),
        (
            format!("{base}/due?from=2026-03-06T15:00:00Z&amount=0.01&unit=business_hours"),
            "amount",
        ),
        (
            format!("{base}/due?from=2026-03-06T15:00:00Z&unit=business_hours"),
            "amount",
        ),
        (
            format!("{base}/due?from=3026-03-06T15:00:00Z&amount=1&unit=business_hours"),
            "from",
        ),
        (
            format!("{base}/working-time?from=2026-03-09T15:00:00Z&to=2026-03-06T15:00:00Z"),
            "to",
        ),
        (
            format!("{base}/working-time?from=2026-03-09T15:00:00Z"),
            "to",
        ),
    ];
    for (path, field) in cases {
        let answer = app.get(&path, Some(&admin.token)).await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(
            answer.body["errors"][field].is_array(),
            "{path}: {}",
            answer.body
        );
    }
}

#[rocket::async_test]
async fn editing_a_calendar_changes_its_due_dates() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await;
    let due_path = format!(
        "/api/v1/calendars/{calendar}/due?from=2026-03-06T15:00:00Z&amount=1&unit=business_days"
    );
    let before = app.get(&due_path, Some(&admin.token)).await;
    let edit = app
        .patch(
            &format!("/api/v1/calendars/{calendar}"),
            Some(&admin.token),
            Some("\"1\""),
            json!({"holidays": [{"date": "2026-03-09", "name": "Closed"}]}),
        )
        .await;
    assert_eq!(edit.status, Status::Ok, "{}", edit.body);
    let after = app.get(&due_path, Some(&admin.token)).await;
    assert_eq!(before.body["due"], "2026-03-09T16:00:00Z");
    assert_eq!(after.body["due"], "2026-03-10T16:00:00Z");
}
