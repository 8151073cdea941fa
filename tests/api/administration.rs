//! What an administrator does through the API beyond creating things:
//! editing users, deleting departments and calendars nothing refers to, and
//! reading the organisation's audit log; and that the role alone decides a
//! 403 before any body is looked at.

use crate::common;

use crate::common::{Session, TestApp, assert_problem, id_of, int, spawn_app};
use rocket::http::Status;
use serde_json::{Value, json};

async fn user(app: &TestApp, who: &Session, id: i64) -> Value {
    let answer = app
        .get(&format!("/api/v1/users/{id}"), Some(&who.token))
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    answer.body
}

async fn department(app: &TestApp, who: &Session, id: i64) -> Value {
    let answer = app
        .get(&format!("/api/v1/departments/{id}"), Some(&who.token))
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    answer.body
}

/// The audit log's items, newest first, for `query`.
async fn audit(app: &TestApp, who: &Session, query: &str) -> Vec<Value> {
    let answer = app
        .get(&format!("/api/v1/events?{query}"), Some(&who.token))
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    answer.body["items"].as_array().expect("items").clone()
}

#[rocket::async_test]
async fn an_admin_edits_a_users_name_email_role_and_department() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let staff = pair.legal_staff.user_id;
    let before = user(&app, &pair.admin, staff).await;

    let edited = app
        .patch(
            &format!("/api/v1/users/{staff}"),
            Some(&pair.admin.token),
            Some("\"1\""),
            json!({"name": "Lars Larsen", "email": "LARS.L@acme.test", "role": "lead",
                   "department_id": pair.sales}),
        )
        .await;

    assert_eq!(edited.status, Status::Ok, "{}", edited.body);
    assert_eq!(edited.etag.as_deref(), Some("\"2\""));
    assert_eq!(edited.body["name"], "Lars Larsen");
    assert_eq!(edited.body["email"], "lars.l@acme.test");
    assert_eq!(edited.body["role"], "lead");
    assert_eq!(edited.body["department_id"], pair.sales);
    assert_eq!(edited.body["created_at"], before["created_at"]);
    // The new email logs in; the change took effect for the user's own token too.
    let login = app.login("lars.l@acme.test", common::PASSWORD).await;
    assert_eq!(login.status, Status::Ok, "{}", login.body);
    let events = audit(&app, &pair.admin, &format!("entity=user&entity_id={staff}")).await;
    assert_eq!(events[0]["kind"], "user.role_changed");
    assert_eq!(events[0]["actor_user_id"], pair.admin.user_id);
    assert_eq!(
        events[0]["data"]["role"],
        json!({"from": "staff", "to": "lead"})
    );
    assert_eq!(
        events[0]["data"]["department_id"],
        json!({"from": pair.legal, "to": pair.sales})
    );
    assert_eq!(events[1]["kind"], "user.created");
}

