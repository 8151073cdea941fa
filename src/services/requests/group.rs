//! Group commit of logged requests.
//!
//! Logging a request costs a handful of statements and a commit, and the
//! statements are cheap: what costs is the round trips and the commit. On
//! SQLite, one writer at a time, each statement is also a handoff to the
//! connection's worker thread, all while holding the write lock; on
//! PostgreSQL each commit waits for its own flush of the write-ahead log.
//! So requests waiting to be logged are written together: whichever flush
//! gets its turn (one flush at a time) takes every request waiting, checks
//! each against the agreements, calendars and upstream rows read once for
//! all, and inserts the rows, dependencies and events of all of them in one
//! statement each, in one transaction. Each caller gets its own answer: a
//! request that fails its checks fails alone. When the transaction as a
//! whole fails (an idempotency key raced, say), every request in it is
//! written again on its own, as if never grouped.
//!
//! Under load a small group waits a millisecond for company before it is
//! written (holding the turn meanwhile); a request logged while nothing
//! else is being logged is written at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use tokio::sync::oneshot;

use super::intake::{
    Checked, Inserted, NewRequest, check, check_agreement, dependencies, edges, logged_event,
    notify_overdue,
};
use crate::entities::ids::{AgreementId, DepartmentId, OrganisationId, RequestId};
use crate::entities::{agreement, idempotency_key, request, request_dependency};
use crate::error::ApiError;
use crate::identity::AuthUser;
use crate::services::calendars::{CalendarCache, for_departments};
use crate::services::events;
use crate::services::projection::{Cone, upstream_cone};
use crate::time::CompiledCalendar;
use crate::writer::Writer;

/// Most requests written in one transaction: bounds the statements' bound
/// values (a request row has 28) well inside SQLite's limit of 32,766
/// (PostgreSQL's is 65,535).
const MAX_GROUP: usize = 64;
/// Dependency rows per insert (three values each).
const EDGES_PER_INSERT: usize = 5_000;
/// A group smaller than this waits [`GATHER`] for more when groups follow
/// one another within [`BUSY_WITHIN`].
const GATHER_BELOW: usize = 8;
const GATHER: Duration = Duration::from_millis(1);
const BUSY_WITHIN: Duration = Duration::from_millis(5);

/// Requests waiting to be logged together, with what writes them.
#[derive(Clone)]
pub struct LogGroup {
    inner: Arc<Inner>,
    writer: Writer,
}

struct Inner {
    db: DatabaseConnection,
    calendars: Arc<CalendarCache>,
    waiting: Mutex<Vec<Waiting>>,
    /// When the latest group was written.
    last_group: Mutex<Option<Instant>>,
    /// One flush at a time, so that what arrives while a group is being
    /// written waits to form the next group. (On SQLite the writer's turn
    /// alone would do; on PostgreSQL nothing else orders them.)
    flushing: tokio::sync::Mutex<()>,
}

/// One request waiting for a flush.
struct Waiting {
    actor: AuthUser,
    input: NewRequest,
    fingerprint: Option<(String, String)>,
    answer: oneshot::Sender<Result<Grouped, ApiError>>,
}

/// A request of a group, stored.
pub(super) struct Created {
    pub inserted: Inserted,
    pub agreement: agreement::Model,
    pub calendar: Arc<CompiledCalendar>,
}

/// What became of a request in a group.
pub(super) enum Grouped {
    /// Boxed: the other answer is empty.
    Created(Box<Created>),
    /// The group failed as a whole; nothing of this request was stored.
    Alone,
}

impl LogGroup {
    /// Groups on every backend: on SQLite its flushes run on the writer
    /// thread, elsewhere as tasks of their own.
    pub fn new(
        db: &DatabaseConnection,
        calendars: Arc<CalendarCache>,
        writer: &Writer,
    ) -> LogGroup {
        LogGroup {
            inner: Arc::new(Inner {
                db: db.clone(),
                calendars,
                waiting: Mutex::new(Vec::new()),
                last_group: Mutex::new(None),
                flushing: tokio::sync::Mutex::new(()),
            }),
            writer: writer.clone(),
        }
    }

