//! The names of an organisation's departments, which nearly every page
//! shows, kept by each process for as long as they stay the same.
//!
//! Every change of a department (created, renamed, deleted) records an
//! event in its own transaction (`services::events`), and events are never
//! removed. The number of an organisation's department events is therefore
//! a version of its directory that grows with every change on every
//! instance. A page reads it with its person, in the same statement
//! ([`version_of_account`]), and reads the names only when it moved.
//!
//! A count, not the newest event's id: two changes committed in the other
//! order than their ids were given (PostgreSQL) would leave the newest id
//! where it was after the second commit, while the count still moves.
//! Names read after the version are never older than it, so an entry is at
//! worst read again, never kept stale.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::ids::{DepartmentId, OrganisationId};
use crate::entities::{event, user};
use crate::error::ApiError;
use crate::services::events::Subject;

/// An organisation's department names by id.
pub type Names = Arc<HashMap<DepartmentId, String>>;

/// The names each organisation had at a version of its directory.
#[derive(Default)]
pub struct Directory {
    known: Mutex<HashMap<OrganisationId, (i64, Names)>>,
}

/// Organisations kept at most; past it the next miss starts afresh, which
/// bounds memory whatever the number of organisations.
const KEPT: usize = 10_000;

impl Directory {
    /// The department names of `organisation_id` at `version` (of
    /// [`version_of_account`]): kept ones when the version is the same,
    /// else read now.
    pub async fn names(
        &self,
        db: &impl ConnectionTrait,
        organisation_id: OrganisationId,
        version: i64,
    ) -> Result<Names, ApiError> {
        let kept = self.known.lock().ok().and_then(|known| {
            known
                .get(&organisation_id)
                .filter(|(at, _)| *at == version)
                .map(|(_, names)| names.clone())
        });
        if let Some(names) = kept {
            return Ok(names);
        }
        let names = Arc::new(super::names(db, organisation_id).await?);
        if let Ok(mut known) = self.known.lock() {
            if known.len() >= KEPT {
                known.clear();
            }
            known.insert(organisation_id, (version, names.clone()));
        }
        Ok(names)
    }
}

/// How many department events the organisation of a `users` row has had,
/// as an expression over that row (`identity::account_for_token`).
pub fn version_of_account() -> Expr {
    crate::services::count_of(
        event::Entity::find()
            .filter(event::Column::SubjectType.eq(Subject::Department(DepartmentId(0)).kind()))
            .filter(
                Expr::col((event::Entity, event::Column::OrganisationId))
                    .equals((user::Entity, user::Column::OrganisationId)),
            ),
    )
}
