//! Signup, login, tokens and deactivation through the HTTP interface.

use crate::common;

use crate::common::{PASSWORD, assert_problem, spawn_app, spawn_app_with};
use rocket::http::Status;
use serde_json::json;

const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

#[derive(serde::Serialize)]
struct Claims {
    sub: i64,
    org: i64,
    iat: i64,
    exp: i64,
}

fn token_signed_with(secret: &str, sub: i64, org: i64, exp_offset_seconds: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &Claims {
            sub,
            org,
            iat: now - 10,
            exp: now + exp_offset_seconds,
        },
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[rocket::async_test]
async fn signup_creates_an_organisation_its_admin_and_the_default_calendar() {
    let app = spawn_app().await;
    let answer = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"org_name": "Acme", "timezone": "Europe/Berlin", "name": "Ada",
                   "email": "Ada@Acme.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(answer.status, Status::Created, "{}", answer.body);
    assert_eq!(answer.body["user"]["role"], "admin");
    assert_eq!(answer.body["user"]["email"], "ada@acme.test");
    assert_eq!(answer.body["organisation"]["name"], "Acme");
    assert_eq!(
        answer.body["organisation"]["at_risk_threshold_minutes"],
        480
    );
    assert!(answer.body["user"].get("password_hash").is_none());
    let token = answer.body["token"].as_str().unwrap();

    let calendars = app.get("/api/v1/calendars", Some(token)).await;
    let default = &calendars.body["items"][0];
    assert_eq!(default["timezone"], "Europe/Berlin");
    assert_eq!(default["weekly"]["mon"], json!([["09:00", "17:00"]]));
    assert_eq!(default["weekly"]["fri"], json!([["09:00", "17:00"]]));
    assert_eq!(default["weekly"]["sat"], json!([]));
    assert_eq!(default["weekly"]["sun"], json!([]));
}

#[rocket::async_test]
async fn signup_rejects_bad_fields_all_at_once_and_creates_nothing() {
    let app = spawn_app().await;
    let answer = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"org_name": "", "timezone": "Mars/Olympus", "name": "Ada",
                   "email": "not-an-email", "password": "short"}),
        )
        .await;
    assert_problem(&answer, Status::UnprocessableEntity);
    for field in ["org_name", "timezone", "email", "password"] {
        assert!(
            answer.body["errors"][field].is_array(),
            "{field}: {}",
            answer.body
        );
    }
    let login = app.login("not-an-email", "short").await;
    assert_problem(&login, Status::Unauthorized);
}

#[rocket::async_test]
async fn signing_up_twice_with_the_same_email_in_any_case_is_a_conflict() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.test").await;
    let again = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"org_name": "Other", "timezone": "UTC", "name": "Ada",
                   "email": "ADA@acme.test", "password": PASSWORD}),
        )
        .await;
    assert_problem(&again, Status::Conflict);
}

#[rocket::async_test]
async fn closed_signup_answers_403() {
    let app = spawn_app_with(|config| baton::Config {
        signup: baton::config::SignupMode::Closed,
        ..config
    })
    .await;
    let answer = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({"org_name": "Acme", "timezone": "UTC", "name": "Ada",
                   "email": "ada@acme.test", "password": PASSWORD}),
        )
        .await;
    assert_problem(&answer, Status::Forbidden);
}

#[rocket::async_test]
async fn login_returns_a_token_that_expires_within_twelve_hours() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.test").await;
    let answer = app.login("ADA@acme.test", PASSWORD).await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    let expires_at: chrono::DateTime<chrono::Utc> =
        answer.body["expires_at"].as_str().unwrap().parse().unwrap();
    let hours = (expires_at - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!(
        (7.9..=8.0).contains(&hours),
        "default lifetime 8 h, got {hours}"
    );
    let token = answer.body["token"].as_str().unwrap();
    let me = app.get("/api/v1/organisation", Some(token)).await;
    assert_eq!(me.status, Status::Ok);
}

#[rocket::async_test]
async fn a_wrong_password_answers_401_without_saying_which_part_was_wrong() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.test").await;
    let wrong_password = app.login("ada@acme.test", "not the password at all").await;
    let unknown_email = app.login("nobody@acme.test", PASSWORD).await;
    assert_problem(&wrong_password, Status::Unauthorized);
    assert_problem(&unknown_email, Status::Unauthorized);
    assert_eq!(wrong_password.body["detail"], unknown_email.body["detail"]);
}

#[rocket::async_test]
async fn repeated_failed_logins_are_rate_limited_per_account_and_address_and_only_failures_count() {
    let app = spawn_app_with(|config| baton::Config {
        login_max_failures: 3,
        ..config
    })
    .await;
    app.signup("Acme", "ada@acme.test").await;
    // Successes never count.
    for _ in 0..4 {
        assert_eq!(
            app.login("ada@acme.test", PASSWORD).await.status,
            Status::Ok
        );
    }
    for _ in 0..3 {
        assert_problem(
            &app.login("ada@acme.test", "wrong password!!").await,
            Status::Unauthorized,
        );
    }
    let blocked = app.login("ada@acme.test", PASSWORD).await;
    assert_problem(&blocked, Status::TooManyRequests);
}

