//! The departments: a list of them, and a page per department with its
//! lead and people, its working calendar, the agreements it provides and
//! receives (with on-time figures), the requests it owes and waits for,
//! its upcoming reviews and the customer commitments it owns. Everything
//! shown goes through the services' own read rules: a lead or staff member
//! looking at another department sees only the requests and reviews that
//! touch their own.

use std::collections::HashMap;

use chrono::Utc;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};
use serde_json::json;

use super::{
    PageResult, PageUser, context, department_names, local, organisation_zone, request_lines,
};
use crate::entities::{calendar, department, request};
use crate::error::ApiError;
use crate::identity::{AuthUser, Role};
use crate::pagination::PageRequest;
use crate::services::Side;
use crate::services::agreements::{self, AgreementFilter, describe, leads, turnaround_of};
use crate::services::calendars;
use crate::services::commitments::{self, CommitmentFilter};
use crate::services::requests::{can_read, open_for_department};
use crate::services::reviews::{self, ReviewFilter};
use crate::services::{departments, users};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![list, show]
}

const ALL: PageRequest = PageRequest {
    after_id: 0,
    limit: 200,
};

/// Open requests read per side before the reader's rules filter them.
const OPEN_REQUESTS: u64 = 200;

/// "Mon–Fri 09:00–17:00 · Sat 10:00–14:00", from a calendar's weekly hours.
fn hours_of(row: &calendar::Model) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let (weekly, holidays) = calendars::decode(row)?;
    let days = [
        ("Mon", &weekly.mon),
        ("Tue", &weekly.tue),
        ("Wed", &weekly.wed),
        ("Thu", &weekly.thu),
        ("Fri", &weekly.fri),
        ("Sat", &weekly.sat),
        ("Sun", &weekly.sun),
    ];
    // Consecutive days with the same ranges are written as one span.
    let mut spans: Vec<(&str, &str, String)> = Vec::new();
    for (day, ranges) in days {
        let text = ranges
            .iter()
            .map(|[start, end]| format!("{start}–{end}"))
            .collect::<Vec<_>>()
            .join(", ");
        match spans.last_mut() {
            Some((_, last, hours)) if *hours == text => *last = day,
            _ => spans.push((day, day, text)),
        }
    }
    let hours = spans
        .into_iter()
        .filter(|(_, _, hours)| !hours.is_empty())
        .map(|(first, last, hours)| {
            if first == last {
                format!("{first} {hours}")
            } else {
                format!("{first}–{last} {hours}")
            }
        })
        .collect();
    let today = Utc::now().date_naive();
    let upcoming = holidays
        .into_iter()
        .filter(|holiday| holiday.date >= today)
        .take(5)
        .map(|holiday| {
            if holiday.name.is_empty() {
                holiday.date.to_string()
            } else {
                format!("{} ({})", holiday.date, holiday.name)
            }
        })
        .collect();
    Ok((hours, upcoming))
}

#[get("/departments")]
async fn list(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let me = &user.auth;
    let mut rows: Vec<department::Model> = departments::list(&state.db, me, ALL).await?;
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let people: HashMap<i64, String> = users::list(&state.db, me, ALL, None)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect();
    let zones: HashMap<i64, String> = calendars::list(&state.db, me, ALL)
        .await?
        .into_iter()
        .map(|row| (row.id, row.timezone))
        .collect();
    let lines: Vec<_> = rows
        .iter()
        .map(|row| {
            json!({
                "id": row.id, "name": row.name, "code": row.code,
                "lead": row.lead_user_id.and_then(|id| people.get(&id)).map_or("—", String::as_str),
                "zone": zones.get(&row.calendar_id).map_or("", String::as_str),
                "mine": me.department_id == Some(row.id),
            })
        })
        .collect();
    let mut page = context(&user, "Departments", flash);
    page.insert("departments", &lines);
    Ok(RawHtml(
        state.views.render("pages/departments.html", &page)?,
    ))
}

