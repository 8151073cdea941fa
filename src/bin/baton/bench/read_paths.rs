//! The `read-paths` benchmark: the reads of an organisation's real history,
//! at 1,000,000 requests (quick mode: 50,000), over HTTP at 32 connections,
//! on SQLite and, when `BATON_BENCH_POSTGRES_URL` is set, on PostgreSQL.
//! Target: p99 ≤ 50 ms for every read, and ≥ 1,000 list pages a second on
//! SQLite.
//!
//! The organisation: 60 departments, 300 agreements, five years of
//! requests (the `report` benchmark's seeding), then a dependency DAG with
//! a heavy-tailed fan-out — two hub requests ("month-end close", "price
//! list approved") on which, directly or through others, well over 100,000
//! requests wait; every other request waits on nothing (half), on a hub
//! (a fifth) or on a recent request — and 100,000 commitments to outside
//! customers on one to three requests each, 5 % of them open. The stored
//! projections of the open ones are filled by the application's own risk
//! refresh, as after an upgrade.
//!
//! Each read is measured on its own for a warm-up and a measured window:
//! the list's first page, a page 1,000 pages deep in the cursor, filtered
//! lists (status, provider, customer, agreement, due before, due after,
//! overdue: the open requests are the newest, far from the cursor), a hub
//! request, a leaf request, an open commitment's projection, and the home,
//! department and request pages of the web interface (a department's lead).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set, TransactionTrait,
};

use baton::config::random_hex;
use baton::entities::commitment::CommitmentStatus;
use baton::entities::ids::{CommitmentId, DepartmentId, RequestId};
use baton::entities::unit::Unit;
use baton::entities::{
    commitment, commitment_dependency, department, request, request_dependency, user,
};
use baton::identity::Role;
use baton::services::calendars::CalendarCache;

use super::reads::{CLIENTS, Load, Window, hammer, round2};
use super::report::{Shape, World, seed};
use super::server::{on_each_backend, token_for, with_server};

const SHAPE: Shape = Shape {
    departments: 60,
    agreements: 300,
    years: 5,
};
const HUBS: i64 = 2;
const BATCH: usize = 1_000;

/// Runs the benchmark, handing each figure (name, value, unit) to `report`.
pub fn run(quick: bool, mut report: impl FnMut(&str, f64, &str)) -> Result<(), String> {
    let requests = if quick { 50_000 } else { 1_000_000 };
    let window = Window {
        warmup: Duration::from_secs(if quick { 1 } else { 3 }),
        measure: Duration::from_secs(if quick { 3 } else { 10 }),
    };
    on_each_backend(
        "reads",
        async |url, pool| measure(url, requests, pool, window).await,
        |backend, measured| emit(&mut report, backend, measured),
    )
}

fn emit(report: &mut impl FnMut(&str, f64, &str), backend: &str, measured: &[(&str, Load)]) {
    for (read, load) in measured {
        report(
            &format!("{backend}_{read}_p50_ms"),
            round2(load.p50_ms),
            "ms",
        );
        report(
            &format!("{backend}_{read}_p99_ms"),
            round2(load.p99_ms),
            "ms",
        );
        if read.starts_with("list") {
            report(
                &format!("{backend}_{read}_per_second"),
                load.per_second.round(),
                "1/s",
            );
        }
    }
}

/// What the reads need to know of the seeded organisation.
struct Seeded {
    world: World,
    lead: user::Model,
    hubs: Vec<i64>,
    leaves: Vec<i64>,
    open_commitments: Vec<i64>,
}