#[rocket::async_test]
async fn requests_without_a_token_or_with_a_malformed_one_answer_401() {
    let app = spawn_app().await;
    assert_problem(&app.get("/api/v1/users", None).await, Status::Unauthorized);
    assert_problem(
        &app.get("/api/v1/users", Some("not.a.jwt")).await,
        Status::Unauthorized,
    );
}

#[rocket::async_test]
async fn an_expired_token_answers_401() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let expired = token_signed_with(TEST_SECRET, admin.user_id, admin.organisation_id, -5);
    let answer = app.get("/api/v1/users", Some(&expired)).await;
    assert_problem(&answer, Status::Unauthorized);
    assert!(answer.body["detail"].as_str().unwrap().contains("expired"));
}

#[rocket::async_test]
async fn a_token_signed_with_another_key_or_claiming_another_organisation_answers_401() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let forged = token_signed_with(
        "some-other-secret-that-is-long-enough-0123456789",
        admin.user_id,
        admin.organisation_id,
        3600,
    );
    assert_problem(
        &app.get("/api/v1/users", Some(&forged)).await,
        Status::Unauthorized,
    );
    let wrong_org = token_signed_with(TEST_SECRET, admin.user_id, admin.organisation_id + 1, 3600);
    assert_problem(
        &app.get("/api/v1/users", Some(&wrong_org)).await,
        Status::Unauthorized,
    );
    // An unsigned token ("alg": "none") is refused too.
    let unsigned = format!(
        "{}.{}.",
        base64_url(r#"{"alg":"none","typ":"JWT"}"#),
        base64_url(&format!(
            r#"{{"sub":{},"org":{},"iat":0,"exp":4102444800}}"#,
            admin.user_id, admin.organisation_id
        ))
    );
    assert_problem(
        &app.get("/api/v1/users", Some(&unsigned)).await,
        Status::Unauthorized,
    );
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[rocket::async_test]
async fn a_deactivated_user_cannot_log_in_and_their_token_stops_working() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let department = app.create_department(&admin, "LEGAL").await;
    let staff = app
        .create_user(&admin, "lin@acme.test", "staff", Some(department))
        .await;
    assert_eq!(
        app.get("/api/v1/users", Some(&staff.token)).await.status,
        Status::Ok
    );

    let answer = app
        .post(
            &format!("/api/v1/users/{}/deactivate", staff.user_id),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{}", answer.body);
    assert_eq!(answer.body["active"], false);

    assert_problem(
        &app.get("/api/v1/users", Some(&staff.token)).await,
        Status::Unauthorized,
    );
    assert_problem(
        &app.login("lin@acme.test", PASSWORD).await,
        Status::Unauthorized,
    );
}

#[rocket::async_test]
async fn an_admin_cannot_deactivate_themselves() {
    let app = spawn_app().await;
    let admin = app.signup("Acme", "ada@acme.test").await;
    let answer = app
        .post(
            &format!("/api/v1/users/{}/deactivate", admin.user_id),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_problem(&answer, Status::Conflict);
}

/// A login from `address`, optionally through a proxy that says `forwarded_for`.
async fn login_from(
    app: &common::TestApp,
    address: &str,
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> common::Answer {
    let peer = std::net::SocketAddr::new(address.parse().unwrap(), 40_000);
    let mut request = app
        .client
        .post("/api/v1/auth/login")
        .header(rocket::http::ContentType::JSON)
        .remote(peer)
        .body(json!({"email": email, "password": password}).to_string());
    if let Some(chain) = forwarded_for {
        request = request.header(rocket::http::Header::new(
            "X-Forwarded-For",
            chain.to_owned(),
        ));
    }
    app.send(request).await
}

#[rocket::async_test]
async fn wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_another() {
    let app = spawn_app_with(|config| baton::Config {
        login_max_failures: 3,
        ..config
    })
    .await;
    app.signup("Acme", "ada@acme.test").await;
    for _ in 0..5 {
        login_from(
            &app,
            "198.51.100.66",
            None,
            "ada@acme.test",
            "wrong password!!",
        )
        .await;
    }
    // The guessing address is locked out of this account, even with the password…
    let guesser = login_from(&app, "198.51.100.66", None, "ada@acme.test", PASSWORD).await;
    assert_problem(&guesser, Status::TooManyRequests);
    // …while the owner, elsewhere, logs in.
    let owner = login_from(&app, "203.0.113.7", None, "ada@acme.test", PASSWORD).await;
    assert_eq!(owner.status, Status::Ok, "{}", owner.body);
}

#[rocket::async_test]
async fn one_address_guessing_across_accounts_reaches_its_own_ceiling() {
    let app = spawn_app_with(|config| baton::Config {
        login_max_failures: 3,
        login_max_failures_per_address: 4,
        ..config
    })
    .await;
    app.signup("Acme", "ada@acme.test").await;
    for n in 0..4 {
        let answer = login_from(
            &app,
            "198.51.100.66",
            None,
            &format!("user{n}@acme.test"),
            "wrong password!!",
        )
        .await;
        assert_problem(&answer, Status::Unauthorized);
    }
    // Over its ceiling, the address is refused even a right password…
    let over = login_from(&app, "198.51.100.66", None, "ada@acme.test", PASSWORD).await;
    assert_problem(&over, Status::TooManyRequests);
    // …and nobody else is.
    let other = login_from(&app, "203.0.113.7", None, "ada@acme.test", PASSWORD).await;
    assert_eq!(other.status, Status::Ok, "{}", other.body);
}

#[rocket::async_test]
async fn x_forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let app = spawn_app_with(|config| baton::Config {
        login_max_failures: 3,
        trusted_proxies: "10.1.0.0/16".into(),
        ..config
    })
    .await;
    app.signup("Acme", "ada@acme.test").await;
    // Behind the proxy, the guesser is the rightmost untrusted hop; what it
    // wrote further left (a spoofed address) changes nothing.
    for spoof in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        let chain = format!("{spoof}, 198.51.100.66, 10.1.0.9");
        login_from(
            &app,
            "10.1.0.5",
            Some(&chain),
            "ada@acme.test",
            "wrong password!!",
        )
        .await;
    }
    let guesser = login_from(
        &app,
        "10.1.0.5",
        Some("198.51.100.66"),
        "ada@acme.test",
        PASSWORD,
    )
    .await;
    assert_problem(&guesser, Status::TooManyRequests);
    // The same proxy forwarding the owner: a different client.
    let owner = login_from(
        &app,
        "10.1.0.5",
        Some("203.0.113.7"),
        "ada@acme.test",
        PASSWORD,
    )
    .await;
    assert_eq!(owner.status, Status::Ok, "{}", owner.body);

    // From an untrusted peer the header is ignored: naming the owner's
    // address does not make this peer's failures the owner's.
    for _ in 0..3 {
        login_from(
            &app,
            "192.0.2.44",
            Some("203.0.113.7"),
            "ada@acme.test",
            "wrong password!!",
        )
        .await;
    }
    let spoofer = login_from(&app, "192.0.2.44", None, "ada@acme.test", PASSWORD).await;
    assert_problem(&spoofer, Status::TooManyRequests);
    let owner = login_from(
        &app,
        "10.1.0.5",
        Some("203.0.113.7"),
        "ada@acme.test",
        PASSWORD,
    )
    .await;
    assert_eq!(owner.status, Status::Ok, "{}", owner.body);
}

/// A signup from `address` with `email`.
async fn signup_from(app: &common::TestApp, address: &str, email: &str) -> common::Answer {
    let peer = std::net::SocketAddr::new(address.parse().unwrap(), 40_000);
    let request = app
        .client
        .post("/api/v1/auth/signup")
        .header(rocket::http::ContentType::JSON)
        .remote(peer)
        .body(
            json!({"org_name": "Org", "timezone": "UTC", "name": "Ada", "email": email,
                   "password": PASSWORD})
            .to_string(),
        );
    app.send(request).await
}

#[rocket::async_test]
async fn a_taken_email_is_refused_without_the_answer_naming_it() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.test").await;
    let again = signup_from(&app, "203.0.113.7", "ADA@acme.test").await;
    assert_problem(&again, Status::Conflict);
    let answer = again.body.to_string().to_lowercase();
    for telling in ["ada@acme.test", "email", "exists", "taken"] {
        assert!(!answer.contains(telling), "says {telling:?}: {answer}");
    }
    assert!(again.body["errors"].as_object().unwrap().is_empty());
}

#[rocket::async_test]
async fn signups_from_one_address_are_limited_and_others_are_not() {
    let app = spawn_app_with(|config| baton::Config {
        signup_max_per_address: 3,
        ..config
    })
    .await;
    // Every attempt counts, a refused one too.
    assert_eq!(
        signup_from(&app, "198.51.100.9", "a@x.test").await.status,
        Status::Created
    );
    assert_eq!(
        signup_from(&app, "198.51.100.9", "a@x.test").await.status,
        Status::Conflict
    );
    assert_eq!(
        signup_from(&app, "198.51.100.9", "b@x.test").await.status,
        Status::Created
    );
    let limited = signup_from(&app, "198.51.100.9", "c@x.test").await;
    assert_problem(&limited, Status::TooManyRequests);
    let elsewhere = signup_from(&app, "203.0.113.7", "c@x.test").await;
    assert_eq!(elsewhere.status, Status::Created, "{}", elsewhere.body);
}
