//! What nearly every page names, kept by each process for as long as it
//! stays the same: the names of an organisation's departments and its
//! people (with each person's department, role and whether they are
//! active, so that a department's members come from here too).
//!
//! Every change of a department or a person (created, renamed, moved,
//! deactivated, deleted) records an event in its own transaction
//! (`services::events`), and events are never removed. The number of an
//! organisation's department and person events is therefore a version of
//! its directory that grows with every change on every instance. A page
//! reads it with its person, in the same statement ([`version_of_account`]),
//! and reads the directory again only when it moved; so a rename through
//! one instance shows on the next page of every other.
//!
//! A count, not the newest event's id: two changes committed in the other
//! order than their ids were given (PostgreSQL) would leave the newest id
//! where it was after the second commit, while the count still moves. The
//! directory is read after the version, so an entry is never older than its
//! key: at worst it is read again, never kept stale. The count reads
//! `idx_events_organisation_kind` alone, and only these two kinds: it grows
//! with the organisation's administrative history (a few events a person),
//! not with its requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::ids::{DepartmentId, OrganisationId, UserId};
use crate::entities::{event, user};
use crate::error::ApiError;
use crate::identity::Role;

/// An organisation's department names by id.
pub type Names = Arc<HashMap<DepartmentId, String>>;

/// One of an organisation's people, as pages name and list them.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub department_id: Option<DepartmentId>,
    pub role: Role,
    pub active: bool,
}

/// An organisation's people by id, the deactivated included (a page still
/// names who did something).
#[derive(Debug, Default)]
pub struct People(HashMap<UserId, Person>);

impl People {
    pub fn name(&self, id: UserId) -> Option<&str> {
        self.0.get(&id).map(|person| person.name.as_str())
    }

    /// The name of `id`, or "user #id" for someone not (or no longer) here.
    pub fn name_or_number(&self, id: UserId) -> String {
        self.name(id)
            .map_or_else(|| format!("user #{id}"), str::to_owned)
    }

    /// The active people of `department_id`, by id.
    pub fn members_of(&self, department_id: DepartmentId) -> Vec<(UserId, &Person)> {
        let mut members: Vec<(UserId, &Person)> = self
            .0
            .iter()
            .filter(|(_, person)| person.active && person.department_id == Some(department_id))
            .map(|(&id, person)| (id, person))
            .collect();
        members.sort_unstable_by_key(|&(id, _)| id);
        members
    }
}

/// The directory of an organisation at one version.
#[derive(Clone)]
struct Entry {
    version: i64,
    names: Names,
    people: Arc<People>,
}

/// The directory each organisation had at a version.
#[derive(Default)]
pub struct Directory {
    known: Mutex<HashMap<OrganisationId, Entry>>,
}

/// Organisations kept at most; past it the next miss starts afresh, which
/// bounds memory whatever the number of organisations.
const KEPT: usize = 10_000;

impl Directory {
    /// The department names of `organisation_id` at `version` (of
    /// [`version_of_account`]).
    pub async fn names(
        &self,
        db: &impl ConnectionTrait,
        organisation_id: OrganisationId,
        version: i64,
    ) -> Result<Names, ApiError> {
        Ok(self.entry(db, organisation_id, version).await?.names)
    }

    /// The people of `organisation_id` at `version`.
    pub async fn people(
        &self,
        db: &impl ConnectionTrait,
        organisation_id: OrganisationId,
        version: i64,
    ) -> Result<Arc<People>, ApiError> {
        Ok(self.entry(db, organisation_id, version).await?.people)
    }

    /// The kept entry when it is at `version`, else one read now.
    async fn entry(
        &self,
        db: &impl ConnectionTrait,
        organisation_id: OrganisationId,
        version: i64,
    ) -> Result<Entry, ApiError> {
        let kept = self.known.lock().ok().and_then(|known| {
            known
                .get(&organisation_id)
                .filter(|entry| entry.version == version)
                .cloned()
        });
        if let Some(entry) = kept {
            return Ok(entry);
        }
        let entry = Entry {
            version,
            names: Arc::new(super::names(db, organisation_id).await?),
            people: Arc::new(read_people(db, organisation_id).await?),
        };
        if let Ok(mut known) = self.known.lock() {
            if known.len() >= KEPT {
                known.clear();
            }
            known.insert(organisation_id, entry.clone());
        }
        Ok(entry)
    }
}

async fn read_people(
    db: &impl ConnectionTrait,
    organisation_id: OrganisationId,
) -> Result<People, ApiError> {
    // Only the columns a page shows: a whole row carries timestamps to
    // parse and a password hash nobody here needs.
    let rows: Vec<(UserId, String, Option<DepartmentId>, Role, bool)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .column(user::Column::DepartmentId)
        .column(user::Column::Role)
        .column(user::Column::Active)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(People(
        rows.into_iter()
            .map(|(id, name, department_id, role, active)| {
                let person = Person {
                    name,
                    department_id,
                    role,
                    active,
                };
                (id, person)
            })
            .collect(),
    ))
}

/// The kinds of event that change the directory, written as
/// `idx_events_organisation_kind` stores them.
const DIRECTORY_KINDS: [&str; 2] = ["department", "user"];

/// How many department and person events the organisation of a `users`
/// row has had, as an expression over that row
/// (`identity::account_for_token`).
pub fn version_of_account() -> Expr {
    crate::services::count_of(
        event::Entity::find()
            .filter(crate::services::one_of::<event::Entity>(
                event::Column::SubjectType,
                DIRECTORY_KINDS,
            ))
            .filter(
                Expr::col((event::Entity, event::Column::OrganisationId))
                    .equals((user::Entity, user::Column::OrganisationId)),
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::events::Subject;

    #[test]
    fn the_directory_is_versioned_by_the_events_of_departments_and_people() {
        assert_eq!(
            DIRECTORY_KINDS,
            [
                Subject::Department(DepartmentId(0)).kind(),
                Subject::User(UserId(0)).kind()
            ]
        );
    }
}
