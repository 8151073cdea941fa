//! SPEC §7 error statuses: every bad input gets a clear problem+json 4xx,
//! changes nothing, and leaks nothing.

use crate::common;

use crate::common::{assert_problem, spawn_app};
use rocket::http::{ContentType, Header, Status};
use serde_json::json;

#[rocket::async_test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let request = app
        .client
        .post("/api/v1/auth/login")
        .header(ContentType::JSON)
        .body(r#"{"email": "ada@acme.test", "password": "#);
    assert_problem(&app.send(request).await, Status::BadRequest);
}

#[rocket::async_test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let request = app
        .client
        .post("/api/v1/auth/login")
        .header(ContentType::Plain)
        .body("email=ada");
    assert_problem(&app.send(request).await, Status::UnsupportedMediaType);
}

#[rocket::async_test]
async fn a_body_over_one_mebibyte_is_413() {
    let app = spawn_app().await;
    let huge = format!(
        r#"{{"email": "{}", "password": "x"}}"#,
        "a".repeat(1024 * 1024 + 10)
    );
    let request = app
        .client
        .post("/api/v1/auth/login")
        .header(ContentType::JSON)
        .body(huge);
    assert_problem(&app.send(request).await, Status::PayloadTooLarge);
}

#[rocket::async_test]
async fn unknown_fields_and_wrong_types_are_422_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let unknown = app
        .post(
            "/api/v1/departments",
            Some(&admin.token),
            json!({"name": "Legal", "code": "LEGAL", "calendar_id": 1, "colour": "red"}),
        )
        .await;
    assert_problem(&unknown, Status::UnprocessableEntity);
    assert!(
        unknown.body["errors"]["colour"].is_array(),
        "{}",
        unknown.body
    );

    let wrong_type = app
        .post(
            "/api/v1/departments",
            Some(&admin.token),
            json!({"name": "Legal", "code": "LEGAL", "calendar_id": "one"}),
        )
        .await;
    assert_problem(&wrong_type, Status::UnprocessableEntity);
    assert!(
        wrong_type.body["errors"]["calendar_id"].is_array(),
        "{}",
        wrong_type.body
    );

    let nested = app
        .post(
            "/api/v1/calendars",
            Some(&admin.token),
            json!({"name": "X", "timezone": "UTC", "weekly": {"mon": [["09:00", "17:00"]], "funday": []}}),
        )
        .await;
    assert_problem(&nested, Status::UnprocessableEntity);
    assert!(
        nested.body["errors"]["weekly.funday"].is_array(),
        "{}",
        nested.body
    );
    let departments = app.get("/api/v1/departments", Some(&admin.token)).await;
    assert_eq!(departments.body["items"], json!([]));
}

#[rocket::async_test]
async fn text_over_its_limit_or_with_control_characters_is_422() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let calendar = app.default_calendar(&admin).await;
    for name in ["x".repeat(201), "Le\u{0007}gal".to_owned()] {
        let answer = app
            .post(
                "/api/v1/departments",
                Some(&admin.token),
                json!({"name": name, "code": "LEGAL", "calendar_id": calendar}),
            )
            .await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(answer.body["errors"]["name"].is_array());
    }
    for code in ["legal", "", "WAY-TOO-LONG-A-CODE", "LE GAL"] {
        let answer = app
            .post(
                "/api/v1/departments",
                Some(&admin.token),
                json!({"name": "Legal", "code": code, "calendar_id": calendar}),
            )
            .await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(answer.body["errors"]["code"].is_array(), "{code}");
    }
}

#[rocket::async_test]
async fn unknown_ids_are_404_and_unknown_routes_are_problem_json_too() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    assert_problem(
        &app.get("/api/v1/departments/999999", Some(&admin.token))
            .await,
        Status::NotFound,
    );
    assert_problem(
        &app.get("/api/v1/nothing-here", Some(&admin.token)).await,
        Status::NotFound,
    );
    let bad_limit = app.get("/api/v1/users?limit=500", Some(&admin.token)).await;
    assert_problem(&bad_limit, Status::UnprocessableEntity);
    let bad_cursor = app
        .get("/api/v1/users?cursor=garbage", Some(&admin.token))
        .await;
    assert_problem(&bad_cursor, Status::UnprocessableEntity);
}