#[get("/departments/<id>")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    id: i64,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let me = &user.auth;
    let db = &state.db;
    let row = departments::get(db, me, id).await?;
    let zone = organisation_zone(db, me.organisation_id).await?;
    let names = department_names(db, me.organisation_id).await?;
    let calendar = calendars::get(db, me, row.calendar_id).await?;
    let (hours, holidays) = hours_of(&calendar)?;
    let members: Vec<_> = users::list(db, me, ALL, Some(id))
        .await?
        .into_iter()
        .filter(|person| person.active)
        .map(|person| {
            json!({"id": person.id, "name": person.name, "role": person.role,
                            "chairs": row.lead_user_id == Some(person.id)})
        })
        .collect();
    let lead = members
        .iter()
        .find(|person| person["chairs"] == true)
        .and_then(|person| person["name"].as_str())
        .unwrap_or("nobody yet")
        .to_owned();

    let provided = agreements::list(
        db,
        me,
        ALL,
        AgreementFilter {
            provider_department_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    let received = agreements::list(
        db,
        me,
        ALL,
        AgreementFilter {
            customer_department_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    let ids: Vec<i64> = provided.iter().chain(&received).map(|a| a.id).collect();
    let figures = agreements::on_time_figures(db, me.organisation_id, &ids).await?;
    let agreement_lines = |rows: Vec<crate::entities::agreement::Model>, provider: bool| {
        rows.into_iter()
            .map(|a| {
                let other = if provider {
                    a.customer_department_id
                } else {
                    a.provider_department_id
                };
                let turnaround = turnaround_of(a.turnaround_unit, a.turnaround_quantity)
                    .map(describe)
                    .unwrap_or_default();
                let figures = figures.get(&a.id).cloned().unwrap_or_default();
                json!({
                    "id": a.id, "title": a.title, "status": a.status, "turnaround": turnaround,
                    "target": a.on_time_target_pct, "other_id": other, "other": names.get(&other),
                    "delivered": figures.delivered, "on_time_pct": figures.on_time_pct,
                    "meets_target": figures.on_time_pct.map(|pct| pct >= f64::from(a.on_time_target_pct)),
                })
            })
            .collect::<Vec<_>>()
    };
    let provided = agreement_lines(provided, true);
    let received = agreement_lines(received, false);

    let owes =
        open_for_department(db, me.organisation_id, id, Side::Provider, OPEN_REQUESTS).await?;
    let waits =
        open_for_department(db, me.organisation_id, id, Side::Customer, OPEN_REQUESTS).await?;
    let readable = |rows: Vec<request::Model>| -> Vec<request::Model> {
        rows.into_iter().filter(|row| can_read(me, row)).collect()
    };
    let owes = request_lines(readable(owes), &names, Side::Provider, zone);
    let waits = request_lines(readable(waits), &names, Side::Customer, zone);
    // Staff and leads of other departments see only what touches their own.
    let partial = !matches!(me.role, Role::Admin | Role::Leader) && me.department_id != Some(id);

    let mut scheduled = reviews::list(
        db,
        me,
        ALL,
        ReviewFilter {
            department_id: Some(id),
            status: Some("scheduled".into()),
        },
    )
    .await?;
    // For leads and staff the service lists their own department's reviews;
    // of those, the ones with this department.
    scheduled.retain(|review| review.department_a_id == id || review.department_b_id == id);
    scheduled.sort_by_key(|review| review.scheduled_at);
    let upcoming: Vec<_> = scheduled
        .into_iter()
        .map(|review| {
            let other = if review.department_a_id == id {
                review.department_b_id
            } else {
                review.department_a_id
            };
            json!({"id": review.id, "at": local(review.scheduled_at, zone),
               "other_id": other, "other": names.get(&other), "every_weeks": review.every_weeks})
        })
        .collect();

    let owned: Vec<_> = commitments::list(
        db,
        me,
        ALL,
        CommitmentFilter {
            owner_department_id: Some(id),
            status: Some("open".into()),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|c| {
        json!({"id": c.id, "customer": c.customer_name, "title": c.title,
                    "promised_at": local(c.promised_at, zone), "risk": c.risk,
                    "slip_minutes": c.slip_minutes})
    })
    .collect();

    let mut page = context(&user, &row.name, flash);
    page.insert(
        "department",
        &json!({
            "id": row.id, "name": row.name, "code": row.code, "lead": lead,
            "calendar": calendar.name, "zone": calendar.timezone, "hours": hours, "holidays": holidays,
        }),
    );
    page.insert("members", &members);
    page.insert("provided", &provided);
    page.insert("received", &received);
    page.insert("owes", &owes);
    page.insert("waits", &waits);
    page.insert("partial", &partial);
    page.insert("reviews", &upcoming);
    page.insert("commitments", &owned);
    page.insert("may_draft", &leads(me, id));
    page.insert("may_review", &(me.role != Role::Staff));
    page.insert("may_commit", &commitment_writer(me, id));
    Ok(RawHtml(state.views.render("pages/department.html", &page)?))
}

/// Whether the reader may record commitments owned by `department` (SPEC §8).
fn commitment_writer(me: &AuthUser, department: i64) -> bool {
    match me.role {
        Role::Admin | Role::Leader => true,
        Role::Lead | Role::Staff => me.department_id == Some(department),
    }
}