async fn measure(
    database_url: &str,
    requests: usize,
    pool: u32,
    window: Window,
) -> Result<Vec<(&'static str, Load)>, String> {
    let db = baton::db::connect(database_url, 4)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    baton::db::migrate(&db)
        .await
        .map_err(|error| format!("migration failed: {error}"))?;
    let began = Instant::now();
    let seeded = build(&db, requests).await?;
    eprintln!(
        "read-paths: seeded {requests} requests and 100,000 commitments in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    db.close().await.ok();

    let lead_token = token_for(&seeded.lead)?;
    let admin_token = token_for(&seeded.world.admin)?;
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let pick = |rng: &mut ChaCha8Rng, from: &[i64]| from[rng.random_range(0..from.len())];
    // Page 1,000 of 50 (in quick mode, halfway through).
    let deep = URL_SAFE_NO_PAD.encode(format!("after:{}", (50 * 1_000).min(requests / 2)));
    let departments: Vec<i64> = seeded.world.departments.iter().map(|d| d.0).collect();
    let agreements: Vec<i64> = seeded.world.agreements.iter().map(|a| a.0).collect();
    let filtered: Vec<String> = (0..200)
        .map(|n| match n % 7 {
            0 => "/api/v1/requests?limit=50&status=open".to_owned(),
            1 => format!(
                "/api/v1/requests?limit=50&provider={}",
                pick(&mut rng, &departments)
            ),
            2 => format!(
                "/api/v1/requests?limit=50&customer={}",
                pick(&mut rng, &departments)
            ),
            3 => format!(
                "/api/v1/requests?limit=50&agreement={}",
                pick(&mut rng, &agreements)
            ),
            4 => "/api/v1/requests?limit=50&due_before=2023-06-01T00:00:00Z".to_owned(),
            5 => "/api/v1/requests?limit=50&due_after=2026-01-01T00:00:00Z".to_owned(),
            _ => "/api/v1/requests?limit=50&overdue=true".to_owned(),
        })
        .collect();
    let leaves: Vec<String> = (0..200)
        .map(|_| format!("/api/v1/requests/{}", pick(&mut rng, &seeded.leaves)))
        .collect();
    let commitments: Vec<String> = (0..200)
        .map(|_| {
            format!(
                "/api/v1/commitments/{}",
                pick(&mut rng, &seeded.open_commitments)
            )
        })
        .collect();
    let hubs: Vec<String> = seeded
        .hubs
        .iter()
        .map(|id| format!("/api/v1/requests/{id}"))
        .collect();
    let hub_page = format!("/requests/{}", seeded.hubs[0]);
    let home_department = seeded.lead.department_id.map_or(1, |d| d.0);
    let reads: Vec<(&'static str, Vec<String>, &str)> = vec![
        (
            "list",
            vec!["/api/v1/requests?limit=50".into()],
            &admin_token,
        ),
        (
            "list_deep",
            vec![format!("/api/v1/requests?limit=50&cursor={deep}")],
            &admin_token,
        ),
        ("list_filtered", filtered, &admin_token),
        ("hub_request", hubs, &admin_token),
        ("leaf_request", leaves, &admin_token),
        ("commitment", commitments, &admin_token),
        ("home_page", vec!["/".into()], &lead_token),
        (
            "department_page",
            vec![format!("/departments/{home_department}")],
            &lead_token,
        ),
        ("request_page", vec![hub_page], &admin_token),
    ];
    with_server(database_url, pool, async |addr: SocketAddr| {
        let mut measured = Vec::new();
        for (read, paths, token) in reads {
            let load = hammer(addr, token, paths, CLIENTS, window)
                .await
                .map_err(|error| format!("{read}: {error}"))?;
            measured.push((read, load));
        }
        Ok(measured)
    })
    .await
}

/// The organisation, its dependency DAG, its commitments and their stored
/// projections.
async fn build(db: &DatabaseConnection, requests: usize) -> Result<Seeded, String> {
    let fail = |what: &'static str| move |error: sea_orm::DbErr| format!("seeding {what}: {error}");
    let world = seed(db, SHAPE, requests * 100 / 101, &mut |_| {
        ("Handoff".into(), String::new())
    })
    .await?;
    let ids: Vec<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(request::Column::OrganisationId.eq(world.organisation_id))
        .into_tuple()
        .all(db)
        .await
        .map_err(fail("request ids"))?;
    let first = ids.iter().copied().min().unwrap_or(1);
    let last = ids.iter().copied().max().unwrap_or(1);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut has_dependents = HashSet::new();
    let mut edges = Vec::new();
    for id in first + HUBS..=last {
        let roll: f64 = rng.random();
        let input = if roll < 0.5 {
            continue;
        } else if roll < 0.7 {
            first + rng.random_range(0..HUBS)
        } else {
            rng.random_range((id - 5_000).max(first)..id)
        };
        has_dependents.insert(input);
        edges.push(request_dependency::ActiveModel {
            request_id: Set(RequestId(id)),
            depends_on_id: Set(RequestId(input)),
            organisation_id: Set(world.organisation_id),
        });
    }
    let txn = db.begin().await.map_err(fail("a transaction"))?;
    for batch in edges.chunks(BATCH) {
        request_dependency::Entity::insert_many(batch.to_vec())
            .exec(&txn)
            .await
            .map_err(fail("dependencies"))?;
    }
    txn.commit().await.map_err(fail("a commit"))?;
    let leaves: Vec<i64> = (first..=last)
        .filter(|id| !has_dependents.contains(id))
        .take(100_000)
        .collect();

    let (from, to) = SHAPE.history();
    let span = (to - from).num_seconds();
    let now = Utc::now();
    let mut open_commitments = Vec::new();
    let txn = db.begin().await.map_err(fail("a transaction"))?;
    let mut made = 0;
    while made < 100_000 {
        let rows: Vec<commitment::ActiveModel> = (0..BATCH)
            .map(|n| {
                let promised = from + TimeDelta::seconds(rng.random_range(0..span));
                let open = (made + n) % 20 == 0;
                commitment::ActiveModel {
                    organisation_id: Set(world.organisation_id),
                    customer_name: Set(format!("Customer {}", rng.random_range(0..5_000))),
                    title: Set("Delivery".into()),
                    promised_at: Set(if open {
                        now + TimeDelta::days(rng.random_range(1..60))
                    } else {
                        promised
                    }),
                    owner_department_id: Set(
                        world.departments[rng.random_range(0..world.departments.len())]
                    ),
                    lead_time_unit: Set(Unit::BusinessHours),
                    lead_time_quantity: Set(0),
                    status: Set(if open {
                        CommitmentStatus::Open
                    } else {
                        CommitmentStatus::Fulfilled
                    }),
                    fulfilled_at: Set((!open).then_some(promised)),
                    cancel_reason: Set(None),
                    created_by_user_id: Set(world.admin.id),
                    version: Set(1),
                    created_at: Set(now),
                    ..Default::default()
                }
            })
            .collect();
        let inserted = commitment::Entity::insert_many(rows)
            .exec_with_returning_keys(&txn)
            .await
            .map_err(fail("commitments"))?;
        let mut needs = Vec::new();
        for (n, id) in inserted.into_iter().enumerate() {
            let id: CommitmentId = id;
            if (made + n) % 20 == 0 {
                open_commitments.push(id.0);
            }
            let mut on = HashSet::new();
            for _ in 0..rng.random_range(1..=3) {
                on.insert(rng.random_range(first..=last));
            }
            needs.extend(
                on.into_iter()
                    .map(|request| commitment_dependency::ActiveModel {
                        commitment_id: Set(id),
                        request_id: Set(RequestId(request)),
                        organisation_id: Set(world.organisation_id),
                    }),
            );
        }
        commitment_dependency::Entity::insert_many(needs)
            .exec(&txn)
            .await
            .map_err(fail("commitment dependencies"))?;
        made += BATCH;
    }
    txn.commit().await.map_err(fail("a commit"))?;

    // A lead for the pages, of the first department.
    let lead_department: DepartmentId = world.departments[0];
    let lead = user::ActiveModel {
        organisation_id: Set(world.organisation_id),
        email: Set(format!("lena-{}@reads.bench", random_hex(4))),
        name: Set("Lena Lead".into()),
        role: Set(Role::Lead),
        department_id: Set(Some(lead_department)),
        password_hash: Set("!".into()),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(fail("the lead"))?;
    department::Entity::update_many()
        .col_expr(
            department::Column::LeadUserId,
            sea_orm::sea_query::Expr::value(lead.id),
        )
        .filter(department::Column::Id.eq(lead_department))
        .exec(db)
        .await
        .map_err(fail("the lead's department"))?;

    // What autovacuum keeps true of a live database. `agreements` above all:
    // its figures' trigger updated each row once per seeded delivery, inside
    // the seeding's large transactions, which leaves a million dead row
    // versions that every read of the agreements would step over (the home
    // and department pages took 400 ms). Transactions of normal size let
    // PostgreSQL prune them as it goes.
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(
            "VACUUM ANALYZE agreements, requests, request_dependencies, commitments, \
             commitment_dependencies",
        )
        .await
        .map_err(fail("vacuum"))?;
    }
    // The open commitments' projections, by the refresh that fills them
    // after an upgrade.
    let calendars = CalendarCache::default();
    let began = Instant::now();
    let mut refreshed = 0;
    loop {
        let done = baton::services::risk::refresh_due(db, &calendars)
            .await
            .map_err(|error| format!("the risk refresh failed: {error}"))?;
        if done == 0 {
            break;
        }
        refreshed += done;
    }
    eprintln!(
        "read-paths: {refreshed} open commitments projected and stored in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    Ok(Seeded {
        world,
        lead,
        hubs: (first..first + HUBS).collect(),
        leaves,
        open_commitments,
    })
}
