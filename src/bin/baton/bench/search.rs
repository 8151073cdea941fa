//! The `search` benchmark: `GET /api/v1/requests?q=…` over an organisation
//! of 1,000,000 requests (quick mode: 50,000) with 100,000 comments (a
//! tenth as many), at 32 connections, on SQLite and, when
//! `BATON_BENCH_POSTGRES_URL` is set, on PostgreSQL. Target: p99 ≤ 100 ms.
//!
//! The organisation is the `report` benchmark's (written straight through
//! SeaORM bulk inserts, so the database's own triggers build the search
//! index as they would for requests logged one by one), with words: titles
//! of 4 to 7, details of 10 to 40 and comments of 8 to 30 words drawn from a
//! vocabulary of 20,000 words with a Zipf distribution, as natural text is.
//!
//! What is measured, after a warm-up:
//! - `<backend>_search_p50_ms`, `_p99_ms`: the latency of what people
//!   search for, a specific word or two (the vocabulary without its 200
//!   most frequent words, which behave like "the" and "of"), a quarter of
//!   them narrowed to a provider department, one search at a time (what a
//!   person waits on a server that is not saturated: the target);
//! - `<backend>_search_32_*`: the same searches from 32 clients at once:
//!   throughput, and the latency it costs on this machine (at saturation
//!   the latency is mostly the queue: 32 clients over the searches served
//!   a second);
//! - `<backend>_common_word_*`: the worst case, one search at a time for
//!   one of the 10 to 50 most frequent words, which matches a tenth of the
//!   organisation and more (only the newest 2,000 matches are ranked).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};

use baton::entities::{comment, request};

use super::reads::{CLIENTS, Load, Window, hammer, round2};
use super::report::{Shape, World, seed};
use super::server::{on_each_backend, token_for, with_server};

/// The report's organisation, with words.
const SEARCH_SHAPE: Shape = Shape {
    departments: 20,
    agreements: 100,
    years: 1,
};
const VOCABULARY: usize = 20_000;
/// The most frequent words, left out of the everyday queries.
const COMMON: usize = 200;
const QUERIES: usize = 2_000;
const BATCH: usize = 1_000;

/// What one backend measured.
struct Measured {
    search: Load,
    search_32: Load,
    common: Load,
}

/// Runs the benchmark, handing each figure (name, value, unit) to `report`.
pub fn run(quick: bool, mut report: impl FnMut(&str, f64, &str)) -> Result<(), String> {
    let requests = if quick { 50_000 } else { 1_000_000 };
    let window = Window {
        warmup: Duration::from_secs(if quick { 2 } else { 5 }),
        measure: Duration::from_secs(if quick { 5 } else { 20 }),
    };
    on_each_backend(
        "search",
        async |url, pool| measure(url, requests, pool, window).await,
        |backend, measured| emit(&mut report, backend, measured),
    )
}

fn emit(report: &mut impl FnMut(&str, f64, &str), backend: &str, measured: &Measured) {
    for (name, load) in [
        ("search", &measured.search),
        ("search_32", &measured.search_32),
        ("common_word", &measured.common),
    ] {
        report(
            &format!("{backend}_{name}_p50_ms"),
            round2(load.p50_ms),
            "ms",
        );
        report(
            &format!("{backend}_{name}_p99_ms"),
            round2(load.p99_ms),
            "ms",
        );
        report(
            &format!("{backend}_{name}_per_second"),
            load.per_second.round(),
            "1/s",
        );
    }
}

