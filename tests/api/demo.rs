//! The demonstration organisation of `baton --demo`, seen through the API as
//! a newcomer would see it: logged in as the printed admin, it has many
//! departments in several time zones, agreements both ways, months of
//! delivered work, commitments on track, at risk and late, and reviews held
//! and scheduled with action items. Loading it again changes nothing.

use std::collections::{BTreeMap, HashSet};

use crate::common::{TestApp, spawn_app};
use baton::demo::{self, DEMO_ADMIN_EMAIL, DEMO_PASSWORD};
use baton::services::calendars::CalendarCache;
use rocket::http::Status;
use serde_json::Value;

/// Every item of a paginated list.
async fn all(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut cursor: Option<String> = None;
    loop {
        let page = match &cursor {
            Some(cursor) => format!("{path}{separator}limit=200&cursor={cursor}"),
            None => format!("{path}{separator}limit=200"),
        };
        let answer = app.get(&page, Some(token)).await;
        assert_eq!(answer.status, Status::Ok, "{page}: {}", answer.body);
        items.extend(answer.body["items"].as_array().cloned().unwrap_or_default());
        match answer.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// How many of each thing the organisation has, as the admin sees it.
async fn census(app: &TestApp, token: &str) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for (name, path) in [
        ("users", "/api/v1/users"),
        ("departments", "/api/v1/departments"),
        ("calendars", "/api/v1/calendars"),
        ("agreements", "/api/v1/agreements"),
        ("requests", "/api/v1/requests"),
        ("commitments", "/api/v1/commitments"),
        ("reviews", "/api/v1/reviews"),
    ] {
        counts.insert(name, all(app, token, path).await.len());
    }
    counts
}

async fn admin_token(app: &TestApp) -> String {
    let login = app.login(DEMO_ADMIN_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(login.status, Status::Ok, "admin login: {}", login.body);
    login.body["token"].as_str().expect("token").to_owned()
}

#[rocket::async_test]
async fn the_demo_is_a_living_organisation_and_loads_only_once() {
    // Arrange: the loader runs on the app's database, as `baton --demo` does
    // before serving.
    let app = spawn_app().await;
    let pool = baton::db::connect(&app.database_url, 2)
        .await
        .expect("database opens");
    let cache = CalendarCache::default();

    // Act
    let loaded = demo::load(&pool, &cache).await.expect("the demo loads");

    // Assert: the printed logins work.
    assert!(loaded.created);
    let banner = loaded.banner("http://127.0.0.1:8000");
    assert!(banner.contains(DEMO_PASSWORD), "{banner}");
    for role in ["admin", "leader", "lead", "staff"] {
        assert!(
            loaded
                .logins
                .iter()
                .any(|login| login.role.starts_with(role)),
            "no {role} login in {banner}"
        );
    }
    for login in &loaded.logins {
        assert!(banner.contains(&login.email), "{banner}");
        let answer = app.login(&login.email, DEMO_PASSWORD).await;
        assert_eq!(
            answer.status,
            Status::Ok,
            "{}: {}",
            login.email,
            answer.body
        );
    }
    let token = admin_token(&app).await;

    let departments = all(&app, &token, "/api/v1/departments").await;
    assert!(departments.len() >= 8, "{} departments", departments.len());
    assert!(
        departments.iter().all(|d| d["lead_user_id"].is_i64()),
        "every department has a lead: {departments:?}"
    );

    let calendars = all(&app, &token, "/api/v1/calendars").await;
    let zones: HashSet<&str> = calendars
        .iter()
        .filter_map(|c| c["timezone"].as_str())
        .collect();
    assert!(calendars.len() >= 4, "{} calendars", calendars.len());
    assert!(zones.len() >= 4, "zones: {zones:?}");

    let agreements = all(&app, &token, "/api/v1/agreements?status=active").await;
    let pairs: HashSet<(i64, i64)> = agreements
        .iter()
        .map(|a| {
            (
                a["provider_department_id"].as_i64().expect("provider"),
                a["customer_department_id"].as_i64().expect("customer"),
            )
        })
        .collect();
    assert!(
        agreements.len() >= 12,
        "{} active agreements",
        agreements.len()
    );
    assert!(
        pairs.iter().any(|&(p, c)| pairs.contains(&(c, p))),
        "no pair of departments serves each other both ways: {pairs:?}"
    );
    let negotiating = all(&app, &token, "/api/v1/agreements?status=proposed").await;
    assert!(!negotiating.is_empty(), "no agreement awaits acceptance");

    let delivered = all(&app, &token, "/api/v1/requests?status=delivered")
        .await
        .len()
        + all(&app, &token, "/api/v1/requests?status=accepted")
            .await
            .len();
    assert!(delivered >= 100, "{delivered} delivered requests");
    let overdue = all(&app, &token, "/api/v1/requests?overdue=true").await;
    assert!(!overdue.is_empty(), "nothing is overdue now");
    let waiting = all(&app, &token, "/api/v1/requests?status=waiting_on_customer").await;
    assert!(!waiting.is_empty(), "nothing waits on a customer now");
    let requests = all(&app, &token, "/api/v1/requests").await;
    assert!(
        requests
            .iter()
            .any(|r| !r["depends_on"].as_array().is_none_or(Vec::is_empty)),
        "no request depends on another"
    );

    for risk in ["on_track", "at_risk", "late"] {
        let commitments = all(&app, &token, &format!("/api/v1/commitments?risk={risk}")).await;
        assert!(!commitments.is_empty(), "no commitment is {risk}");
    }
    let fulfilled = all(&app, &token, "/api/v1/commitments?status=fulfilled").await;
    assert!(!fulfilled.is_empty(), "no commitment was ever fulfilled");

    let held = all(&app, &token, "/api/v1/reviews?status=held").await;
    let scheduled = all(&app, &token, "/api/v1/reviews?status=scheduled").await;
    assert!(!held.is_empty(), "no review was held");
    assert!(!scheduled.is_empty(), "no review is scheduled");
    let mut statuses = HashSet::new();
    for review in &held {
        let id = review["id"].as_i64().expect("review id");
        let actions = app
            .get(&format!("/api/v1/reviews/{id}/actions"), Some(&token))
            .await;
        assert_eq!(actions.status, Status::Ok, "{}", actions.body);
        let items = actions.body.as_array().cloned().unwrap_or_default();
        statuses.extend(
            items
                .iter()
                .filter_map(|a| a["status"].as_str().map(str::to_owned)),
        );
    }
    assert!(
        statuses.contains("open") && statuses.contains("done"),
        "action items: {statuses:?}"
    );

    // Act again: a second load finds the demo and only answers the logins.
    let before = census(&app, &token).await;
    let again = demo::load(&pool, &cache)
        .await
        .expect("the demo loads again");

    // Assert
    assert!(!again.created && again.complete);
    assert_eq!(again.logins, loaded.logins);
    assert_eq!(census(&app, &token).await, before);
}