#[rocket::async_test]
async fn moving_the_chairing_lead_out_of_their_department_or_role_clears_its_lead() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    for (department, lead) in [
        (pair.legal, &pair.legal_lead),
        (pair.sales, &pair.sales_lead),
    ] {
        let chaired = app
            .patch(
                &format!("/api/v1/departments/{department}"),
                Some(&pair.admin.token),
                None,
                json!({"lead_user_id": lead.user_id}),
            )
            .await;
        assert_eq!(chaired.status, Status::Ok, "{}", chaired.body);
    }

    let moved = app
        .patch(
            &format!("/api/v1/users/{}", pair.legal_lead.user_id),
            Some(&pair.admin.token),
            None,
            json!({"department_id": pair.sales}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{}", moved.body);
    let demoted = app
        .patch(
            &format!("/api/v1/users/{}", pair.sales_lead.user_id),
            Some(&pair.admin.token),
            None,
            json!({"role": "staff"}),
        )
        .await;
    assert_eq!(demoted.status, Status::Ok, "{}", demoted.body);

    assert_eq!(
        department(&app, &pair.admin, pair.legal).await["lead_user_id"],
        Value::Null
    );
    assert_eq!(
        department(&app, &pair.admin, pair.sales).await["lead_user_id"],
        Value::Null
    );
    // A rename leaves a chairing lead where they are.
    let ok = app
        .patch(
            &format!("/api/v1/departments/{}", pair.sales),
            Some(&pair.admin.token),
            None,
            json!({"lead_user_id": pair.legal_lead.user_id}),
        )
        .await;
    assert_eq!(ok.status, Status::Ok, "{}", ok.body);
    let renamed = app
        .patch(
            &format!("/api/v1/users/{}", pair.legal_lead.user_id),
            Some(&pair.admin.token),
            None,
            json!({"name": "Lena L."}),
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{}", renamed.body);
    assert_eq!(
        department(&app, &pair.admin, pair.sales).await["lead_user_id"],
        pair.legal_lead.user_id
    );
}

#[rocket::async_test]
async fn a_refused_user_edit_changes_nothing() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let other = app.signup("Globex", "gina@globex.test").await;
    let staff = pair.legal_staff.user_id;
    let path = format!("/api/v1/users/{staff}");
    let before = user(&app, &pair.admin, staff).await;
    let events_before = audit(&app, &pair.admin, "entity=user").await.len();

    let refusals = [
        // The rules of creation: a lead or staff member needs a department.
        (
            app.patch(
                &path,
                Some(&pair.admin.token),
                None,
                json!({"department_id": null}),
            )
            .await,
            Status::UnprocessableEntity,
            Some("department_id"),
        ),
        (
            app.patch(
                &path,
                Some(&pair.admin.token),
                None,
                json!({"department_id": 999_999}),
            )
            .await,
            Status::UnprocessableEntity,
            Some("department_id"),
        ),
        (
            app.patch(
                &path,
                Some(&pair.admin.token),
                None,
                json!({"email": "not an email", "name": ""}),
            )
            .await,
            Status::UnprocessableEntity,
            Some("email"),
        ),
        (
            app.patch(
                &path,
                Some(&pair.admin.token),
                None,
                json!({"role": "owner"}),
            )
            .await,
            Status::UnprocessableEntity,
            Some("role"),
        ),
        // Email unique.
        (
            app.patch(
                &path,
                Some(&pair.admin.token),
                None,
                json!({"email": "sam@acme.test"}),
            )
            .await,
            Status::Conflict,
            None,
        ),
        // Stale version.
        (
            app.patch(
                &path,
                Some(&pair.admin.token),
                Some("\"7\""),
                json!({"name": "Stale"}),
            )
            .await,
            Status::PreconditionFailed,
            None,
        ),
        // Another organisation's admin does not see the user at all.
        (
            app.patch(&path, Some(&other.token), None, json!({"name": "Hijacked"}))
                .await,
            Status::NotFound,
            None,
        ),
        // Only admins edit users, whatever the body holds.
        (
            app.patch(
                &path,
                Some(&pair.legal_lead.token),
                None,
                json!({"bogus": true}),
            )
            .await,
            Status::Forbidden,
            None,
        ),
        // An admin cannot take away their own role.
        (
            app.patch(
                &format!("/api/v1/users/{}", pair.admin.user_id),
                Some(&pair.admin.token),
                None,
                json!({"role": "staff", "department_id": pair.legal}),
            )
            .await,
            Status::UnprocessableEntity,
            Some("role"),
        ),
    ];
    for (answer, status, field) in &refusals {
        assert_problem(answer, *status);
        if let Some(field) = field {
            assert!(
                answer.body["errors"][field].is_array(),
                "{field} not named: {}",
                answer.body
            );
        }
    }

    assert_eq!(user(&app, &pair.admin, staff).await, before);
    assert_eq!(
        user(&app, &pair.admin, pair.admin.user_id).await["role"],
        "admin"
    );
    assert_eq!(
        audit(&app, &pair.admin, "entity=user").await.len(),
        events_before
    );
}

#[rocket::async_test]
async fn a_department_without_a_calendar_gets_the_organisations_default() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let organisation = app.get("/api/v1/organisation", Some(&admin.token)).await;
    let default = organisation.body["default_calendar_id"]
        .as_i64()
        .expect("default calendar");
    assert_eq!(default, app.default_calendar(&admin).await);

    let created = app
        .post(
            "/api/v1/departments",
            Some(&admin.token),
            json!({"name": "Finance", "code": "FIN"}),
        )
        .await;

    assert_eq!(created.status, Status::Created, "{}", created.body);
    assert_eq!(created.body["calendar_id"], default);
}