/// Seeds the organisation and its conversation, then searches it over HTTP.
async fn measure(
    database_url: &str,
    requests: usize,
    pool: u32,
    window: Window,
) -> Result<Measured, String> {
    let db = baton::db::connect(database_url, 4)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    baton::db::migrate(&db)
        .await
        .map_err(|error| format!("migration failed: {error}"))?;
    let words = Vocabulary::new();
    let began = Instant::now();
    // `seed` adds one open request for every hundred delivered.
    let world = seed(&db, SEARCH_SHAPE, requests * 100 / 101, &mut |rng| {
        (words.text(rng, 4..=7), words.text(rng, 10..=40))
    })
    .await?;
    let comments = requests / 10;
    converse(&db, &world, comments, &words).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // What autovacuum does soon after a bulk load.
        db.execute_unprepared("VACUUM ANALYZE requests, comments, request_search")
            .await
            .map_err(|error| format!("vacuum failed: {error}"))?;
    }
    eprintln!(
        "search: seeded {requests} requests and {comments} comments in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    let providers: Vec<i64> = world.departments.iter().map(|d| d.0).collect();
    db.close().await.ok();

    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let specific: Vec<String> = (0..QUERIES)
        .map(|_| {
            let count = if rng.random_bool(0.3) { 2 } else { 1 };
            let q: Vec<&str> = (0..count)
                .map(|_| words.word(rng.random_range(COMMON..VOCABULARY)))
                .collect();
            let mut path = format!("/api/v1/requests?limit=50&q={}", q.join("+"));
            if rng.random_bool(0.25) && !providers.is_empty() {
                let provider = providers[rng.random_range(0..providers.len())];
                path.push_str(&format!("&provider={provider}"));
            }
            path
        })
        .collect();
    let common: Vec<String> = (10..50)
        .map(|rank| format!("/api/v1/requests?limit=50&q={}", words.word(rank)))
        .collect();
    let token = token_for(&world.admin)?;
    with_server(database_url, pool, async |addr: SocketAddr| {
        let search = hammer(addr, &token, specific.clone(), 1, window).await?;
        let search_32 = hammer(addr, &token, specific, CLIENTS, window).await?;
        let common = hammer(addr, &token, common, 1, window).await?;
        Ok(Measured {
            search,
            search_32,
            common,
        })
    })
    .await
}

/// Comments on random requests, from the same vocabulary.
async fn converse(
    db: &DatabaseConnection,
    world: &World,
    comments: usize,
    words: &Vocabulary,
) -> Result<(), String> {
    let fail = |error: sea_orm::DbErr| format!("seeding comments: {error}");
    let ids: Vec<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::OrganisationId.eq(world.organisation_id))
        .into_tuple()
        .all(db)
        .await
        .map_err(fail)?;
    if ids.is_empty() {
        return Ok(());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let now = Utc::now();
    let txn = db.begin().await.map_err(fail)?;
    let mut made = 0;
    while made < comments {
        let count = BATCH.min(comments - made);
        let rows: Vec<comment::ActiveModel> = (0..count)
            .map(|_| comment::ActiveModel {
                organisation_id: Set(world.organisation_id),
                request_id: Set(ids[rng.random_range(0..ids.len())].into()),
                author_user_id: Set(world.admin.id),
                body: Set(words.text(&mut rng, 8..=30)),
                created_at: Set(now),
                edited_at: Set(None),
                ..Default::default()
            })
            .collect();
        comment::Entity::insert_many(rows)
            .exec(&txn)
            .await
            .map_err(fail)?;
        made += count;
    }
    txn.commit().await.map_err(fail)
}

/// Words made of syllables, drawn by a Zipf law (the word of rank `r`
/// about `1/r` as often as the most frequent).
struct Vocabulary {
    words: Vec<String>,
    /// Cumulative weights, for drawing a rank by bisection.
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new() -> Vocabulary {
        const SYLLABLES: [&str; 24] = [
            "ka", "to", "ri", "mel", "san", "dor", "vi", "lu", "pe", "gra", "no", "ste", "bal",
            "fin", "or", "que", "tam", "ek", "zu", "hal", "ven", "mi", "cos", "ral",
        ];
        let words = (0..VOCABULARY)
            .map(|mut rank| {
                // Rank in base 24, at least two syllables: every word differs.
                let mut word = String::new();
                for _ in 0..2 {
                    word.push_str(SYLLABLES[rank % SYLLABLES.len()]);
                    rank /= SYLLABLES.len();
                }
                while rank > 0 {
                    word.push_str(SYLLABLES[rank % SYLLABLES.len()]);
                    rank /= SYLLABLES.len();
                }
                word
            })
            .collect();
        let mut total = 0.0;
        let cumulative = (1..=VOCABULARY)
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    fn word(&self, rank: usize) -> &str {
        &self.words[rank.min(VOCABULARY - 1)]
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.random::<f64>() * total;
        self.word(self.cumulative.partition_point(|&sum| sum < target))
    }

    fn text(&self, rng: &mut ChaCha8Rng, words: std::ops::RangeInclusive<usize>) -> String {
        let count = rng.random_range(words);
        let drawn: Vec<&str> = (0..count).map(|_| self.draw(rng)).collect();
        drawn.join(" ")
    }
}
