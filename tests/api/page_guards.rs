//! The two guards every page stands behind: `PageUser` (signed in, or off to
//! the login page) and `Posted` (a form of a signed-in person, its CSRF
//! token checked). Checked over every page route Rocket has, so that a page
//! added without its guard fails here.

use crate::common::spawn_app;
use crate::pages::sign_in;
use rocket::http::{ContentType, Cookie, Method, Status};

/// Pages anyone may open: signing in, setting a forgotten password, the
/// health and metrics probes, and the API's documentation.
fn is_public(path: &str) -> bool {
    path == "/login"
        || path.starts_with("/password/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        || path.starts_with("/api/")
        // The calendar feed is read by calendar programs with a token of its own.
        || path.ends_with(".ics")
}

/// A route's path with every dynamic segment and query value filled with 1.
fn concrete(path: &str, query: Option<&str>) -> String {
    let path = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('<') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    match query {
        Some(query) => {
            let values: Vec<String> = query
                .split('&')
                .map(|name| format!("{}=1", name.trim_matches(['<', '>'])))
                .collect();
            format!("{path}?{}", values.join("&"))
        }
        None => path,
    }
}

#[rocket::async_test]
async fn every_page_and_every_form_post_without_a_session_goes_to_the_login_page() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.test").await;
    let pages: Vec<(Method, String)> = app
        .client
        .rocket()
        .routes()
        .filter(|route| !is_public(route.uri.path()))
        .map(|route| {
            let query = route.uri.query().map(|query| query.to_string());
            (route.method, concrete(route.uri.path(), query.as_deref()))
        })
        .collect();
    assert!(
        pages.len() >= 20,
        "the web interface's routes are all here: {pages:?}"
    );
    for (method, path) in &pages {
        let request = app.client.req(*method, path.clone());
        let answer = if *method == Method::Post {
            request
                .header(ContentType::Form)
                .body("_csrf=anything")
                .dispatch()
                .await
        } else {
            request.dispatch().await
        };
        assert_eq!(answer.status(), Status::SeeOther, "{method} {path}");
        assert_eq!(
            answer.headers().get_one("Location"),
            Some("/login"),
            "{method} {path}"
        );
    }

    // A stale or forged cookie is no session either.
    let forged = app
        .client
        .get("/")
        .cookie(Cookie::new("baton_session", "not-a-token"))
        .dispatch()
        .await;
    assert_eq!(forged.status(), Status::SeeOther);
    assert_eq!(forged.headers().get_one("Location"), Some("/login"));
}

#[rocket::async_test]
async fn the_api_without_a_token_still_answers_401_as_a_problem_and_never_redirects() {
    let app = spawn_app().await;
    let answer = app.client.get("/api/v1/requests").dispatch().await;
    assert_eq!(answer.status(), Status::Unauthorized);
    assert_eq!(answer.headers().get_one("Location"), None);
    assert_eq!(
        answer.content_type().map(|kind| kind.to_string()),
        Some("application/problem+json".to_owned())
    );
    let body: serde_json::Value =
        serde_json::from_str(&answer.into_string().await.unwrap_or_default())
            .expect("a problem document");
    assert_eq!(body["status"], 401);
}

#[rocket::async_test]
async fn a_form_posted_with_another_persons_token_is_refused_and_signs_no_one_out() {
    let app = spawn_app().await;
    app.signup("Acme", "ada@acme.test").await;
    app.signup("Bolt", "bo@bolt.test").await;
    let first = sign_in(&app, "ada@acme.test").await;
    let second = sign_in(&app, "bo@bolt.test").await;
    let home = app.client.get("/").cookie(second.clone()).dispatch().await;
    let html = home.into_string().await.unwrap_or_default();
    let start = html.find("name=\"_csrf\" value=\"").expect("a CSRF token") + 20;
    let second_token = html[start..].split('"').next().unwrap_or_default();

    // Bo's token does not sign Ada out.
    let refused = app
        .client
        .post("/logout")
        .cookie(first.clone())
        .header(ContentType::Form)
        .body(format!("_csrf={second_token}"))
        .dispatch()
        .await;
    assert_eq!(refused.status(), Status::Forbidden);
    let still_in = app.client.get("/").cookie(first).dispatch().await;
    assert_eq!(still_in.status(), Status::Ok);

    let accepted = app
        .client
        .post("/logout")
        .cookie(second)
        .header(ContentType::Form)
        .body(format!("_csrf={second_token}"))
        .dispatch()
        .await;
    assert_eq!(accepted.status(), Status::SeeOther);
    assert_eq!(accepted.headers().get_one("Location"), Some("/login"));
}
