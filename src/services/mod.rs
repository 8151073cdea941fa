//! Use cases: plain async functions over `&impl ConnectionTrait`, each scoped
//! to the caller's organisation. Handlers stay thin; rules live here.

pub mod accounts;
pub mod agreements;
pub mod attachments;
pub mod calendars;
pub mod comments;
pub mod commitments;
pub mod contacts;
mod context;
pub mod departments;
pub mod endangered;
pub mod events;
pub mod forecasting;
pub mod holidays;
pub mod home;
pub mod mail;
pub mod notifications;
pub mod organisations;
pub mod password_reset;
pub mod projection;
pub mod pulses;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod risk;
pub mod stats;
pub mod thanks;
pub mod users;
pub mod views;
pub mod webhooks;

pub use context::Context;

/// Ids bound into one `IN (…)`: well under SQLite's limit of 32,766
/// variables, so that a list of any length is read in several statements.
pub const ID_CHUNK: usize = 5_000;

/// Marks every row of `statement` with `tag` (a literal column), so that
/// statements sent together as one `UNION ALL` can be told apart again
/// ([`tag_of`]): the tag is the last column of each.
pub fn tag(statement: &mut sea_orm::sea_query::SelectStatement, tag: i32) {
    statement.expr_as(sea_orm::sea_query::Expr::Constant(tag.into()), "tag");
}

/// `arms` one after the other (`UNION ALL`); none when there are none.
/// Each arm keeps its ORDER BY and LIMIT inside a subquery: neither
/// database takes them on a bare arm of a UNION.
pub fn union_all(
    arms: impl IntoIterator<Item = sea_orm::sea_query::SelectStatement>,
) -> Option<sea_orm::sea_query::SelectStatement> {
    joined(arms, sea_orm::sea_query::UnionType::All)
}

/// The rows of any of `arms`, each once (`UNION`), as [`union_all`] sends
/// them.
pub fn union_distinct(
    arms: impl IntoIterator<Item = sea_orm::sea_query::SelectStatement>,
) -> Option<sea_orm::sea_query::SelectStatement> {
    joined(arms, sea_orm::sea_query::UnionType::Distinct)
}

fn joined(
    arms: impl IntoIterator<Item = sea_orm::sea_query::SelectStatement>,
    kind: sea_orm::sea_query::UnionType,
) -> Option<sea_orm::sea_query::SelectStatement> {
    use sea_orm::sea_query::{Alias, Asterisk, Query};
    arms.into_iter()
        .enumerate()
        .map(|(n, arm)| {
            Query::select()
                .column(Asterisk)
                .from_subquery(arm, Alias::new(format!("arm{n}")))
                .to_owned()
        })
        .reduce(|mut union, arm| union.union(kind, arm).to_owned())
}

/// The tag of a row of a [`tag`]ged statement. A literal integer is INT4
/// on PostgreSQL, hence `i32`.
pub fn tag_of(row: &sea_orm::QueryResult) -> Result<i32, sea_orm::DbErr> {
    row.try_get("", "tag")
}

/// `select` (one value) as an expression another statement reads in
/// passing: what a page needs beside its person's account comes in the
/// same statement (`identity::account_for_token`).
pub fn scalar(select: sea_orm::sea_query::SelectStatement) -> sea_orm::sea_query::Expr {
    sea_orm::sea_query::Expr::SubQuery(None, Box::new(select.into()))
}

/// `column` is one of `values`, written into the statement rather than
/// bound: for a fixed set of a closed enumeration (the open statuses, say).
/// A bound status hides how few rows it keeps from PostgreSQL's generic
/// plan, so each execution was planned afresh (a third of a millisecond a
/// statement on `requests`); and neither database proves from bound values
/// that a partial index over those statuses applies.
pub fn one_of<E: sea_orm::EntityTrait>(
    column: E::Column,
    values: impl IntoIterator<Item = &'static str>,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait};
    Expr::col((E::default(), column))
        .is_in(values.into_iter().map(|value| Expr::Constant(value.into())))
}

