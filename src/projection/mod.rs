//! Delay propagation (SPEC §4): from requests, their dependencies and their
//! states to every request's projected finish and every external
//! commitment's projected date, baseline, slip, slack, risk, critical path,
//! root causes and probabilistic forecast. Pure: no database, no HTTP; the
//! service layer fills a [`ProjectionInput`] from the database.
//!
//! What lives where:
//! - [`graph`]: the input model and [`Graph`], its validated dense form
//!   (flat adjacency arrays, topological order, cycle detection naming the
//!   cycle: [`Graph::would_close_cycle`]).
//! - `adjacency`: the flat `u32` adjacency lists.
//! - `due_memo`: due instants through the time engine, with a per-request
//!   memo so an unchanged ready time costs no calendar look-up.
//! - `pass`: the forward pass (projected rule); `baseline`: the baseline
//!   rule; [`commitment`]: lead time, slack, risk, slip.
//! - [`state`]: [`Projection`], the projected organisation kept in memory.
//! - [`attribution`]: critical path, root causes, endangered commitments.
//! - [`holds`]: how long a stored projection holds with time alone.
//! - [`incremental`]: changes and downstream-cone re-projection.
//! - [`monte_carlo`]: the seeded probabilistic forecast.
//!
//! Conventions:
//! - Every instant is handled in whole seconds; an input with a sub-second
//!   part is rounded up, as the time engine does.
//! - Minutes in outputs (slip, slack, root causes) are truncated toward zero.
//! - Errors from the time engine (an instant outside the calendars'
//!   supported dates) name the request or commitment they came from.
//!
//! Usage:
//! ```
//! use std::sync::Arc;
//! use chrono::{TimeZone, Utc};
//! use baton::projection::{
//!     CalendarIdx, CommitmentIdx, CommitmentInput, CommitmentState, Projection,
//!     ProjectionInput, RequestChange, RequestIdx, RequestInput, RequestState, Risk,
//! };
//! use baton::time::{CalendarSpec, CompiledCalendar, Turnaround, TurnaroundUnit};
//!
//! let spec = CalendarSpec::default_office("Europe/Berlin").unwrap();
//! let office = Arc::new(CompiledCalendar::compile(&spec).unwrap());
//! let t = |d, h| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap();
//! let hours = |h| Turnaround::new(h, TurnaroundUnit::BusinessHours).unwrap();
//! let request = |id, deps: Vec<u32>| RequestInput {
//!     id,
//!     provider_department_id: 10 + id,
//!     customer_department_id: 11 + id,
//!     calendar: CalendarIdx(0),
//!     turnaround: hours(8.0),
//!     requested_at: t(2, 8), // Monday 09:00 in Berlin
//!     state: RequestState::Undelivered { expected_at: None },
//!     pause_shift_seconds: 0,
//!     depends_on: deps.into_iter().map(RequestIdx).collect(),
//!     due_hint: None,
//! };
//! let input = ProjectionInput {
//!     calendars: vec![office],
//!     requests: vec![request(1, vec![]), request(2, vec![0])],
//!     commitments: vec![CommitmentInput {
//!         id: 100,
//!         owner_department_id: 13,
//!         calendar: CalendarIdx(0),
//!         lead_time: Turnaround::new(0.0, TurnaroundUnit::BusinessHours).unwrap(),
//!         promised_at: t(4, 16), // Wednesday 17:00
//!         depends_on: vec![RequestIdx(1)],
//!         state: CommitmentState::Open,
//!     }],
//!     at_risk_threshold_minutes: 480,
//! };
//! let mut projection = Projection::from_input(input, t(2, 8)).unwrap();
//! let fig = projection.commitment(CommitmentIdx(0)).unwrap();
//! assert_eq!(fig.projected_at, t(3, 16)); // Tuesday 17:00
//! assert_eq!(fig.risk, Risk::OnTrack);
//!
//! // The first provider forecasts a day late: re-project its cone only.
//! let touched = projection
//!     .change(RequestIdx(0), RequestChange::Forecast(Some(t(3, 16))))
//!     .unwrap();
//! assert_eq!(touched, vec![CommitmentIdx(0)]);
//! let view = projection.commitment_projection(CommitmentIdx(0)).unwrap().unwrap();
//! assert_eq!(view.projected_at, t(4, 16));
//! assert_eq!(view.slack_minutes, 0);
//! assert_eq!(view.risk, Risk::AtRisk); // on time, but no slack left
//! assert_eq!(view.critical_path, vec![1, 2]);
//! ```

pub mod attribution;
pub mod commitment;
pub mod graph;
pub mod holds;
pub mod incremental;
pub mod monte_carlo;
pub mod state;

mod adjacency;
mod baseline;
pub(crate) mod due_memo;
mod pass;

use crate::time::TimeError;

pub use attribution::{CommitmentProjection, RootCause, RootCauseKind};
pub use commitment::Risk;
pub use graph::{
    CalendarIdx, CommitmentIdx, CommitmentInput, CommitmentState,
    DEFAULT_AT_RISK_THRESHOLD_MINUTES, DueHint, Graph, ProjectionInput, RequestIdx, RequestInput,
    RequestState,
};
pub use incremental::RequestChange;
pub use monte_carlo::Forecast;
pub use state::{CommitmentFigures, Projection};

/// Why a projection could not be built or updated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    /// The dependencies form a cycle (request ids, each depending on the
    /// next, the last on the first): a 422 naming the cycle.
    #[error("dependencies would form a cycle: {cycle:?}")]
    Cycle {
        /// Request ids around the cycle.
        cycle: Vec<i64>,
    },
    /// A dependency index that is not a request of the input.
    #[error("{owner} depends on request index {index}, which does not exist")]
    UnknownRequest {
        /// Id of the request or commitment naming it.
        owner: i64,
        /// The bad index.
        index: u32,
    },
    /// A calendar index that is not in the input.
    #[error("{id} names calendar index {calendar}, which does not exist")]
    UnknownCalendar {
        /// Id of the request or commitment naming it.
        id: i64,
        /// The bad index.
        calendar: u32,
    },
    /// A request or commitment index that does not exist.
    #[error("index {index} does not exist")]
    UnknownIndex {
        /// The bad index.
        index: u32,
    },
    /// A pause shift below zero.
    #[error("request {request_id}: pause shift must not be negative")]
    NegativePauseShift {
        /// The request.
        request_id: i64,
    },
    /// A change that does not fit the request's state.
    #[error("request {request_id}: {reason}")]
    InvalidChange {
        /// The request.
        request_id: i64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The time engine could not place a request's due.
    #[error("request {request_id}: {source}")]
    Time {
        /// The request.
        request_id: i64,
        /// The engine's error.
        #[source]
        source: TimeError,
    },
    /// The time engine could not place a commitment's date or slack.
    #[error("commitment {commitment_id}: {source}")]
    CommitmentTime {
        /// The commitment.
        commitment_id: i64,
        /// The engine's error.
        #[source]
        source: TimeError,
    },
    /// A Monte Carlo forecast needs at least one trial.
    #[error("at least one trial is needed")]
    NoTrials,
    /// More than `u32::MAX` requests or edges.
    #[error("graph too large")]
    TooLarge,
}