#[rocket::async_test]
async fn a_method_a_path_does_not_answer_is_405_naming_the_ones_it_does() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let request = app.client.put("/api/v1/users/1").header(Header::new(
        "Authorization",
        format!("Bearer {}", admin.token),
    ));
    let response = request.dispatch().await;
    assert_eq!(response.status(), Status::MethodNotAllowed);
    assert_eq!(
        response.headers().get_one("Allow"),
        Some("GET, HEAD, PATCH")
    );
    assert_eq!(
        response.content_type().map(|media| media.to_string()),
        Some("application/problem+json".into())
    );
    let request = app.client.delete("/api/v1/departments");
    let response = request.dispatch().await;
    assert_eq!(response.status(), Status::MethodNotAllowed);
    assert_eq!(response.headers().get_one("Allow"), Some("GET, HEAD, POST"));
}

#[rocket::async_test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let department = app.create_department(&admin, "LEGAL").await;
    let path = format!("/api/v1/departments/{department}");
    let read = app.get(&path, Some(&admin.token)).await;
    assert_eq!(read.etag.as_deref(), Some("\"1\""));

    let first = app
        .patch(
            &path,
            Some(&admin.token),
            Some("\"1\""),
            json!({"name": "Legal & Compliance"}),
        )
        .await;
    assert_eq!(first.status, Status::Ok, "{}", first.body);
    assert_eq!(first.etag.as_deref(), Some("\"2\""));

    let stale = app
        .patch(
            &path,
            Some(&admin.token),
            Some("\"1\""),
            json!({"name": "Lost update"}),
        )
        .await;
    assert_problem(&stale, Status::PreconditionFailed);
    let after = app.get(&path, Some(&admin.token)).await;
    assert_eq!(after.body["name"], "Legal & Compliance");

    // Without If-Match the write is accepted.
    let blind = app
        .patch(&path, Some(&admin.token), None, json!({"name": "Legal"}))
        .await;
    assert_eq!(blind.status, Status::Ok);
    assert_eq!(blind.body["version"], 3);
}

#[rocket::async_test]
async fn pages_follow_cursors_to_the_end() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    for code in ["A", "B", "C", "D", "E"] {
        app.create_department(&admin, code).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/departments?limit=2".to_owned();
    loop {
        let page = app.get(&path, Some(&admin.token)).await;
        for item in page.body["items"].as_array().unwrap() {
            seen.push(item["code"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/departments?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["A", "B", "C", "D", "E"]);
}

#[rocket::async_test]
async fn no_error_shows_sql_or_internals() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let probes = [
        app.get("/api/v1/departments/1%20OR%201=1", Some(&admin.token))
            .await,
        app.get(
            "/api/v1/users?department_id=1%20OR%201%3D1",
            Some(&admin.token),
        )
        .await,
        app.get("/api/v1/users?limit=lots", Some(&admin.token))
            .await,
        app.post(
            "/api/v1/departments",
            Some(&admin.token),
            json!({"name": "x", "code": "X", "calendar_id": i64::MAX}),
        )
        .await,
    ];
    for answer in probes {
        let text = answer.body.to_string().to_lowercase();
        for leak in [
            "select ", "sqlite", "postgres", "panicked", "stack", "secret",
        ] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert!(
            answer.status.code >= 400 && answer.status.code < 500,
            "{}",
            answer.status
        );
    }
    let with_header = app
        .client
        .get("/api/v1/departments")
        .header(Header::new(
            "Authorization",
            format!("Bearer {}", admin.token),
        ))
        .header(Header::new("If-Match", "not-a-tag"));
    assert_eq!(app.send(with_header).await.status, Status::Ok);
}

#[rocket::async_test]
async fn a_query_parameter_given_twice_is_422_not_silently_dropped() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let answer = app
        .get("/api/v1/users?limit=abc&limit=5", Some(&admin.token))
        .await;
    assert_problem(&answer, Status::UnprocessableEntity);
    assert!(answer.body["errors"]["limit"].is_array(), "{}", answer.body);
}

#[rocket::async_test]
async fn well_formed_json_of_the_wrong_shape_is_422_not_400() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    // Three times where a range is a pair: serde calls that "trailing characters".
    let answer = app
        .post(
            "/api/v1/calendars",
            Some(&admin.token),
            json!({
                "name": "Odd",
                "timezone": "Europe/Berlin",
                "weekly": {"mon": [["09:00", "12:00", "17:00"]]},
            }),
        )
        .await;
    assert_problem(&answer, Status::UnprocessableEntity);
    assert!(
        answer.body["errors"]["weekly.mon[0]"].is_array(),
        "{}",
        answer.body
    );
}