#[rocket::async_test]
async fn a_department_nothing_refers_to_is_deleted_and_one_still_used_is_refused_naming_what_uses_it()
 {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let other = app.signup("Globex", "gina@globex.test").await;
    app.active_agreement(&pair, 8.0, "business_hours").await;
    let unused = app.create_department(&pair.admin, "SPARE").await;

    let in_use = app
        .delete(
            &format!("/api/v1/departments/{}", pair.legal),
            Some(&pair.admin.token),
            None,
        )
        .await;
    assert_problem(&in_use, Status::Conflict);
    let detail = in_use.body["detail"].as_str().unwrap();
    assert!(detail.contains("2 users"), "{detail}");
    assert!(detail.contains("1 agreement"), "{detail}");
    department(&app, &pair.admin, pair.legal).await;

    let path = format!("/api/v1/departments/{unused}");
    assert_problem(
        &app.delete(&path, Some(&other.token), None).await,
        Status::NotFound,
    );
    assert_problem(
        &app.delete(&path, Some(&pair.legal_lead.token), None).await,
        Status::Forbidden,
    );
    assert_problem(
        &app.delete(&path, Some(&pair.admin.token), Some("\"9\""))
            .await,
        Status::PreconditionFailed,
    );
    department(&app, &pair.admin, unused).await;

    let deleted = app
        .delete(&path, Some(&pair.admin.token), Some("\"1\""))
        .await;
    assert_eq!(deleted.status, Status::NoContent, "{}", deleted.body);
    assert_problem(
        &app.get(&path, Some(&pair.admin.token)).await,
        Status::NotFound,
    );
    let events = audit(
        &app,
        &pair.admin,
        &format!("entity=department&entity_id={unused}"),
    )
    .await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["department.deleted", "department.created"]);
}

