//! Nothing of one organisation is visible to another: every id of another
//! organisation answers 404, every list leaves it out, and an id of another
//! organisation in a body is a 422 field error.

use crate::common::{assert_problem, int, spawn_app};
use rocket::http::Status;
use serde_json::json;

#[rocket::async_test]
async fn another_organisations_resources_answer_404_and_never_appear_in_lists() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.test").await;
    let globex = app.signup("Globex", "gil@globex.test").await;
    let acme_department = app.create_department(&acme, "LEGAL").await;
    let acme_calendar = app.default_calendar(&acme).await;
    let acme_staff = app
        .create_user(&acme, "sam@acme.test", "staff", Some(acme_department))
        .await;

    for path in [
        format!("/api/v1/users/{}", acme_staff.user_id),
        format!("/api/v1/departments/{acme_department}"),
        format!("/api/v1/calendars/{acme_calendar}"),
        format!(
            "/api/v1/calendars/{acme_calendar}/due?from=2026-03-06T15:00:00Z&amount=1&unit=business_hours"
        ),
        format!(
            "/api/v1/calendars/{acme_calendar}/working-time?from=2026-03-06T15:00:00Z&to=2026-03-07T15:00:00Z"
        ),
    ] {
        assert_problem(&app.get(&path, Some(&globex.token)).await, Status::NotFound);
    }
    for (path, body) in [
        (
            format!("/api/v1/departments/{acme_department}"),
            json!({"name": "Mine now"}),
        ),
        (
            format!("/api/v1/calendars/{acme_calendar}"),
            json!({"name": "Mine now"}),
        ),
    ] {
        let answer = app.patch(&path, Some(&globex.token), None, body).await;
        assert_problem(&answer, Status::NotFound);
    }
    let deactivate = app
        .post(
            &format!("/api/v1/users/{}/deactivate", acme_staff.user_id),
            Some(&globex.token),
            json!({}),
        )
        .await;
    assert_problem(&deactivate, Status::NotFound);
    // Acme's staff member still works: nothing changed.
    assert_eq!(
        app.get("/api/v1/users", Some(&acme_staff.token))
            .await
            .status,
        Status::Ok
    );

    let ids_in = |body: &serde_json::Value| -> Vec<i64> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| int(&item["id"]))
            .collect()
    };
    let users = app.get("/api/v1/users", Some(&globex.token)).await;
    assert!(!ids_in(&users.body).contains(&acme_staff.user_id));
    assert!(!ids_in(&users.body).contains(&acme.user_id));
    let departments = app.get("/api/v1/departments", Some(&globex.token)).await;
    assert!(!ids_in(&departments.body).contains(&acme_department));
    let calendars = app.get("/api/v1/calendars", Some(&globex.token)).await;
    assert!(!ids_in(&calendars.body).contains(&acme_calendar));
    let globex_users = app.get("/api/v1/users", Some(&globex.token)).await;
    assert_eq!(globex_users.body["items"].as_array().unwrap().len(), 1);
    let globex_departments = app.get("/api/v1/departments", Some(&globex.token)).await;
    assert_eq!(
        globex_departments.body["items"].as_array().unwrap().len(),
        0
    );
    let globex_calendars = app.get("/api/v1/calendars", Some(&globex.token)).await;
    assert_eq!(globex_calendars.body["items"].as_array().unwrap().len(), 1);
}

#[rocket::async_test]
async fn a_calendar_of_another_organisation_in_a_body_is_a_field_error() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.test").await;
    let globex = app.signup("Globex", "gil@globex.test").await;
    let acme_calendar = app.default_calendar(&acme).await;
    let answer = app
        .post(
            "/api/v1/departments",
            Some(&globex.token),
            json!({"name": "Ops", "code": "OPS", "calendar_id": acme_calendar}),
        )
        .await;
    assert_problem(&answer, Status::UnprocessableEntity);
    assert!(answer.body["errors"]["calendar_id"].is_array());
}

#[rocket::async_test]
async fn department_codes_are_unique_per_organisation_only() {
    let app = spawn_app().await;
    let acme = app.signup("Acme", "ada@acme.test").await;
    let globex = app.signup("Globex", "gil@globex.test").await;
    app.create_department(&acme, "LEGAL").await;
    app.create_department(&globex, "LEGAL").await;
    let calendar = app.default_calendar(&acme).await;
    let duplicate = app
        .post(
            "/api/v1/departments",
            Some(&acme.token),
            json!({"name": "Legal again", "code": "LEGAL", "calendar_id": calendar}),
        )
        .await;
    assert_problem(&duplicate, Status::Conflict);
}
