//! A request as one line of a list on the home and department pages: its
//! due in local time, whether it is overdue or due soon, and the department
//! on the other side of the handoff.

use std::collections::HashMap;

use chrono::{TimeDelta, Utc};
use serde::Serialize;

use super::{local, relative};
use crate::entities::ids::{DepartmentId, RequestId};
use crate::entities::request::RequestStatus;
use crate::services::Side;
use crate::services::requests::OpenLine;

#[derive(Serialize)]
pub struct RequestLine {
    id: RequestId,
    title: String,
    status: RequestStatus,
    due_at: String,
    /// "in 3 h", "2 d ago".
    due_in: String,
    overdue: bool,
    due_soon: bool,
    expected_at: Option<String>,
    other_department_id: DepartmentId,
    other_department: String,
}

/// Lines for `rows`, seen from `side`: the other department is the
/// customer of what a department owes, the provider of what it waits for.
pub fn request_lines(
    rows: Vec<OpenLine>,
    names: &HashMap<DepartmentId, String>,
    side: Side,
    zone: chrono_tz::Tz,
) -> Vec<RequestLine> {
    let now = Utc::now();
    rows.into_iter()
        .map(|row| {
            let other = match side {
                Side::Provider => row.customer_department_id,
                Side::Customer => row.provider_department_id,
            };
            RequestLine {
                overdue: row.due_at < now,
                due_soon: row.due_at >= now && row.due_at < now + TimeDelta::days(2),
                id: row.id,
                title: row.title,
                status: row.status,
                due_at: local(row.due_at, zone),
                due_in: relative(row.due_at, now),
                expected_at: row.expected_at.map(|at| local(at, zone)),
                other_department_id: other,
                other_department: names.get(&other).cloned().unwrap_or_default(),
            }
        })
        .collect()
}
