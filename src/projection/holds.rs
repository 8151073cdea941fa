//! How long a stored projection stays true with nothing but time passing.
//!
//! An undelivered request's projected finish is the latest of its due, its
//! forecast and now. While now is before every such finish upstream of a
//! commitment, none of them moves, and neither does anything computed from
//! them (the commitment's date, slack, risk and critical path). The first
//! of those finishes is therefore the moment the commitment must be
//! projected again; a request already at or past its finish (overdue) or
//! whose due moves with the clock (a running pause) moves it now.

use chrono::{DateTime, Utc};

use super::graph::{CommitmentIdx, NONE, RequestIdx, Status, instant};
use super::state::Projection;

/// How the projection of one commitment stands with time alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holds {
    /// An undelivered request upstream already moves with the clock
    /// (overdue, or paused): the commitment's date can grow from now on.
    pub moving: bool,
    /// The earliest finish, after the projection's moment, of an
    /// undelivered request upstream that does not move yet: when it passes,
    /// that request starts moving (`None`: there is none).
    pub next: Option<DateTime<Utc>>,
}

impl Projection {
    /// How commitment `c`'s projection can change with the passing of time
    /// alone; `moving` says which requests' dues run with the clock (a
    /// running pause).
    pub fn holds(&self, c: CommitmentIdx, moving: impl Fn(RequestIdx) -> bool) -> Holds {
        let graph = &self.graph;
        let mut seen = vec![false; graph.request_count()];
        let mut stack: Vec<u32> = graph.com_deps.get(c.0 as usize).to_vec();
        let mut holds = Holds {
            moving: false,
            next: None,
        };
        let mut next: Option<i64> = None;
        while let Some(r) = stack.pop() {
            let u = r as usize;
            if std::mem::replace(&mut seen[u], true) {
                continue;
            }
            if graph.req.status[u] != Status::Undelivered || self.fin[u][0] == NONE {
                // Delivered and cancelled requests are fixed, and so is
                // everything upstream of them as far as this commitment goes.
                continue;
            }
            let finish = self.fin[u][0];
            if moving(RequestIdx(r)) || finish <= self.as_of {
                holds.moving = true;
            } else {
                next = Some(next.map_or(finish, |f| f.min(finish)));
            }
            stack.extend_from_slice(graph.deps.get(u));
        }
        holds.next = next.and_then(|f| instant(f).ok());
        holds
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, TimeZone, Utc};

    use super::Holds;
    use crate::projection::{
        CalendarIdx, CommitmentIdx, CommitmentInput, CommitmentState, Projection, ProjectionInput,
        RequestIdx, RequestInput, RequestState,
    };
    use crate::time::{CalendarSpec, CompiledCalendar, Turnaround, TurnaroundUnit};

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    /// Request 0 (8 working hours, logged Monday 09:00 Berlin) feeds
    /// request 1 (8 more), which feeds the commitment; `states` per request.
    fn chain(states: [RequestState; 2], as_of: DateTime<Utc>) -> Projection {
        let spec = CalendarSpec::default_office("Europe/Berlin").unwrap();
        let office = Arc::new(CompiledCalendar::compile(&spec).unwrap());
        let hours = |h| Turnaround::new(h, TurnaroundUnit::BusinessHours).unwrap();
        let request = |id: i64, deps: Vec<u32>, state| RequestInput {
            id,
            provider_department_id: 10 + id,
            customer_department_id: 11 + id,
            calendar: CalendarIdx(0),
            turnaround: hours(8.0),
            requested_at: t(2, 8),
            state,
            pause_shift_seconds: 0,
            depends_on: deps.into_iter().map(RequestIdx).collect(),
            due_hint: None,
        };
        let [first, second] = states;
        Projection::from_input(
            ProjectionInput {
                calendars: vec![office],
                requests: vec![request(1, vec![], first), request(2, vec![0], second)],
                commitments: vec![CommitmentInput {
                    id: 100,
                    owner_department_id: 13,
                    calendar: CalendarIdx(0),
                    lead_time: hours(0.0),
                    promised_at: t(6, 16),
                    depends_on: vec![RequestIdx(1)],
                    state: CommitmentState::Open,
                }],
                at_risk_threshold_minutes: 480,
            },
            as_of,
        )
        .unwrap()
    }

    const OPEN: RequestState = RequestState::Undelivered { expected_at: None };

    fn still(next: Option<DateTime<Utc>>) -> Holds {
        Holds {
            moving: false,
            next,
        }
    }

    #[test]
    fn a_projection_holds_until_the_first_undelivered_finish_upstream() {
        // Request 1 is due Monday 17:00 (16:00 UTC), request 2 Tuesday 17:00.
        let early = chain([OPEN, OPEN], t(2, 9));
        assert_eq!(
            early.holds(CommitmentIdx(0), |_| false),
            still(Some(t(2, 16)))
        );
        // Once request 1 is delivered, only request 2 can still move it.
        let delivered = RequestState::Delivered { at: t(2, 12) };
        let later = chain([delivered, OPEN], t(2, 13));
        assert_eq!(
            later.holds(CommitmentIdx(0), |_| false),
            still(Some(t(3, 12)))
        );
    }

    #[test]
    fn an_overdue_or_paused_request_upstream_moves_the_projection_now() {
        // Request 1 is overdue; request 2, due a working day after now
        // (Tuesday 17:00 Berlin), starts moving then.
        let overdue = chain([OPEN, OPEN], t(2, 17));
        let holds = overdue.holds(CommitmentIdx(0), |_| false);
        assert!(holds.moving);
        assert_eq!(holds.next, Some(t(3, 16)));
        let paused = chain([OPEN, OPEN], t(2, 9));
        let holds = paused.holds(CommitmentIdx(0), |r| r == RequestIdx(0));
        assert_eq!(
            holds,
            Holds {
                moving: true,
                next: Some(t(3, 16))
            }
        );
    }

    #[test]
    fn a_commitment_whose_inputs_are_all_delivered_holds_for_ever() {
        let done = RequestState::Delivered { at: t(2, 12) };
        let projection = chain([done, RequestState::Delivered { at: t(3, 9) }], t(4, 9));
        assert_eq!(projection.holds(CommitmentIdx(0), |_| false), still(None));
    }

    #[test]
    fn a_settled_finish_is_the_one_the_projection_gives() {
        let delivered = RequestState::Delivered {
            at: t(2, 12) + chrono::TimeDelta::milliseconds(300),
        };
        let projection = chain([delivered, RequestState::Cancelled], t(3, 9));
        assert_eq!(
            Projection::settled_finish(delivered),
            Some(projection.finish(RequestIdx(0)))
        );
        assert_eq!(
            Projection::settled_finish(RequestState::Cancelled),
            Some(projection.finish(RequestIdx(1)))
        );
        assert_eq!(Projection::settled_finish(OPEN), None);
    }
}