#[rocket::async_test]
async fn if_match_is_read_exactly_as_the_document_describes_it() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let department = app.create_department(&admin, "LEGAL").await;
    let path = format!("/api/v1/departments/{department}");
    for (tag, status) in [
        ("+1", Status::BadRequest),
        ("-1", Status::BadRequest),
        ("\"1", Status::BadRequest),
        ("1234567890", Status::BadRequest),
        ("\"9\"", Status::PreconditionFailed),
        ("W/\"9\"", Status::PreconditionFailed),
        ("9", Status::PreconditionFailed),
    ] {
        let request = app
            .client
            .patch(path.clone())
            .header(ContentType::JSON)
            .header(Header::new(
                "Authorization",
                format!("Bearer {}", admin.token),
            ))
            .header(Header::new("If-Match", tag))
            .body(json!({"name": "Legal"}).to_string());
        assert_eq!(app.send(request).await.status, status, "If-Match: {tag}");
    }
}

#[rocket::async_test]
async fn every_date_outside_the_supported_range_is_a_422_naming_its_field() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 8.0, "business_hours").await;
    let calendar = app.default_calendar(&pair.admin).await;
    let request = app
        .log_request(&pair.sales_staff, agreement, "2026-03-02T09:00:00Z", &[])
        .await["id"]
        .as_i64()
        .unwrap();
    let far = "9999-12-31T00:00:00Z";
    let early = "1900-01-01T00:00:00Z";
    let token = |session: &common::Session| session.token.clone();
    let bodies = [
        (
            "/api/v1/requests".to_owned(),
            token(&pair.sales_staff),
            json!({"agreement_id": agreement, "title": "t", "details": "", "requested_at": early}),
            "requested_at",
        ),
        (
            format!("/api/v1/requests/{request}/start"),
            token(&pair.legal_staff),
            json!({"at": early}),
            "at",
        ),
        (
            format!("/api/v1/requests/{request}/forecast"),
            token(&pair.legal_staff),
            json!({"expected_at": far, "reason": "busy"}),
            "expected_at",
        ),
        (
            "/api/v1/calendars".to_owned(),
            token(&pair.admin),
            json!({"name": "Far", "timezone": "UTC", "weekly": {"mon": [["09:00", "17:00"]]},
                   "holidays": [{"date": "2026-12-25", "name": "Christmas"},
                                {"date": "2999-01-01", "name": "Far off"}]}),
            "holidays[1].date",
        ),
        (
            "/api/v1/commitments".to_owned(),
            token(&pair.sales_lead),
            json!({"customer_name": "Globex", "title": "t", "promised_at": far,
                   "owner_department_id": pair.sales}),
            "promised_at",
        ),
    ];
    for (path, token, body, field) in bodies {
        let answer = app.post(&path, Some(&token), body).await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(
            answer.body["errors"][field].is_array(),
            "{path}: {}",
            answer.body
        );
    }
    let queries = [
        (format!("/api/v1/requests?due_before={far}"), "due_before"),
        (
            format!("/api/v1/calendars/{calendar}/due?from={early}&amount=1&unit=business_days"),
            "from",
        ),
        (
            format!("/api/v1/calendars/{calendar}/working-time?from=2026-03-02T00:00:00Z&to={far}"),
            "to",
        ),
        ("/api/v1/reports/health?from=1800-01-01".to_owned(), "from"),
        (format!("/api/v1/reports/impact?as_of={far}"), "as_of"),
    ];
    for (path, field) in queries {
        let answer = app.get(&path, Some(&pair.admin.token)).await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert!(
            answer.body["errors"][field].is_array(),
            "{path}: {}",
            answer.body
        );
    }
    // Nothing out of range was stored.
    let listed = app.get("/api/v1/requests", Some(&pair.admin.token)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["items"][0]["status"], "open");
}