/// The first `n` ids above `after`, ascending, of the ids `query` selects
/// (its one column), when it selects at most `cap` of them; `None` when it
/// selects more. The database reads at most one more than `cap` and sorts
/// them itself: only the `n` and their count come back.
pub async fn first_ids_of_few(
    db: &impl sea_orm::ConnectionTrait,
    query: &sea_orm::sea_query::SelectStatement,
    after: i64,
    n: u64,
    cap: u64,
) -> Result<Option<Vec<i64>>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let mut statement = backend.build(query);
    let mut values = statement
        .values
        .take()
        .unwrap_or_else(|| sea_orm::Values(Vec::new()));
    values.0.push(after.into());
    let after_slot = match backend {
        sea_orm::DbBackend::Postgres => format!("${}", values.0.len()),
        _ => "?".to_owned(),
    };
    statement.sql = format!(
        "WITH few AS MATERIALIZED ({} LIMIT {}) \
         SELECT counted.total, shown.id FROM (SELECT COUNT(*) AS total FROM few) AS counted \
         LEFT JOIN (SELECT id FROM few WHERE id > {after_slot} ORDER BY id LIMIT {n}) AS shown \
         ON TRUE",
        statement.sql,
        cap + 1
    );
    statement.values = Some(values);
    let rows = db.query_all_raw(statement).await?;
    let total: i64 = match rows.first() {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    if total as u64 > cap {
        return Ok(None);
    }
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(id) = row.try_get_by_index::<Option<i64>>(1)? {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(Some(ids))
}

/// `column` is one of `ids`. On PostgreSQL the ids go as one array
/// (`= ANY`), so the statement is one whatever their number and keeps one
/// generic plan: bound one by one into an `IN`, each list page's links were
/// planned afresh (a third of a millisecond for fifty ids, twice the time
/// of running them). SQLite plans nothing per execution: a plain `IN`.
pub fn id_in<E: sea_orm::EntityTrait>(
    backend: sea_orm::DbBackend,
    column: E::Column,
    ids: impl IntoIterator<Item = i64>,
) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let column = Expr::col((E::default(), column));
    match backend {
        sea_orm::DbBackend::Postgres => {
            let list: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
            let array = format!("{{{}}}", list.join(","));
            Expr::cust_with_exprs("$1 = ANY(CAST($2 AS int8[]))", [column, Expr::val(array)])
        }
        _ => column.is_in(ids),
    }
}

/// How many rows `select` finds, as an expression another statement reads
/// in passing (beside the first of them, say).
pub fn count_of<E: sea_orm::EntityTrait>(select: sea_orm::Select<E>) -> sea_orm::sea_query::Expr {
    use sea_orm::{QuerySelect, QueryTrait};
    scalar(
        select
            .select_only()
            .expr(sea_orm::sea_query::Expr::cust("COUNT(*)"))
            .into_query(),
    )
}

/// The rows of `statement`, each read as `M`, and the count they carry in
/// their `total` column (a [`count_of`] beside the first rows of a set):
/// 0 when there are none.
pub async fn rows_and_total<M: sea_orm::FromQueryResult>(
    db: &impl sea_orm::ConnectionTrait,
    statement: &sea_orm::sea_query::SelectStatement,
) -> Result<(Vec<M>, u64), crate::error::ApiError> {
    let (mut rows, mut total) = (Vec::new(), 0);
    for found in db.query_all(statement).await? {
        total = found.try_get::<i64>("", "total")?.max(0) as u64;
        rows.push(M::from_query_result(&found, "")?);
    }
    Ok((rows, total))
}

/// How many rows of `select` are the person's of a `users` row (their
/// `person` column holds its id), as an expression over that row.
pub fn count_of_account<E: sea_orm::EntityTrait>(
    select: sea_orm::Select<E>,
    person: E::Column,
) -> sea_orm::sea_query::Expr {
    use crate::entities::user;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ExprTrait, QueryFilter};
    count_of(
        select.filter(Expr::col((E::default(), person)).equals((user::Entity, user::Column::Id))),
    )
}

/// The two sides of a handoff: the department that provides (works a
/// request, drafts an agreement) and the one that is its customer (logs and
/// judges requests, accepts an agreement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Provider,
    Customer,
}

/// The version of a resource a client read, so that its write is refused
/// (412) when someone changed the resource since; `None` accepts the write
/// unconditionally. The API builds it from `If-Match`, the pages from a
/// hidden field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpectedVersion(pub Option<i32>);

impl ExpectedVersion {
    /// 412 when the client's version is not the current one.
    pub fn check(&self, current: i32) -> Result<(), crate::error::ApiError> {
        match self.0 {
            Some(expected) if expected != current => Err(crate::error::ApiError::Stale),
            _ => Ok(()),
        }
    }
}

/// A write that would only touch a row when its version still matches;
/// zero rows means someone else got there first.
pub fn stale_if_untouched(rows_affected: u64) -> Result<(), crate::error::ApiError> {
    if rows_affected == 0 {
        Err(crate::error::ApiError::Stale)
    } else {
        Ok(())
    }
}