    /// Logs `input` in the next group to be written.
    pub(super) async fn log(
        &self,
        actor: &AuthUser,
        input: &NewRequest,
        fingerprint: Option<(String, String)>,
    ) -> Result<Grouped, ApiError> {
        let (answer, answered) = oneshot::channel();
        self.inner.push(Waiting {
            actor: actor.clone(),
            input: input.clone(),
            fingerprint,
            answer,
        });
        // Every request queues a flush of its own, so none waits unflushed;
        // most flushes find their request already written by an earlier one.
        // Detached: a flush answers other callers too, so it must not end
        // with the caller that started it (a client that hung up).
        let inner = Arc::clone(&self.inner);
        self.writer
            .spawn(async move { inner.flush().await })
            .map_err(|_| ApiError::Internal("the SQLite writer thread has stopped".into()))?;
        answered
            .await
            .map_err(|_| ApiError::Internal("a logged request's group was dropped".into()))?
    }
}

impl Inner {
    fn push(&self, waiting: Waiting) {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(waiting);
    }

    /// Up to `most` of the requests waiting, the earliest first.
    fn take(&self, most: usize) -> Vec<Waiting> {
        let mut waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let cut = waiting.len().min(most);
        let rest = waiting.split_off(cut);
        std::mem::replace(&mut *waiting, rest)
    }

    /// Whether groups are being written back to back, and notes that one is
    /// being written now.
    fn busy(&self) -> bool {
        let now = Instant::now();
        let mut last = self
            .last_group
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let busy = last.is_some_and(|at| now.duration_since(at) < BUSY_WITHIN);
        *last = Some(now);
        busy
    }

    /// Writes whatever is waiting once this writer's turn comes.
    async fn flush(&self) {
        let _flushing = self.flushing.lock().await;
        let turn = crate::db::writer_turn(&self.db).await;
        let mut group = self.take(MAX_GROUP);
        if group.is_empty() {
            return;
        }
        let busy = self.busy();
        if group.len() < GATHER_BELOW && busy {
            // Under load the next requests are moments away: a short wait
            // lets them share this transaction instead of each paying for
            // one of its own. Alone, a request is written at once.
            tokio::time::sleep(GATHER).await;
            group.extend(self.take(MAX_GROUP - group.len()));
        }
        tracing::trace!(size = group.len(), "writing a group of logged requests");
        match self.write(turn, &group).await {
            Some(answers) => {
                for (waiting, answer) in group.into_iter().zip(answers) {
                    // The caller may have gone; its request is logged regardless.
                    let _ = waiting.answer.send(answer);
                }
            }
            None => {
                for waiting in group {
                    let _ = waiting.answer.send(Ok(Grouped::Alone));
                }
            }
        }
    }

    /// The group's transaction: an answer for each request, or none when
    /// the transaction failed as a whole and stored nothing.
    async fn write(
        &self,
        turn: crate::db::WriterTurn,
        group: &[Waiting],
    ) -> Option<Vec<Result<Grouped, ApiError>>> {
        let txn = match turn.begin(&self.db).await {
            Ok(txn) => txn,
            Err(error) => {
                tracing::warn!(%error, "cannot begin a group of logged requests");
                return None;
            }
        };
        match insert_group(&txn, &self.calendars, group).await {
            Ok(answers) => match txn.commit().await {
                Ok(()) => Some(answers),
                Err(error) => {
                    tracing::warn!(%error, "cannot commit a group of logged requests");
                    None
                }
            },
            Err(error) => {
                tracing::debug!(%error, size = group.len(), "a group failed; logging alone");
                if let Err(error) = txn.rollback().await {
                    tracing::warn!(%error, "cannot roll back a group of logged requests");
                }
                None
            }
        }
    }
}

/// A request of the group that has passed every check so far.
struct Pending<'a> {
    at: usize,
    waiting: &'a Waiting,
    agreement: agreement::Model,
    calendar: Arc<CompiledCalendar>,
}