#[rocket::async_test]
async fn a_calendar_is_deleted_only_when_no_department_uses_it_and_never_the_default() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let other = app.signup("Globex", "gina@globex.test").await;
    let default = app.default_calendar(&admin).await;
    let body = json!({"name": "Warehouse", "timezone": "Europe/Berlin",
                      "weekly": {"mon": [["06:00", "14:00"]]}, "holidays": []});
    let warehouse = id_of(
        &app.post("/api/v1/calendars", Some(&admin.token), body.clone())
            .await,
    );
    let spare = id_of(
        &app.post("/api/v1/calendars", Some(&admin.token), body)
            .await,
    );
    app.post(
        "/api/v1/departments",
        Some(&admin.token),
        json!({"name": "Logistics", "code": "LOG", "calendar_id": warehouse}),
    )
    .await;

    let refused_default = app
        .delete(
            &format!("/api/v1/calendars/{default}"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_problem(&refused_default, Status::Conflict);
    assert!(
        refused_default.body["detail"]
            .as_str()
            .unwrap()
            .contains("default")
    );
    let refused_used = app
        .delete(
            &format!("/api/v1/calendars/{warehouse}"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_problem(&refused_used, Status::Conflict);
    assert!(
        refused_used.body["detail"]
            .as_str()
            .unwrap()
            .contains("LOG"),
        "{}",
        refused_used.body
    );
    assert_problem(
        &app.delete(
            &format!("/api/v1/calendars/{spare}"),
            Some(&other.token),
            None,
        )
        .await,
        Status::NotFound,
    );
    let ops = app.create_department(&admin, "OPS").await;
    let lead = app
        .create_user(&admin, "olga@acme.test", "lead", Some(ops))
        .await;
    assert_problem(
        &app.delete(
            &format!("/api/v1/calendars/{spare}"),
            Some(&lead.token),
            None,
        )
        .await,
        Status::Forbidden,
    );
    assert_problem(
        &app.delete(
            &format!("/api/v1/calendars/{spare}"),
            Some(&admin.token),
            Some("\"5\""),
        )
        .await,
        Status::PreconditionFailed,
    );
    for id in [default, warehouse, spare] {
        let still = app
            .get(&format!("/api/v1/calendars/{id}"), Some(&admin.token))
            .await;
        assert_eq!(still.status, Status::Ok, "calendar {id}: {}", still.body);
    }

    let deleted = app
        .delete(
            &format!("/api/v1/calendars/{spare}"),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(deleted.status, Status::NoContent, "{}", deleted.body);
    assert_problem(
        &app.get(&format!("/api/v1/calendars/{spare}"), Some(&admin.token))
            .await,
        Status::NotFound,
    );
}

#[rocket::async_test]
async fn a_caller_who_may_not_write_gets_403_whatever_the_body_holds() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let request = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .expect("request id");
    let departments_before = app
        .get("/api/v1/departments", Some(&pair.admin.token))
        .await
        .body;

    let cases = [
        // The issue's own example: no calendar_id, and a staff member.
        (
            "/api/v1/departments".to_owned(),
            &pair.legal_staff,
            json!({"name": "X", "code": "X"}),
        ),
        (
            "/api/v1/departments".to_owned(),
            &pair.leader,
            json!({"nonsense": 1}),
        ),
        (
            "/api/v1/users".to_owned(),
            &pair.legal_lead,
            json!({"name": 5}),
        ),
        ("/api/v1/calendars".to_owned(), &pair.sales_staff, json!({})),
        (
            "/api/v1/agreements".to_owned(),
            &pair.legal_staff,
            json!({"title": []}),
        ),
        ("/api/v1/reviews".to_owned(), &pair.sales_staff, json!({})),
        (
            format!("/api/v1/requests/{request}/forecast"),
            &pair.leader,
            json!({"expected_at": "not a time"}),
        ),
        (
            format!("/api/v1/requests/{request}/pause"),
            &pair.leader,
            json!({"wrong": true}),
        ),
    ];
    for (path, who, body) in &cases {
        let answer = app.post(path, Some(&who.token), body.clone()).await;
        assert_problem(&answer, Status::Forbidden);
    }
    let patch = app
        .patch(
            "/api/v1/organisation",
            Some(&pair.legal_lead.token),
            None,
            json!({"name": 42}),
        )
        .await;
    assert_problem(&patch, Status::Forbidden);

    assert_eq!(
        app.get("/api/v1/departments", Some(&pair.admin.token))
            .await
            .body,
        departments_before
    );
}

#[rocket::async_test]
async fn action_items_are_read_by_id_and_listed_by_review_owner_and_status() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let other = app.signup("Globex", "gina@globex.test").await;
    let it = app.create_department(&pair.admin, "IT").await;
    let it_lead = app
        .create_user(&pair.admin, "ivy@acme.test", "lead", Some(it))
        .await;
    let review = id_of(
        &app.post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.sales, pair.legal], "scheduled_at": "2026-03-02T10:00:00Z",
                   "duration_minutes": 30, "every_weeks": 0,
                   "attendee_user_ids": [pair.sales_lead.user_id, pair.legal_lead.user_id]}),
        )
        .await,
    );
    let mut actions = Vec::new();
    for (title, owner) in [
        ("Share the template", pair.legal_lead.user_id),
        ("Name a backup", pair.sales_lead.user_id),
        ("Train the staff", pair.legal_lead.user_id),
    ] {
        let answer = app
            .post(
                &format!("/api/v1/reviews/{review}/actions"),
                Some(&pair.sales_lead.token),
                json!({"title": title, "owner_user_id": owner, "due_on": "2026-04-01"}),
            )
            .await;
        assert_eq!(answer.status, Status::Created, "{}", answer.body);
        actions.push(id_of(&answer));
    }
    let closed = app
        .patch(
            &format!("/api/v1/actions/{}", actions[2]),
            Some(&pair.legal_lead.token),
            None,
            json!({"status": "done", "resolution_note": "Trained on 3 March"}),
        )
        .await;
    assert_eq!(closed.status, Status::Ok, "{}", closed.body);

    let one = app
        .get(
            &format!("/api/v1/actions/{}", actions[0]),
            Some(&pair.sales_staff.token),
        )
        .await;
    assert_eq!(one.status, Status::Ok, "{}", one.body);
    assert_eq!(one.body["title"], "Share the template");
    assert_eq!(one.etag.as_deref(), Some("\"1\""));
    // Not a party to the review, or not of the organisation: no such item.
    for who in [&it_lead, &other] {
        assert_problem(
            &app.get(&format!("/api/v1/actions/{}", actions[0]), Some(&who.token))
                .await,
            Status::NotFound,
        );
    }

    let ids = |answer: &common::Answer| -> Vec<i64> {
        answer.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", answer.body))
            .iter()
            .map(|item| int(&item["id"]))
            .collect()
    };
    let mine = app
        .get(
            "/api/v1/actions?owner=me&status=open",
            Some(&pair.legal_lead.token),
        )
        .await;
    assert_eq!(ids(&mine), [actions[0]]);
    let of_review = app
        .get(
            &format!("/api/v1/actions?review_id={review}&limit=2"),
            Some(&pair.leader.token),
        )
        .await;
    assert_eq!(ids(&of_review), [actions[0], actions[1]]);
    let cursor = of_review.body["next_cursor"].as_str().expect("a next page");
    let next = app
        .get(
            &format!("/api/v1/actions?review_id={review}&limit=2&cursor={cursor}"),
            Some(&pair.leader.token),
        )
        .await;
    assert_eq!(ids(&next), [actions[2]]);
    assert_eq!(next.body["next_cursor"], Value::Null);
    let done = app
        .get(
            &format!(
                "/api/v1/actions?owner={}&status=done",
                pair.legal_lead.user_id
            ),
            Some(&pair.admin.token),
        )
        .await;
    assert_eq!(ids(&done), [actions[2]]);
    assert!(ids(&app.get("/api/v1/actions", Some(&it_lead.token)).await).is_empty());
    assert_problem(
        &app.get("/api/v1/actions?status=closed", Some(&pair.admin.token))
            .await,
        Status::UnprocessableEntity,
    );
    assert_problem(
        &app.get(
            &format!("/api/v1/actions?review_id={review}"),
            Some(&it_lead.token),
        )
        .await,
        Status::NotFound,
    );
}

