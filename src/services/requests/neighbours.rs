//! The requests next to one request in the handoff graph, as its page names
//! them: what it needs first (its inputs) and what waits on it (its direct
//! dependents), each with its title and whether the reader may open it.
//!
//! A request a reader may not open is still named (by title and its two
//! departments), because the reader's request depends on it or it on the
//! reader's; the page simply does not link it. A hub that thousands wait on
//! shows its first dependents (oldest first, read along the dependency
//! index) and how many there are, or that there are more than
//! [`DEPENDENTS_COUNTED`]: the page costs what it shows.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DerivePartialModel, EntityTrait, PartialModelTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::{RequestStatus, can_read_between};
use crate::entities::ids::{DepartmentId, RequestId};
use crate::entities::{request, request_dependency};
use crate::error::ApiError;
use crate::identity::AuthUser;

/// At most this many dependents are named.
pub const DEPENDENTS_SHOWN: u64 = 25;
/// Dependents are counted up to this many; beyond it the page says "more
/// than", so that a hub costs what any request costs.
pub const DEPENDENTS_COUNTED: u64 = 1_000;

#[derive(Debug, Clone, DerivePartialModel)]
#[sea_orm(entity = "request::Entity")]
struct Line {
    id: RequestId,
    title: String,
    status: RequestStatus,
    due_at: DateTime<Utc>,
    provider_department_id: DepartmentId,
    customer_department_id: DepartmentId,
}

/// One request beside another.
#[derive(Debug, Clone)]
pub struct Neighbour {
    pub id: RequestId,
    pub title: String,
    pub status: RequestStatus,
    pub due_at: DateTime<Utc>,
    pub provider_department_id: DepartmentId,
    pub customer_department_id: DepartmentId,
    /// Whether the reader may open it.
    pub readable: bool,
}

/// A request's inputs and its first dependents.
#[derive(Debug, Clone, Default)]
pub struct Neighbours {
    pub inputs: Vec<Neighbour>,
    pub dependents: Vec<Neighbour>,
    /// How many requests wait on it directly, named or not, counted up to
    /// [`DEPENDENTS_COUNTED`] + 1 (more than [`DEPENDENTS_COUNTED`]).
    pub dependents_total: u64,
}

fn neighbour(actor: &AuthUser, line: Line) -> Neighbour {
    let readable = can_read_between(
        actor,
        line.provider_department_id,
        line.customer_department_id,
    );
    Neighbour {
        id: line.id,
        title: line.title,
        status: line.status,
        due_at: line.due_at,
        provider_department_id: line.provider_department_id,
        customer_department_id: line.customer_department_id,
        readable,
    }
}

/// The neighbours of request `id` (which the caller has already read).
pub async fn of(
    db: &impl ConnectionTrait,
    actor: &AuthUser,
    id: RequestId,
    inputs: &[RequestId],
) -> Result<Neighbours, ApiError> {
    let organisation = request::Column::OrganisationId.eq(actor.organisation_id);
    let input_lines: Vec<Line> = if inputs.is_empty() {
        Vec::new()
    } else {
        request::Entity::find()
            .filter(organisation.clone())
            .filter(request::Column::Id.is_in(inputs.iter().copied()))
            .order_by_asc(request::Column::Id)
            .into_partial_model()
            .all(db)
            .await?
    };
    // The first dependents' lines and how many wait in all, in one
    // statement. No organisation condition on the dependencies: `id` was
    // read in the caller's organisation, and a dependency never crosses
    // one. Without it both subqueries are answered from the (depends_on_id,
    // request_id) index alone, and the count stops at what the page would
    // say. With no dependent there is no row, and the count stays 0.
    let waiting = request_dependency::Entity::find()
        .select_only()
        .column(request_dependency::Column::RequestId)
        .filter(request_dependency::Column::DependsOnId.eq(id));
    let total = crate::services::scalar(capped_count(waiting.clone(), DEPENDENTS_COUNTED + 1));
    let first = waiting
        .order_by_asc(request_dependency::Column::RequestId)
        .limit(DEPENDENTS_SHOWN)
        .into_query();
    let dependents = Line::select_cols(
        request::Entity::find()
            .select_only()
            .filter(organisation)
            .filter(request::Column::Id.in_subquery(first))
            .order_by_asc(request::Column::Id),
    )
    .column_as(total, "total");
    let (dependent_lines, dependents_total): (Vec<Line>, u64) =
        crate::services::rows_and_total(db, &dependents.into_query()).await?;
    Ok(Neighbours {
        inputs: input_lines
            .into_iter()
            .map(|line| neighbour(actor, line))
            .collect(),
        dependents: dependent_lines
            .into_iter()
            .map(|line| neighbour(actor, line))
            .collect(),
        dependents_total,
    })
}

/// `SELECT COUNT(*)` of `query`'s first `cap` rows: the count stops there.
/// (sea-orm's `count` drops a query's limit, so it would count them all.)
fn capped_count<E: EntityTrait>(query: Select<E>, cap: u64) -> SelectStatement {
    SelectStatement::new()
        .expr(Expr::cust("COUNT(*) AS counted"))
        .from_subquery(query.limit(cap).into_query(), "capped")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::SqliteQueryBuilder;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use super::capped_count;
    use crate::entities::request_dependency;

    #[test]
    fn the_count_of_dependents_reads_no_further_than_its_cap() {
        let waiting = request_dependency::Entity::find()
            .filter(request_dependency::Column::DependsOnId.eq(7));
        let sql = capped_count(waiting, 1_001).to_string(SqliteQueryBuilder);
        assert!(
            sql.starts_with("SELECT COUNT(*) AS counted FROM (SELECT")
                && sql.ends_with("LIMIT 1001) AS \"capped\""),
            "{sql}"
        );
    }
}