/// The group's statements, inside `txn`: an answer for each request, in
/// order, or an error that fails the whole group.
async fn insert_group(
    txn: &crate::db::WriteTxn,
    cache: &CalendarCache,
    group: &[Waiting],
) -> Result<Vec<Result<Grouped, ApiError>>, ApiError> {
    let now = Utc::now();
    let mut answers: Vec<Option<Result<Grouped, ApiError>>> = group.iter().map(|_| None).collect();

    // The agreements, read in the transaction (so never older than at the
    // moment each request is logged), then their providers' calendars.
    let agreement_ids: HashSet<AgreementId> = group.iter().map(|w| w.input.agreement_id).collect();
    let mut agreements: HashMap<AgreementId, agreement::Model> = agreement::Entity::find()
        .filter(agreement::Column::Id.is_in(agreement_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut admitted = Vec::with_capacity(group.len());
    for (at, waiting) in group.iter().enumerate() {
        let found = agreements.get(&waiting.input.agreement_id).cloned();
        match check_agreement(&waiting.actor, found) {
            Ok(agreement) => admitted.push((at, waiting, agreement)),
            Err(error) => answers[at] = Some(Err(error)),
        }
    }
    agreements.clear();
    let mut calendars: HashMap<(OrganisationId, DepartmentId), Arc<CompiledCalendar>> =
        HashMap::new();
    for (organisation, departments) in by_organisation(
        admitted
            .iter()
            .map(|(_, w, a)| (w.actor.organisation_id, a.provider_department_id)),
    ) {
        let found = for_departments(txn, cache, organisation, &departments).await?;
        calendars.extend(
            found
                .into_iter()
                .map(|(department, calendar)| ((organisation, department), calendar)),
        );
    }
    let mut pending = Vec::with_capacity(admitted.len());
    for (at, waiting, agreement) in admitted {
        let key = (
            waiting.actor.organisation_id,
            agreement.provider_department_id,
        );
        match calendars.get(&key) {
            Some(calendar) => pending.push(Pending {
                at,
                waiting,
                calendar: calendar.clone(),
                agreement,
            }),
            None => answers[at] = Some(Err(ApiError::not_found("department"))),
        }
    }

    // Every input of every request with everything upstream: one walk per
    // organisation.
    let mut cones: HashMap<OrganisationId, Cone> = HashMap::new();
    for (organisation, seeds) in by_organisation(pending.iter().flat_map(|p| {
        p.waiting
            .input
            .depends_on
            .iter()
            .map(|&input| (p.waiting.actor.organisation_id, input))
    })) {
        cones.insert(
            organisation,
            upstream_cone(txn, organisation, &seeds).await?,
        );
    }
    let no_cone = Cone {
        rows: Vec::new(),
        edges: Vec::new(),
    };

    let mut ready: Vec<(Pending, Checked)> = Vec::with_capacity(pending.len());
    for p in pending {
        let cone = cones
            .get(&p.waiting.actor.organisation_id)
            .unwrap_or(&no_cone);
        let depends_on = dependencies(&p.waiting.input);
        match check(
            &p.waiting.actor,
            &p.waiting.input,
            depends_on,
            &p.agreement,
            &p.calendar,
            &cone.rows,
            now,
        ) {
            Ok(checked) => ready.push((p, checked)),
            Err(error) => answers[p.at] = Some(Err(error)),
        }
    }

    if !ready.is_empty() {
        let mut created =
            request::Entity::insert_many(ready.iter().map(|(_, checked)| checked.row.clone()))
                .exec_with_returning(txn)
                .await?;
        // Ids are handed out in the order of the rows inserted; the order
        // the rows come back in is not promised.
        created.sort_by_key(|row| row.id);
        if created.len() != ready.len()
            || created
                .iter()
                .zip(&ready)
                .any(|(row, (p, checked))| !stored_as_checked(row, p, checked))
        {
            return Err(ApiError::Internal(
                "the rows of a group came back unlike the rows inserted".into(),
            ));
        }
        let all_edges: Vec<request_dependency::ActiveModel> = created
            .iter()
            .zip(&ready)
            .flat_map(|(row, (_, checked))| edges(row, &checked.depends_on))
            .collect();
        for chunk in all_edges.chunks(EDGES_PER_INSERT) {
            request_dependency::Entity::insert_many(chunk.iter().cloned())
                .exec_without_returning(txn)
                .await?;
        }
        events::append_many(
            txn,
            created.iter().zip(&ready).map(|(row, (p, checked))| {
                logged_event(&p.waiting.actor, &p.agreement, row, checked)
            }),
        )
        .await?;
        let keys: Vec<idempotency_key::ActiveModel> = created
            .iter()
            .zip(&ready)
            .filter_map(|(row, (p, _))| {
                let (key, hash) = p.waiting.fingerprint.as_ref()?;
                Some(idempotency_key::ActiveModel {
                    user_id: Set(p.waiting.actor.id),
                    key: Set(key.clone()),
                    body_hash: Set(hash.clone()),
                    request_id: Set(row.id),
                    created_at: Set(now),
                    ..Default::default()
                })
            })
            .collect();
        if !keys.is_empty() {
            // A key another request took fails the group: logged alone, the
            // loser answers with the winner's request.
            idempotency_key::Entity::insert_many(keys)
                .exec_without_returning(txn)
                .await?;
        }
        for (row, (p, checked)) in created.into_iter().zip(ready) {
            if checked.overdue_now {
                notify_overdue(txn, &row).await?;
            }
            let cone = cones
                .get(&p.waiting.actor.organisation_id)
                .map(|cone| cone_of(cone, &checked.depends_on))
                .unwrap_or(Cone {
                    rows: Vec::new(),
                    edges: Vec::new(),
                });
            answers[p.at] = Some(Ok(Grouped::Created(Box::new(Created {
                inserted: Inserted { created: row, cone },
                agreement: p.agreement,
                calendar: p.calendar,
            }))));
        }
    }
    answers
        .into_iter()
        .map(|answer| {
            answer.ok_or_else(|| ApiError::Internal("a request of a group got no answer".into()))
        })
        .collect()
}

/// Whether `row` holds what was inserted for `p`, in every column that can
/// tell two requests of a group apart. Two requests alike in all of them
/// have equal rows, so which of the two ids each got makes no difference:
/// their inputs and idempotency keys are attached by id afterwards.
fn stored_as_checked(row: &request::Model, p: &Pending, checked: &Checked) -> bool {
    // PostgreSQL keeps microseconds.
    let same = |a: DateTime<Utc>, b: DateTime<Utc>| a.timestamp_micros() == b.timestamp_micros();
    row.created_by_user_id == p.waiting.actor.id
        && row.agreement_id == p.agreement.id
        && Some(&row.title) == checked.row.title.try_as_ref()
        && Some(&row.details) == checked.row.details.try_as_ref()
        && same(row.requested_at, checked.requested_at)
        && same(row.ready_at, checked.planned.ready_at)
        && same(row.clock_start, checked.planned.clock_start)
        && same(row.due_at, checked.planned.due_at)
}

/// Distinct values per organisation.
fn by_organisation<T: Eq + std::hash::Hash>(
    pairs: impl Iterator<Item = (OrganisationId, T)>,
) -> HashMap<OrganisationId, Vec<T>> {
    let mut sets: HashMap<OrganisationId, HashSet<T>> = HashMap::new();
    for (organisation, value) in pairs {
        sets.entry(organisation).or_default().insert(value);
    }
    sets.into_iter()
        .map(|(organisation, values)| (organisation, values.into_iter().collect()))
        .collect()
}

/// The part of a group's cone upstream of `seeds`: what reading the cone of
/// `seeds` alone would have given.
fn cone_of(group: &Cone, seeds: &[RequestId]) -> Cone {
    let mut inputs_of: HashMap<RequestId, Vec<RequestId>> = HashMap::new();
    for &(id, input) in &group.edges {
        inputs_of.entry(id).or_default().push(input);
    }
    let mut reached: HashSet<RequestId> = seeds.iter().copied().collect();
    let mut frontier: Vec<RequestId> = seeds.to_vec();
    while let Some(id) = frontier.pop() {
        for &input in inputs_of.get(&id).into_iter().flatten() {
            if reached.insert(input) {
                frontier.push(input);
            }
        }
    }
    Cone {
        rows: group
            .rows
            .iter()
            .filter(|row| reached.contains(&row.id))
            .cloned()
            .collect(),
        edges: group
            .edges
            .iter()
            .filter(|(id, _)| reached.contains(id))
            .copied()
            .collect(),
    }
}