#[rocket::async_test]
async fn the_audit_log_lists_administrative_changes_newest_first_for_admins_and_leaders() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let other = app.signup("Globex", "gina@globex.test").await;
    app.create_department(&other, "GLOBEX").await;
    let calendar = app.default_calendar(&pair.admin).await;
    let renamed = app
        .patch(
            &format!("/api/v1/calendars/{calendar}"),
            Some(&pair.admin.token),
            None,
            json!({"name": "Head office"}),
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{}", renamed.body);
    let settings = app
        .patch(
            "/api/v1/organisation",
            Some(&pair.admin.token),
            None,
            json!({"at_risk_threshold_minutes": 240}),
        )
        .await;
    assert_eq!(settings.status, Status::Ok, "{}", settings.body);
    let deactivated = app
        .post(
            &format!("/api/v1/users/{}/deactivate", pair.sales_staff.user_id),
            Some(&pair.admin.token),
            json!({}),
        )
        .await;
    assert_eq!(deactivated.status, Status::Ok, "{}", deactivated.body);

    let all = audit(&app, &pair.leader, "").await;
    let kinds: Vec<&str> = all.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "user.deactivated",
            "organisation.updated",
            "calendar.updated",
            "user.created",
            "user.created",
            "user.created",
            "user.created",
            "user.created",
            "department.created",
            "department.created",
        ]
    );
    let ids: Vec<i64> = all.iter().map(|e| int(&e["id"])).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(all[1]["entity"], "organisation");
    assert_eq!(
        all[1]["data"],
        json!({"at_risk_threshold_minutes": {"from": 480, "to": 240}})
    );
    assert_eq!(all[2]["data"]["name"]["to"], "Head office");

    // Pages of two walk the same list.
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/events?limit=2&cursor={cursor}"),
                Some(&pair.admin.token),
            )
            .await;
        assert_eq!(page.status, Status::Ok, "{}", page.body);
        walked.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| int(&e["id"])),
        );
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(walked, ids);

    // Filters.
    assert_eq!(audit(&app, &pair.admin, "kind=user.created").await.len(), 5);
    assert_eq!(audit(&app, &pair.admin, "entity=calendar").await.len(), 1);
    assert_eq!(
        audit(
            &app,
            &pair.admin,
            &format!("entity=user&entity_id={}", pair.sales_staff.user_id)
        )
        .await
        .len(),
        2
    );
    assert_eq!(
        audit(
            &app,
            &pair.admin,
            &format!("actor_user_id={}", pair.admin.user_id)
        )
        .await
        .len(),
        10
    );
    assert!(
        audit(&app, &pair.admin, "from=2100-01-01T00:00:00Z")
            .await
            .is_empty()
    );
    assert_eq!(
        audit(&app, &pair.admin, "to=2100-01-01T00:00:00Z")
            .await
            .len(),
        10
    );
    // Another organisation's log holds only its own department.
    let theirs = audit(&app, &other, "").await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["kind"], "department.created");

    for who in [&pair.legal_lead, &pair.legal_staff] {
        assert_problem(
            &app.get("/api/v1/events", Some(&who.token)).await,
            Status::Forbidden,
        );
    }
    for bad in [
        "entity=invoice",
        "from=yesterday",
        "entity_id=x",
        "limit=0",
        "cursor=zzz",
    ] {
        assert_problem(
            &app.get(&format!("/api/v1/events?{bad}"), Some(&pair.admin.token))
                .await,
            Status::UnprocessableEntity,
        );
    }
}

