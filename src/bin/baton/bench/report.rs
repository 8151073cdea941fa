//! The `report` benchmark of SPEC appendix B: the health report over an
//! organisation with a year of history, 1M delivered requests (quick mode:
//! 50k), on SQLite and, when `BATON_BENCH_POSTGRES_URL` is set, on
//! PostgreSQL.
//!
//! The organisation (20 departments, 100 active agreements between them,
//! a year of requests, 1 % of them still open) is written straight through
//! SeaORM bulk inserts: going through the API would take hours and measure
//! nothing of interest here. Then, for each backend:
//! - `<backend>_health_report_seconds`: the health report service call over
//!   the whole year grouped by pair, median of three warm runs (the first,
//!   cold run is printed as `<backend>_health_report_cold_seconds`);
//! - `<backend>_health_report_http_seconds`: the same report fetched over
//!   HTTP from the real application started in-process (authentication
//!   and JSON included), median of three;
//! - `server_rss_mb`: resident memory of this process (`VmRSS`) right after
//!   serving the report, the larger of the backends measured.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait,
};

use baton::config::random_hex;
use baton::entities::agreement::AgreementStatus;
use baton::entities::ids::{AgreementId, DepartmentId, OrganisationId, UserId};
use baton::entities::request::RequestStatus;
use baton::entities::unit::Unit;
use baton::entities::{agreement, department, organisation, request, user};
use baton::identity::Role;
use baton::services::reports::{GroupBy, Viewer, Window, health};

mod serve;

/// The JWT key of the server the benchmark starts.
const SECRET: &str = "report-benchmark-secret-0123456789abcdef0123";
/// The report's organisation: 20 departments, 100 agreements, a year.
const SHAPE: Shape = Shape {
    departments: 20,
    agreements: 100,
    years: 1,
};
/// Rows per `INSERT`: ~30 columns a row stays under SQLite's 32,766 bound
/// parameters (and PostgreSQL's 65,535).
const BATCH: usize = 1_000;
/// Batches per transaction while seeding.
const BATCHES_PER_TRANSACTION: usize = 50;

/// What one backend measured.
struct Measured {
    cold_seconds: f64,
    service_seconds: f64,
    http_seconds: f64,
    rss_mb: f64,
}

