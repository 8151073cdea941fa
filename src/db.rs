//! Connecting to the database (embedded SQLite or PostgreSQL) and applying
//! migrations.
//!
//! Several instances may start at once on one PostgreSQL database (a rolling
//! deploy, a scaled-up Deployment). Their migrations take turns behind an
//! advisory lock, held on a connection of its own for as long as
//! `Migrator::up` runs: without it both create the migration table (or the
//! same type) at once and one dies on `pg_type_typname_nsp_index`. The one
//! that waited finds the schema current and starts normally. SQLite needs no
//! lock: its writers already take turns on the file.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::prelude::async_trait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

mod pool;

pub use pool::{Pool, as_read, give_back, reading};

/// Opens a pool. SQLite runs in WAL mode with foreign keys on; `synchronous =
/// NORMAL` keeps every committed write across a killed process. PostgreSQL
/// sessions run without JIT compilation.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // A connection is pinged before use only once it has sat idle long
        // enough to have been dropped by the server or a proxy; pinging on
        // every acquire (the default) added a round trip to each statement.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .create_if_missing(true)
        })
        // Short queries planned generically (prepared statements) can carry
        // huge cost estimates, a recursive cone walk above all, and then
        // PostgreSQL compiles them with JIT first: 10–50 ms for a query
        // that runs in a fraction of one. Appended to any options the URL
        // sets (a search_path, say).
        .map_sqlx_postgres_opts(|opts| opts.options([("jit", "off")]));
    Database::connect(options).await
}

/// The pool reads draw from (`http::reads`): on PostgreSQL, `size`
/// connections more to the database of `db`, with its options (the search
/// path, JIT off, the test of an idle connection), opened as reads need
/// them. SQLite's statements run in this process, not in backends that
/// compete for the cores, so there the one pool serves both.
pub fn read_pool(db: &DatabaseConnection, size: u32) -> DatabaseConnection {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let main = db.get_postgres_connection_pool();
            let pool = main
                .options()
                .clone()
                .max_connections(size.max(1))
                .min_connections(0)
                .connect_lazy_with((*main.connect_options()).clone());
            sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool)
        }
        _ => db.clone(),
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => migrate_in_turn(db).await,
        _ => Migrator::up(db, None).await,
    }
}

/// First key of the migration lock: "bato" in ASCII, so that it is
/// recognisable in `pg_locks`. The second key is the schema, so that
/// instances of unrelated schemas in one database (tests, say) do not wait
/// for each other.
const MIGRATION_LOCK: i32 = 0x6261_746f;

/// `Migrator::up` while holding the migration lock. The lock lives on a
/// connection outside the pool, taken with the pool's own options (so with
/// the same search_path), and a session lock: if this process dies while
/// migrating, PostgreSQL ends the session and the next instance goes on.
async fn migrate_in_turn(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::sqlx::{self, Connection};

    let as_db_error = |error: sqlx::Error| DbErr::Custom(format!("migration lock: {error}"));
    let options = db.get_postgres_connection_pool().connect_options();
    let mut holder = sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(as_db_error)?;
    let lock = "SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))";
    sqlx::query(lock)
        .bind(MIGRATION_LOCK)
        .execute(&mut holder)
        .await
        .map_err(as_db_error)?;
    let migrated = Migrator::up(db, None).await;
    let unlock = "SELECT pg_advisory_unlock($1, hashtext(coalesce(current_schema(), '')))";
    let unlocked = sqlx::query(unlock)
        .bind(MIGRATION_LOCK)
        .execute(&mut holder)
        .await;
    // Closing the session releases the lock even when the unlock failed.
    holder.close().await.ok();
    migrated?;
    unlocked.map(|_| ()).map_err(as_db_error)
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a deferred transaction that first reads and
/// then writes fails with `SQLITE_BUSY_SNAPSHOT` when another writer commits
/// in between, whereas an immediate one simply waits its turn. PostgreSQL
/// ignores the option.
///
/// SQLite has one writer at a time. Writers of this process queue on an
/// async mutex before asking for the lock, so they never meet SQLite's busy
/// handler, which waits by sleeping for milliseconds at a time; the busy
/// timeout remains for writers in other processes.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    writer_turn(db).await.begin(db).await
}

/// Waits for this process's turn to write (on SQLite; at once elsewhere)
/// without beginning a transaction yet, for a writer that first looks
/// whether it has anything to write.
pub async fn writer_turn(db: &DatabaseConnection) -> WriterTurn {
    WriterTurn(match db.get_database_backend() {
        DbBackend::Sqlite => Some(SQLITE_WRITER.lock().await),
        _ => None,
    })
}

/// A writer's turn, held until its transaction ends (or it is dropped).
pub struct WriterTurn(Option<MutexGuard<'static, ()>>);

impl WriterTurn {
    /// Begins the write transaction of this turn.
    pub async fn begin(self, db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
        let txn = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(WriteTxn { txn, _turn: self.0 })
    }
}

/// The turn of this process's SQLite writers (one database per process in
/// production; tests that run several share the queue, which costs nothing).
static SQLITE_WRITER: Mutex<()> = Mutex::const_new(());

/// A write transaction holding its writer's turn until it ends.
pub struct WriteTxn {
    // Declared first, so dropped (rolled back) before the turn is released.
    txn: DatabaseTransaction,
    _turn: Option<MutexGuard<'static, ()>>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}
