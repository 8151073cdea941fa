//! SPEC §8 for users, departments, calendars and settings: admins write,
//! everyone else in the organisation reads.

use crate::common;

use crate::common::{Session, TestApp, assert_problem, spawn_app};
use rocket::http::Status;
use serde_json::json;

struct Org {
    admin: Session,
    leader: Session,
    lead: Session,
    staff: Session,
    department: i64,
}

async fn org(app: &TestApp) -> Org {
    let admin = app.signup("Acme", "ada@acme.test").await;
    let department = app.create_department(&admin, "LEGAL").await;
    let leader = app
        .create_user(&admin, "leo@acme.test", "leader", None)
        .await;
    let lead = app
        .create_user(&admin, "lea@acme.test", "lead", Some(department))
        .await;
    let staff = app
        .create_user(&admin, "sam@acme.test", "staff", Some(department))
        .await;
    Org {
        admin,
        leader,
        lead,
        staff,
        department,
    }
}

#[rocket::async_test]
async fn only_admins_create_users_departments_and_calendars() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let calendar = app.default_calendar(&org.admin).await;
    for who in [&org.leader, &org.lead, &org.staff] {
        let user = app
            .post(
                "/api/v1/users",
                Some(&who.token),
                json!({"name": "X", "email": "x@acme.test", "password": common::PASSWORD,
                       "role": "staff", "department_id": org.department}),
            )
            .await;
        assert_problem(&user, Status::Forbidden);
        let department = app
            .post(
                "/api/v1/departments",
                Some(&who.token),
                json!({"name": "Sales", "code": "SALES", "calendar_id": calendar}),
            )
            .await;
        assert_problem(&department, Status::Forbidden);
        let calendar = app
            .post(
                "/api/v1/calendars",
                Some(&who.token),
                json!({"name": "Night", "timezone": "UTC", "weekly": {"mon": [["00:00", "24:00"]]}}),
            )
            .await;
        assert_problem(&calendar, Status::Forbidden);
        let settings = app
            .patch(
                "/api/v1/organisation",
                Some(&who.token),
                None,
                json!({"at_risk_threshold_minutes": 60}),
            )
            .await;
        assert_problem(&settings, Status::Forbidden);
        let deactivate = app
            .post(
                &format!("/api/v1/users/{}/deactivate", org.staff.user_id),
                Some(&who.token),
                json!({}),
            )
            .await;
        assert_problem(&deactivate, Status::Forbidden);
    }
    // Refused attempts changed nothing.
    let users = app.get("/api/v1/users", Some(&org.admin.token)).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 4);
}

#[rocket::async_test]
async fn every_role_reads_users_departments_calendars_and_settings() {
    let app = spawn_app().await;
    let org = org(&app).await;
    for who in [&org.admin, &org.leader, &org.lead, &org.staff] {
        for path in ["/api/v1/users", "/api/v1/departments", "/api/v1/calendars"] {
            let answer = app.get(path, Some(&who.token)).await;
            assert_eq!(answer.status, Status::Ok, "{path}: {}", answer.body);
            assert!(!answer.body["items"].as_array().unwrap().is_empty());
        }
        let answer = app.get("/api/v1/organisation", Some(&who.token)).await;
        assert_eq!(answer.status, Status::Ok);
        let answer = app
            .get(
                &format!("/api/v1/departments/{}", org.department),
                Some(&who.token),
            )
            .await;
        assert_eq!(answer.status, Status::Ok);
    }
}

#[rocket::async_test]
async fn a_department_lead_must_be_a_lead_of_that_department() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let path = format!("/api/v1/departments/{}", org.department);
    let staff_as_lead = app
        .patch(
            &path,
            Some(&org.admin.token),
            None,
            json!({"lead_user_id": org.staff.user_id}),
        )
        .await;
    assert_problem(&staff_as_lead, Status::UnprocessableEntity);
    assert!(staff_as_lead.body["errors"]["lead_user_id"].is_array());

    let other = app.create_department(&org.admin, "SALES").await;
    let other_lead = app
        .create_user(&org.admin, "oli@acme.test", "lead", Some(other))
        .await;
    let foreign_lead = app
        .patch(
            &path,
            Some(&org.admin.token),
            None,
            json!({"lead_user_id": other_lead.user_id}),
        )
        .await;
    assert_problem(&foreign_lead, Status::UnprocessableEntity);

    let ok = app
        .patch(
            &path,
            Some(&org.admin.token),
            None,
            json!({"lead_user_id": org.lead.user_id}),
        )
        .await;
    assert_eq!(ok.status, Status::Ok, "{}", ok.body);
    assert_eq!(ok.body["lead_user_id"], org.lead.user_id);
    let cleared = app
        .patch(
            &path,
            Some(&org.admin.token),
            None,
            json!({"lead_user_id": null}),
        )
        .await;
    assert_eq!(cleared.body["lead_user_id"], json!(null));
}

#[rocket::async_test]
async fn leads_and_staff_need_a_department_of_their_own_organisation() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let other = app.signup("Globex", "gil@globex.test").await;
    let foreign_department = app.create_department(&other, "OPS").await;
    for (role, department) in [("staff", None), ("lead", Some(foreign_department))] {
        let answer = app
            .post(
                "/api/v1/users",
                Some(&org.admin.token),
                json!({"name": "X", "email": "x@acme.test", "password": common::PASSWORD,
                       "role": role, "department_id": department}),
            )
            .await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(
            answer.body["errors"]["department_id"].is_array(),
            "{}",
            answer.body
        );
    }
}

#[rocket::async_test]
async fn an_admin_changes_the_at_risk_threshold() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let answer = app
        .patch(
            "/api/v1/organisation",
            Some(&org.admin.token),
            None,
            json!({"at_risk_threshold_minutes": 240}),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    assert_eq!(answer.body["at_risk_threshold_minutes"], 240);
    let bad = app
        .patch(
            "/api/v1/organisation",
            Some(&org.admin.token),
            None,
            json!({"at_risk_threshold_minutes": -1}),
        )
        .await;
    assert_problem(&bad, Status::UnprocessableEntity);
}
