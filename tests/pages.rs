//! The web interface through HTTP: signing in with a session cookie, CSRF on
//! every form, and each page rendering what the services know.

mod common;

use common::{PASSWORD, TestApp, spawn_app};
use rocket::http::{ContentType, Cookie, Status};
use serde_json::json;

/// Signs in through the login form; returns the session cookie.
async fn sign_in(app: &TestApp, email: &str) -> Cookie<'static> {
    let response = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body(format!(
            "email={}&password={}",
            email.replace('@', "%40"),
            PASSWORD.replace(' ', "+")
        ))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::SeeOther);
    let cookie = response
        .cookies()
        .get("baton_session")
        .expect("session cookie")
        .clone()
        .into_owned();
    assert!(cookie.http_only().unwrap_or(false));
    assert!(cookie.secure().unwrap_or(false));
    assert_eq!(cookie.same_site(), Some(rocket::http::SameSite::Strict));
    cookie
}

async fn page(app: &TestApp, cookie: &Cookie<'static>, path: &str) -> (Status, String) {
    let response = app
        .client
        .get(path.to_owned())
        .cookie(cookie.clone())
        .dispatch()
        .await;
    (
        response.status(),
        response.into_string().await.unwrap_or_default(),
    )
}

fn csrf_of(html: &str) -> String {
    let start = html
        .find("name=\"_csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 20;
    html[start..].split('"').next().unwrap().to_owned()
}

#[rocket::async_test]
async fn signing_in_sets_a_secure_session_and_pages_need_it() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.test").await;
    let anonymous = app.client.get("/").dispatch().await;
    assert_eq!(anonymous.status(), Status::SeeOther);
    assert_eq!(anonymous.headers().get_one("Location"), Some("/login"));
    let login_page = app.client.get("/login").dispatch().await;
    assert_eq!(login_page.status(), Status::Ok);
    let wrong = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body("email=ada%40acme.test&password=nope")
        .dispatch()
        .await;
    assert_eq!(wrong.headers().get_one("Location"), Some("/login"));
    assert!(wrong.cookies().get("baton_session").is_none());
    let cookie = sign_in(&app, "ada@acme.test").await;
    let (status, html) = page(&app, &cookie, "/").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Sign out"));
    assert!(
        !html.contains("https://") && !html.contains("http://"),
        "no outside resources"
    );
}

#[rocket::async_test]
async fn a_request_page_shows_its_timeline_and_its_forms_need_the_csrf_token() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let cookie = sign_in(&app, "lars@acme.test").await;
    let (status, html) = page(&app, &cookie, &format!("/requests/{id}")).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("logged") && html.contains("overdue"),
        "timeline: {html}"
    );
    assert!(
        html.contains("value=\"start\""),
        "the provider may start it"
    );
    assert!(
        !html.contains("value=\"accept\""),
        "only the customer accepts"
    );

    let forged = app
        .client
        .post(format!("/requests/{id}/act"))
        .cookie(cookie.clone())
        .header(ContentType::Form)
        .body("_csrf=forged&action=start")
        .dispatch()
        .await;
    assert_eq!(forged.status(), Status::SeeOther);
    let after_forgery = app
        .get(
            &format!("/api/v1/requests/{id}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(after_forgery.body["status"], "open");

    let token = csrf_of(&html);
    let started = app
        .client
        .post(format!("/requests/{id}/act"))
        .cookie(cookie.clone())
        .header(ContentType::Form)
        .body(format!("_csrf={token}&action=start"))
        .dispatch()
        .await;
    assert_eq!(started.status(), Status::SeeOther);
    let after = app
        .get(
            &format!("/api/v1/requests/{id}"),
            Some(&pair.legal_staff.token),
        )
        .await;
    assert_eq!(after.body["status"], "in_progress");
    // A refused move comes back with the reason.
    let refused = app
        .client
        .post(format!("/requests/{id}/act"))
        .cookie(cookie.clone())
        .header(ContentType::Form)
        .body(format!(
            "_csrf={token}&action=forecast&reason=busy&expected_at=someday"
        ))
        .dispatch()
        .await;
    let flash = refused
        .cookies()
        .get("_flash")
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    assert!(flash.contains("expected_at"), "{flash}");
    // The API refuses a cookie-borne change without the CSRF header.
    let via_api = app
        .client
        .post(format!("/api/v1/requests/{id}/pause"))
        .cookie(cookie.clone())
        .header(ContentType::JSON)
        .body(json!({"reason": "x"}).to_string())
        .dispatch()
        .await;
    assert_eq!(via_api.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn the_commitment_page_draws_the_chain_and_names_the_department() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let id = app
        .log_request(
            &pair.sales_staff,
            agreement,
            "2026-03-02T09:00:00+01:00",
            &[],
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let commitment = app
        .post(
            "/api/v1/commitments",
            Some(&pair.sales_lead.token),
            json!({"customer_name": "Globex", "title": "Go-live", "promised_at": "2026-03-05T17:00:00+01:00",
                   "owner_department_id": pair.sales, "depends_on": [id]}),
        )
        .await;
    let cookie = sign_in(&app, "leo@acme.test").await;
    let (status, home) = page(&app, &cookie, "/").await;
    assert_eq!(status, Status::Ok);
    assert!(home.contains("Go-live") && home.contains("late"), "{home}");
    let (status, html) = page(
        &app,
        &cookie,
        &format!("/commitments/{}", commitment.body["id"]),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("<svg") && html.contains(&format!("href=\"/requests/{id}\"")));
    assert!(
        html.contains("Department LEGAL"),
        "the slipping department is named: {html}"
    );
    assert!(html.contains("own_slip"));
}

#[rocket::async_test]
async fn agreement_and_review_pages_render_their_figures() {
    let app = spawn_app().await;
    let pair = app.pair().await;
    let agreement = app.active_agreement(&pair, 16.0, "business_hours").await;
    let review = app
        .post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.legal, pair.sales], "scheduled_at": "2026-12-01T09:00:00Z",
                   "duration_minutes": 45, "every_weeks": 4}),
        )
        .await;
    let cookie = sign_in(&app, "sara@acme.test").await;
    let (status, html) = page(
        &app,
        &cookie,
        &format!("/agreements/{agreement}?amount=8&unit=business_hours"),
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Contract review") && html.contains("16 business hours"));
    assert!(html.contains("Of the last 0 deliveries"));
    let (status, html) = page(&app, &cookie, &format!("/reviews/{}", review.body["id"])).await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("Contract review") && html.contains("Hold review"));
    let (status, html) = page(&app, &cookie, "/requests/new").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(&format!("value=\"{agreement}\"")));
}
