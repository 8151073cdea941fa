//! Several server instances on one PostgreSQL database: they start together
//! (their migrations take turns) and, once up, concurrent work through both
//! doubles nothing. Runs only when `BATON_TEST_POSTGRES_URL` is set; on SQLite
//! one file has one writer and nothing here applies.

use crate::common;

/// The PostgreSQL the tests may use, or `None` to skip.
fn postgres() -> Option<String> {
    std::env::var("BATON_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

#[rocket::async_test]
async fn instances_migrating_an_empty_database_at_the_same_moment_all_start() {
    if postgres().is_none() {
        return;
    }
    // One race can go either way; several fresh schemas, each migrated by
    // four instances at once, collide without the lock every time we tried.
    for round in 0..4 {
        let url = common::fresh_database().await;
        let mut pools = Vec::new();
        for _ in 0..4 {
            pools.push(baton::db::connect(&url, 2).await.expect("database opens"));
        }
        let results = rocket::futures::future::join_all(pools.iter().map(baton::db::migrate)).await;
        for (instance, result) in results.into_iter().enumerate() {
            assert!(
                result.is_ok(),
                "round {round}, instance {instance}: {:?}",
                result.err()
            );
        }
        for pool in pools {
            pool.close().await.ok();
        }
        // An instance that finds the schema current starts normally.
        let app = common::spawn_app_on(url, |config| config).await;
        let answer = app.get("/readyz", None).await;
        assert_eq!(answer.status, rocket::http::Status::Ok, "{}", answer.body);
    }
}

/// Rows of `sql` (a `GROUP BY … HAVING COUNT(*) > 1`): the duplicates.
async fn duplicates(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
    db.query_all_raw(statement)
        .await
        .expect("duplicates query")
        .into_iter()
        .map(|row| format!("{row:?}"))
        .collect()
}

async fn count(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let statement = sea_orm::Statement::from_string(db.get_database_backend(), sql);
    db.query_one_raw(statement)
        .await
        .expect("count query")
        .and_then(|row| row.try_get::<i64>("", "n").ok())
        .unwrap_or(-1)
}

#[rocket::async_test]
async fn two_instances_started_together_double_nothing_under_concurrent_work() {
    use common::Answer;
    use rocket::http::{ContentType, Header, Status};
    use serde_json::json;

    if postgres().is_none() {
        return;
    }
    let url = common::fresh_database().await;
    // Both sweep for overdue requests every second, the real background task.
    let sweeping = |config: baton::Config| baton::Config {
        overdue_sweep_seconds: 1,
        ..config
    };
    let (a, b) = tokio::join!(
        common::spawn_app_on(url.clone(), sweeping),
        common::spawn_app_on(url.clone(), sweeping)
    );
    let apps = [&a, &b];
    let pair = a.pair().await;
    // One calendar hour: everything logged three days ago is overdue.
    let agreement = a.active_agreement(&pair, 1.0, "calendar_hours").await;
    let long_ago = (chrono::Utc::now() - chrono::TimeDelta::days(3)).to_rfc3339();

    // Logging through both at once, half of it sent twice with one key.
    let logged = rocket::futures::future::join_all((0..24).map(|n| {
        let app = apps[n % 2];
        let key = format!("key-{}", n / 2);
        let body = json!({"agreement_id": agreement, "title": format!("r{}", n / 2), "details": "",
                          "requested_at": long_ago});
        let token = pair.sales_staff.token.clone();
        async move {
            let mut request = app
                .client
                .post("/api/v1/requests")
                .header(ContentType::JSON)
                .header(Header::new("Authorization", format!("Bearer {token}")))
                .body(body.to_string());
            if n < 12 {
                request = request.header(Header::new("Idempotency-Key", key));
            } else {
                request = request.header(Header::new("Idempotency-Key", format!("solo-{n}")));
            }
            app.send(request).await
        }
    }))
    .await;
    let mut ids: Vec<i64> = Vec::new();
    for answer in &logged {
        assert!(
            answer.status.code / 100 == 2,
            "{}: {}",
            answer.status,
            answer.body
        );
        ids.push(answer.body["id"].as_i64().expect("request id"));
    }
    for twice in ids[..12].chunks(2) {
        assert_eq!(twice[0], twice[1], "one key, one request");
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 18);

    // Each request started through both at once: one start each.
    let legal_token = &pair.legal_staff.token;
    let started = rocket::futures::future::join_all(ids.iter().flat_map(|id| {
        apps.iter().map(move |app| {
            let path = format!("/api/v1/requests/{id}/start");
            async move { app.post(&path, Some(legal_token), json!({})).await }
        })
    }))
    .await;
    let ok = |answers: &[Answer]| answers.iter().filter(|a| a.status == Status::Ok).count();
    assert_eq!(ok(&started), ids.len(), "one start per request");

    // A late forecast through both, on the version both read: one lands.
    let mut forecasts = Vec::new();
    for id in &ids[..6] {
        let version = a
            .get(
                &format!("/api/v1/requests/{id}"),
                Some(&pair.legal_staff.token),
            )
            .await
            .etag
            .expect("an ETag");
        let path = format!("/api/v1/requests/{id}/forecast");
        let body = json!({"expected_at": chrono::Utc::now().to_rfc3339(), "reason": "backlog"});
        let (x, y) = tokio::join!(
            a.post_if_match(&path, Some(&pair.legal_staff.token), &version, body.clone()),
            b.post_if_match(&path, Some(&pair.legal_staff.token), &version, body.clone()),
        );
        forecasts.extend([x, y]);
    }
    assert_eq!(ok(&forecasts), 6, "one forecast per request");

    // A weekly review held through both at once: one next review.
    let review = a
        .post(
            "/api/v1/reviews",
            Some(&pair.sales_lead.token),
            json!({"department_ids": [pair.sales, pair.legal], "scheduled_at": chrono::Utc::now().to_rfc3339(),
                   "duration_minutes": 30, "every_weeks": 1, "attendee_user_ids": []}),
        )
        .await;
    assert_eq!(review.status, Status::Created, "{}", review.body);
    let hold = format!("/api/v1/reviews/{}/hold", review.body["id"]);
    let (x, y) = tokio::join!(
        a.post(&hold, Some(&pair.sales_lead.token), json!({"minutes": "m"})),
        b.post(&hold, Some(&pair.legal_lead.token), json!({"minutes": "m"})),
    );
    assert_eq!(ok(&[x, y]), 1, "one hold");

    // Both sweeps have run a few times over the overdue requests.
    let db = baton::db::connect(&url, 1).await.expect("database opens");
    let mut overdue = 0;
    for _ in 0..100 {
        overdue = count(&db, "events WHERE kind = 'overdue'").await;
        if overdue >= ids.len() as i64 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(overdue, ids.len() as i64, "every request found overdue");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;

    let doubled_events = duplicates(
        &db,
        "SELECT subject_type, subject_id, kind, COUNT(*) AS n FROM events \
         GROUP BY subject_type, subject_id, kind HAVING COUNT(*) > 1",
    )
    .await;
    let doubled_notifications = duplicates(
        &db,
        "SELECT user_id, kind, request_id, COUNT(*) AS n FROM notifications \
         GROUP BY user_id, kind, request_id HAVING COUNT(*) > 1",
    )
    .await;
    let doubled_reviews = duplicates(
        &db,
        "SELECT follows_review_id, COUNT(*) AS n FROM reviews \
         WHERE follows_review_id IS NOT NULL GROUP BY follows_review_id HAVING COUNT(*) > 1",
    )
    .await;
    println!(
        "two instances: {} requests, {} events, {} notifications, {} reviews; \
         duplicates: {} events, {} notifications, {} reviews",
        count(&db, "requests").await,
        count(&db, "events").await,
        count(&db, "notifications").await,
        count(&db, "reviews").await,
        doubled_events.len(),
        doubled_notifications.len(),
        doubled_reviews.len()
    );
    assert!(doubled_events.is_empty(), "{doubled_events:#?}");
    assert!(
        doubled_notifications.is_empty(),
        "{doubled_notifications:#?}"
    );
    assert!(doubled_reviews.is_empty(), "{doubled_reviews:#?}");
    assert_eq!(count(&db, "reviews").await, 2);
    assert_eq!(count(&db, "requests").await, ids.len() as i64);
}
