//! The pools as handlers reach them (`AppState::db`), and one connection
//! for all the statements of a read.
//!
//! sqlx tests every connection it takes back with a round trip to the
//! server (a `Sync`, answered by `ReadyForQuery`). A page read in seven
//! statements straight from the pool so pays seven more round trips, each
//! waking a PostgreSQL backend and a Baton task: about a tenth of a
//! department page's processor time, on both sides. So while a read runs
//! ([`as_read`], every GET handler of the pages and the API through
//! `http::reads`), the read pool runs its statements on one connection,
//! taken at the first statement and given back when the read ends (a page,
//! as soon as it starts rendering: [`give_back`]): one such round trip per
//! read. No transaction is begun: each statement sees what is committed
//! when it runs, as it would from the pool.
//!
//! Only what reads through `ConnectionTrait` (`&impl ConnectionTrait`, as
//! the services take it) runs on the held connection. A function that takes
//! `&DatabaseConnection` gets, through `Deref`, the main pool: taking a
//! second read connection while holding one could leave every read holding
//! one and waiting for another, all of them for ever. Writers take
//! `&DatabaseConnection` to begin transactions, and background work the
//! main pool, so neither is touched.
//!
//! SQLite's statements run in this process, with no round trip to save:
//! there both pools are the one pool and nothing is held.

use std::ops::Deref;
use std::sync::Arc;

use sea_orm::prelude::async_trait;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{self, PgConnection, Postgres};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
};
use tokio::sync::Mutex;

tokio::task_local! {
    static READ: Arc<Held>;
}

/// Runs `work` as a read: while it runs, `AppState::db` is the read pool,
/// whose statements share one connection.
pub async fn as_read<F: std::future::Future>(work: F) -> F::Output {
    READ.scope(Arc::new(Held::default()), work).await
}

/// Whether the code running is a read's ([`as_read`]).
pub fn reading() -> bool {
    READ.try_with(|_| ()).is_ok()
}

/// Gives the connection the read at hand holds back to its pool, for the
/// rest of the read needs none (a page's rendering); a statement after this
/// takes one anew. While a statement of the read is running (a read that
/// runs two at once) the connection stays held, to go back when it ends.
pub fn give_back() {
    let _ = READ.try_with(|held| {
        if let Ok(mut connection) = held.0.try_lock() {
            connection.take();
        }
    });
}

/// A pool as handlers reach it.
pub struct Pool {
    /// Where statements run when no read holds a connection.
    pool: DatabaseConnection,
    /// What `&DatabaseConnection` means: the main pool.
    main: DatabaseConnection,
    /// Whether a read's statements share one connection of this pool.
    holds_reads: bool,
}

impl Pool {
    /// The main pool: writes, and all that is not a read.
    pub fn main(pool: DatabaseConnection) -> Self {
        Pool {
            main: pool.clone(),
            pool,
            holds_reads: false,
        }
    }

    /// The pool reads draw from (`read_pool`), beside the `main` one.
    pub fn reads(pool: DatabaseConnection, main: DatabaseConnection) -> Self {
        Pool {
            holds_reads: pool.get_database_backend() == DbBackend::Postgres,
            pool,
            main,
        }
    }

    /// The pool itself, for work that goes on after the read has ended (an
    /// export streamed as it is read) and so holds no connection of it.
    pub fn detached(&self) -> DatabaseConnection {
        self.pool.clone()
    }

    /// The connection the read at hand holds, if it is a read of this pool.
    fn held(&self) -> Option<Arc<Held>> {
        if !self.holds_reads {
            return None;
        }
        READ.try_with(Arc::clone).ok()
    }
}

impl Deref for Pool {
    type Target = DatabaseConnection;

    fn deref(&self) -> &DatabaseConnection {
        &self.main
    }
}

/// The connection of one read, taken at its first statement.
#[derive(Default)]
struct Held(Mutex<Option<PoolConnection<Postgres>>>);

impl Held {
    /// `work` on the held connection, taken from `pool` now if none is held.
    async fn on<T>(
        &self,
        pool: &DatabaseConnection,
        work: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        let mut held = self.0.lock().await;
        let connection = match &mut *held {
            Some(connection) => connection,
            none => none.insert(pool.get_postgres_connection_pool().acquire().await?),
        };
        work(connection).await
    }
}

/// `stmt` ready to run on a connection of ours, with its values bound.
fn bound(stmt: &Statement) -> sqlx::query::Query<'_, Postgres, sea_query_sqlx::SqlxValues> {
    let values = stmt
        .values
        .clone()
        .unwrap_or_else(|| sea_orm::sea_query::Values(Vec::new()));
    sqlx::query_with(
        sqlx::AssertSqlSafe(stmt.sql.as_str()),
        sea_query_sqlx::SqlxValues(values),
    )
}

/// A failure of ours as SeaORM reports the same from its pool, so that
/// `ApiError` reads both alike (a unique violation of a statement run is a
/// conflict, say).
fn as_db_error(error: sqlx::Error, ran: fn(RuntimeErr) -> DbErr) -> DbErr {
    match error {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        other => ran(RuntimeErr::SqlxError(Arc::new(other))),
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Pool {
    fn get_database_backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let Some(held) = self.held() else {
            return self.pool.execute_raw(stmt).await;
        };
        held.on(&self.pool, async |connection| {
            bound(&stmt).execute(connection).await
        })
        .await
        .map(ExecResult::from)
        .map_err(|error| as_db_error(error, DbErr::Exec))
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let Some(held) = self.held() else {
            return self.pool.execute_unprepared(sql).await;
        };
        held.on(&self.pool, async |connection| {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(connection)
                .await
        })
        .await
        .map(ExecResult::from)
        .map_err(|error| as_db_error(error, DbErr::Exec))
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let Some(held) = self.held() else {
            return self.pool.query_one_raw(stmt).await;
        };
        held.on(&self.pool, async |connection| {
            bound(&stmt).fetch_optional(connection).await
        })
        .await
        .map(|row| row.map(QueryResult::from))
        .map_err(|error| as_db_error(error, DbErr::Query))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let Some(held) = self.held() else {
            return self.pool.query_all_raw(stmt).await;
        };
        held.on(&self.pool, async |connection| {
            bound(&stmt).fetch_all(connection).await
        })
        .await
        .map(|rows| rows.into_iter().map(QueryResult::from).collect())
        .map_err(|error| as_db_error(error, DbErr::Query))
    }

    fn support_returning(&self) -> bool {
        self.pool.support_returning()
    }
}