#[rocket::async_test]
async fn a_list_filtered_by_an_unknown_status_or_risk_names_every_one_there_is() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    for (path, field, members) in [
        (
            "/api/v1/requests?status=done",
            "status",
            "must be open, in_progress, waiting_on_customer, delivered, accepted, reopened or cancelled",
        ),
        (
            "/api/v1/agreements?status=Active",
            "status",
            "must be draft, proposed, active or retired",
        ),
        (
            "/api/v1/commitments?risk=red",
            "risk",
            "must be on_track, at_risk or late",
        ),
        (
            "/api/v1/commitments?status=open%20",
            "status",
            "must be open, fulfilled or cancelled",
        ),
        (
            "/api/v1/reviews?status=planned",
            "status",
            "must be scheduled, held or cancelled",
        ),
        (
            "/api/v1/actions?status=closed",
            "status",
            "must be open, done or dropped",
        ),
    ] {
        let answer = app.get(path, Some(&admin.token)).await;
        assert_problem(&answer, Status::UnprocessableEntity);
        assert_eq!(answer.body["errors"][field], json!([members]), "{path}");
    }
    let known = app
        .get(
            "/api/v1/requests?status=waiting_on_customer",
            Some(&admin.token),
        )
        .await;
    assert_eq!(known.status, Status::Ok);
}

/// GETs `path` as a browser does, with the session `cookie` if any.
async fn as_browser(
    app: &common::TestApp,
    cookie: Option<&rocket::http::Cookie<'static>>,
    path: &str,
) -> (Status, String, String) {
    let mut request = app.client.get(path.to_owned()).header(Header::new(
        "Accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ));
    if let Some(cookie) = cookie {
        request = request.cookie(cookie.clone());
    }
    let response = request.dispatch().await;
    let status = response.status();
    let kind = response
        .content_type()
        .map(|kind| kind.to_string())
        .unwrap_or_default();
    (
        status,
        kind,
        response.into_string().await.unwrap_or_default(),
    )
}

#[rocket::async_test]
async fn a_browser_meets_a_page_with_the_way_home_where_the_api_keeps_problem_json() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let request = common::int(
        &app.log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"],
    );
    let ops = app.create_department(&pair.admin, "OPS").await;
    app.create_user(&pair.admin, "olga@acme.test", "staff", Some(ops))
        .await;
    let olga = crate::pages::sign_in(&app, "olga@acme.test").await;

    // A wrong address, and a request of departments Olga does not see.
    for path in ["/no/such/page".to_owned(), format!("/requests/{request}")] {
        let (status, kind, html) = as_browser(&app, Some(&olga), &path).await;
        assert_eq!(status, Status::NotFound, "{path}: {html}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(html.contains("<h1>Nothing here</h1>"), "{html}");
        assert!(
            html.contains("<nav") && html.contains("href=\"/\""),
            "{html}"
        );
        assert!(!html.contains("urn:baton:problem"), "{html}");
    }

    // The API answers a browser as it answers any client.
    let (status, kind, body) = as_browser(&app, Some(&olga), "/api/v1/no-such-thing").await;
    assert_eq!(status, Status::NotFound);
    assert_eq!(kind, "application/problem+json", "{body}");
    // And a client that does not ask for HTML gets the problem document anywhere.
    let plain = app.client.get("/no/such/page").dispatch().await;
    assert_eq!(
        plain.content_type().map(|kind| kind.to_string()).as_deref(),
        Some("application/problem+json")
    );
}