#[rocket::async_test]
async fn reviews_scheduled_moved_and_held_are_in_the_audit_log() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let review = id_of(
        &app.post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.sales, pair.legal], "scheduled_at": "2026-03-02T10:00:00Z",
                   "duration_minutes": 30, "every_weeks": 2,
                   "attendee_user_ids": [pair.sales_lead.user_id]}),
        )
        .await,
    );
    let moved = app
        .patch(
            &format!("/api/v1/reviews/{review}"),
            Some(&pair.legal_lead.token),
            None,
            json!({"scheduled_at": "2026-03-03T10:00:00Z"}),
        )
        .await;
    assert_eq!(moved.status, Status::Ok, "{}", moved.body);
    let held = app
        .post(
            &format!("/api/v1/reviews/{review}/hold"),
            Some(&pair.sales_lead.token),
            json!({"minutes": "Went well", "at": "2026-03-03T11:00:00Z"}),
        )
        .await;
    assert_eq!(held.status, Status::Ok, "{}", held.body);

    let events = audit(
        &app,
        &pair.admin,
        &format!("entity=review&entity_id={review}"),
    )
    .await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["review.held", "review.updated", "review.scheduled"]);
    assert_eq!(events[0]["actor_user_id"], pair.sales_lead.user_id);
    assert_eq!(
        events[0]["data"]["next_review_id"],
        held.body["next_review_id"]
    );
    assert_eq!(events[1]["actor_user_id"], pair.legal_lead.user_id);
    assert_eq!(
        common::instant(&events[1]["data"]["scheduled_at"]["to"]),
        common::instant(&json!("2026-03-03T10:00:00Z"))
    );
}

#[rocket::async_test]
async fn the_openapi_document_describes_every_new_operation() {
    let app = spawn_app().await;
    let document = app.get("/api/v1/openapi.json", None).await.body;
    for (path, method) in [
        ("/api/v1/users/{id}", "patch"),
        ("/api/v1/departments/{id}", "delete"),
        ("/api/v1/calendars/{id}", "delete"),
        ("/api/v1/actions/{id}", "get"),
        ("/api/v1/actions", "get"),
        ("/api/v1/events", "get"),
    ] {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(operation["responses"].is_object(), "{method} {path}");
    }
    let events = &document["paths"]["/api/v1/events"]["get"]["parameters"];
    let names: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "kind",
        "actor_user_id",
        "entity",
        "entity_id",
        "from",
        "to",
        "cursor",
        "limit",
    ] {
        assert!(names.contains(&name), "/events lacks {name}: {names:?}");
    }
    let required = &document["components"]["schemas"]["NewDepartmentBody"]["required"];
    assert!(
        !required.as_array().unwrap().contains(&json!("calendar_id")),
        "calendar_id is optional: {required}"
    );
}