/// Runs the benchmark, handing each figure (name, value, unit) to `report`.
pub fn run(quick: bool, mut report: impl FnMut(&str, f64, &str)) -> Result<(), String> {
    let delivered = if quick { 50_000 } else { 1_000_000 };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;

    let path = std::env::temp_dir().join(format!("baton-bench-report-{}.db", random_hex(8)));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let sqlite = runtime.block_on(measure(&url, delivered));
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        // Best effort: a leftover file in the temporary directory is harmless.
        let _ = std::fs::remove_file(file);
    }
    let sqlite = sqlite?;
    emit(&mut report, "sqlite", &sqlite);
    let mut rss_mb = sqlite.rss_mb;

    if let Some(base) = std::env::var("BATON_BENCH_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
    {
        let postgres = runtime.block_on(postgres_run(&base, delivered))?;
        emit(&mut report, "postgres", &postgres);
        rss_mb = rss_mb.max(postgres.rss_mb);
    }
    report("server_rss_mb", rss_mb.round(), "MB");
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

fn emit(report: &mut impl FnMut(&str, f64, &str), backend: &str, measured: &Measured) {
    report(
        &format!("{backend}_health_report_seconds"),
        round3(measured.service_seconds),
        "s",
    );
    report(
        &format!("{backend}_health_report_cold_seconds"),
        round3(measured.cold_seconds),
        "s",
    );
    report(
        &format!("{backend}_health_report_http_seconds"),
        round3(measured.http_seconds),
        "s",
    );
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// A fresh schema in the PostgreSQL database at `base`, dropped afterwards.
async fn postgres_run(base: &str, delivered: usize) -> Result<Measured, String> {
    let schema = format!("bench_{}", random_hex(8));
    let admin = baton::db::connect(base, 1)
        .await
        .map_err(|error| format!("cannot reach PostgreSQL at BATON_BENCH_POSTGRES_URL: {error}"))?;
    admin
        .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
        .await
        .map_err(|error| format!("cannot create schema {schema}: {error}"))?;
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let measured = measure(&url, delivered).await;
    let dropped = admin
        .execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE"))
        .await;
    admin.close().await.ok();
    let measured = measured?;
    dropped.map_err(|error| format!("cannot drop schema {schema}: {error}"))?;
    Ok(measured)
}

/// The size of a seeded organisation: departments, agreements between
/// them, and the years of history up to 2026-03-01.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub(super) departments: usize,
    pub(super) agreements: usize,
    pub(super) years: i32,
}

impl Shape {
    /// The span of the organisation's history.
    pub(super) fn history(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |year| {
            Utc.with_ymd_and_hms(year, 3, 1, 0, 0, 0)
                .single()
                .unwrap_or_default()
        };
        (at(2026 - self.years), at(2026))
    }
}

/// The year of history the report's organisation has.
fn year() -> (DateTime<Utc>, DateTime<Utc>) {
    SHAPE.history()
}

/// Seeds, measures the service call, then serves the report over HTTP.
async fn measure(database_url: &str, delivered: usize) -> Result<Measured, String> {
    let db = baton::db::connect(database_url, 4)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    baton::db::migrate(&db)
        .await
        .map_err(|error| format!("migration failed: {error}"))?;
    let began = Instant::now();
    let world = seed(&db, SHAPE, delivered, &mut |_| {
        ("Seeded request".into(), String::new())
    })
    .await?;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // What autovacuum does soon after a bulk load: statistics for the
        // planner and a visibility map for index-only scans.
        db.execute_unprepared("VACUUM ANALYZE requests")
            .await
            .map_err(|error| format!("vacuum failed: {error}"))?;
    }
    eprintln!(
        "report: seeded {delivered} delivered requests in {:.1} s",
        began.elapsed().as_secs_f64()
    );

    let (from, to) = year();
    let window = Window::new(from, to).map_err(|error| error.to_string())?;
    let viewer = Viewer {
        organisation_id: world.organisation_id,
        department_id: None,
    };
    let mut timings = Vec::new();
    let mut rows = 0;
    for _ in 0..4 {
        let started = Instant::now();
        let report = health::health(&db, &viewer, window, GroupBy::Pair, Utc::now())
            .await
            .map_err(|error| format!("health report failed: {error}"))?;
        timings.push(started.elapsed().as_secs_f64());
        rows = report.rows.len();
        let total: i64 = report.rows.iter().map(|row| row.figures.delivered).sum();
        if total != delivered as i64 {
            return Err(format!(
                "the report counts {total} deliveries, {delivered} were seeded"
            ));
        }
    }
    eprintln!("report: {rows} rows; service runs {timings:.3?} s");
    let cold = timings[0];
    let service = median(&mut timings[1..].to_vec());
    db.close().await.ok();

    let (http, rss_mb) = serve::serve_and_fetch(database_url, &world.admin, window).await?;
    Ok(Measured {
        cold_seconds: cold,
        service_seconds: service,
        http_seconds: http,
        rss_mb,
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// The seeded organisation.
pub(super) struct World {
    pub(super) organisation_id: OrganisationId,
    pub(super) admin: user::Model,
    pub(super) departments: Vec<DepartmentId>,
    pub(super) agreements: Vec<AgreementId>,
}

/// A request's title and details, drawn from the seeding's random source.
pub(super) type Texts<'a> = dyn FnMut(&mut ChaCha8Rng) -> (String, String) + 'a;

/// Writes the organisation: `delivered` requests over [`year`] and one open
/// request for every hundred, with titles and details from `texts`.
pub(super) async fn seed(
    db: &DatabaseConnection,
    shape: Shape,
    delivered: usize,
    texts: &mut Texts<'_>,
) -> Result<World, String> {
    let fail = |what: &str| {
        let what = what.to_owned();
        move |error: sea_orm::DbErr| format!("seeding {what}: {error}")
    };
    let now = Utc::now();
    let organisation = organisation::ActiveModel {
        name: Set("Report Bench Ltd".into()),
        timezone: Set("Europe/Berlin".into()),
        at_risk_threshold_minutes: Set(480),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(fail("the organisation"))?;
    let calendar = baton::services::calendars::create_default(db, organisation.id, "Europe/Berlin")
        .await
        .map_err(|error| format!("seeding the calendar: {error}"))?;
    let admin = user::ActiveModel {
        organisation_id: Set(organisation.id),
        email: Set(format!("ada-{}@report.bench", random_hex(4))),
        name: Set("Ada Admin".into()),
        role: Set(Role::Admin),
        department_id: Set(None),
        // Never logged in with: the benchmark issues its token directly.
        password_hash: Set("!".into()),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(fail("the admin"))?;

    let mut departments = Vec::with_capacity(shape.departments);
    for n in 0..shape.departments {
        let row = department::ActiveModel {
            organisation_id: Set(organisation.id),
            name: Set(format!("Department {n}")),
            code: Set(format!("D{n:02}")),
            calendar_id: Set(calendar.id),
            lead_user_id: Set(None),
            version: Set(1),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .map_err(fail("departments"))?;
        departments.push(row.id);
    }

    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let count = shape.departments;
    let mut agreements = Vec::with_capacity(shape.agreements);
    for n in 0..shape.agreements {
        let provider = departments[n % count];
        let customer = departments[(n / count + 1 + n % count) % count];
        let row = agreement::ActiveModel {
            organisation_id: Set(organisation.id),
            provider_department_id: Set(provider),
            customer_department_id: Set(customer),
            title: Set(format!("Handoff {n}")),
            deliverable: Set("A deliverable".into()),
            definition_of_done: Set("Done when checked".into()),
            turnaround_unit: Set(Unit::BusinessHours),
            turnaround_quantity: Set(16 * 60),
            on_time_target_pct: Set(rng.random_range(80..=95)),
            review_every_weeks: Set(4),
            // A bench measures reads and writes, not pulse checks.
            pulse_every_weeks: Set(0),
            status: Set(AgreementStatus::Active),
            terms_version: Set(1),
            pending_turnaround_unit: Set(None),
            pending_turnaround_quantity: Set(None),
            pending_on_time_target_pct: Set(None),
            decline_reason: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
        .map_err(fail("agreements"))?;
        agreements.push((row.id, provider, customer));
    }

    // One open request for every hundred delivered.
    let open = delivered / 100;
    let (from, to) = shape.history();
    let span = (to - from).num_seconds();
    let mut made = 0;
    while made < delivered + open {
        let txn = db.begin().await.map_err(fail("a transaction"))?;
        for _ in 0..BATCHES_PER_TRANSACTION {
            let count = BATCH.min(delivered + open - made);
            if count == 0 {
                break;
            }
            let rows: Vec<request::ActiveModel> = (made..made + count)
                .map(|index| {
                    let (agreement_id, provider, customer) =
                        agreements[rng.random_range(0..agreements.len())];
                    let requested_at =
                        from + chrono::Duration::seconds(rng.random_range(0..span - 7 * 86_400));
                    let (title, details) = texts(&mut rng);
                    let row = Row {
                        title,
                        details,
                        organisation_id: organisation.id,
                        agreement_id,
                        provider,
                        customer,
                        requested_at,
                        created_by: admin.id,
                    };
                    if index < delivered {
                        row.delivered(&mut rng)
                    } else {
                        row.open()
                    }
                })
                .collect();
            request::Entity::insert_many(rows)
                .exec(&txn)
                .await
                .map_err(fail("requests"))?;
            made += count;
        }
        txn.commit().await.map_err(fail("a commit"))?;
    }
    Ok(World {
        organisation_id: organisation.id,
        admin,
        departments,
        agreements: agreements.iter().map(|&(id, _, _)| id).collect(),
    })
}

/// What every seeded request shares.
struct Row {
    title: String,
    details: String,
    organisation_id: OrganisationId,
    agreement_id: AgreementId,
    provider: DepartmentId,
    customer: DepartmentId,
    requested_at: DateTime<Utc>,
    created_by: UserId,
}

impl Row {
    fn base(self) -> request::ActiveModel {
        // Two working days later, give or take: the exact due does not
        // matter to the report, only the stored figures do.
        let due_at = self.requested_at + chrono::Duration::hours(48);
        request::ActiveModel {
            organisation_id: Set(self.organisation_id),
            agreement_id: Set(self.agreement_id),
            agreement_version: Set(1),
            provider_department_id: Set(self.provider),
            customer_department_id: Set(self.customer),
            title: Set(self.title),
            details: Set(self.details),
            turnaround_unit: Set(Unit::BusinessHours),
            turnaround_quantity: Set(16 * 60),
            status: Set(RequestStatus::Open),
            status_before_pause: Set(None),
            requested_at: Set(self.requested_at),
            logged_at: Set(self.requested_at),
            ready_at: Set(self.requested_at),
            clock_start: Set(self.requested_at),
            due_at: Set(due_at),
            pause_shift_seconds: Set(0),
            paused_at: Set(None),
            expected_at: Set(None),
            delivered_at: Set(None),
            lateness_minutes: Set(None),
            on_time: Set(None),
            rating_score: Set(None),
            rating_comment: Set(None),
            last_event_at: Set(self.requested_at),
            overdue_notified_at: Set(None),
            created_by_user_id: Set(self.created_by),
            assignee_user_id: Set(None),
            version: Set(1),
            ..Default::default()
        }
    }

    /// Open; one already past its due was seen passing it by the overdue
    /// sweep of its day, as in an organisation that has run for years.
    fn open(self) -> request::ActiveModel {
        let mut row = self.base();
        if let Set(due_at) = &row.due_at
            && *due_at < Utc::now()
        {
            row.overdue_notified_at = Set(Some(*due_at));
        }
        row
    }

    /// Delivered around its due: most a little early or on time, a tail late.
    fn delivered(self, rng: &mut ChaCha8Rng) -> request::ActiveModel {
        let requested_at = self.requested_at;
        let mut row = self.base();
        let lateness: i64 = if rng.random_bool(0.8) {
            rng.random_range(-960..=0)
        } else {
            rng.random_range(1..=2_400)
        };
        let due_at = requested_at + chrono::Duration::hours(48);
        let delivered_at = due_at + chrono::Duration::minutes(lateness);
        row.status = Set(if rng.random_bool(0.5) {
            RequestStatus::Accepted
        } else {
            RequestStatus::Delivered
        });
        row.delivered_at = Set(Some(delivered_at));
        row.last_event_at = Set(delivered_at);
        row.lateness_minutes = Set(Some(lateness));
        row.on_time = Set(Some(lateness <= 0));
        if rng.random_bool(0.6) {
            row.rating_score = Set(Some(rng.random_range(1..=10)));
            row.rating_comment = Set(Some(String::new()));
        }
        row
    }
}
