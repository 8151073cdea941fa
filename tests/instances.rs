//! Several server instances on one PostgreSQL database: they start together
//! (their migrations take turns) and, once up, concurrent work through both
//! doubles nothing. Runs only when `BATON_TEST_POSTGRES_URL` is set; on SQLite
//! one file has one writer and nothing here applies.

mod common;

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
