//! The departments: a list of them, and a page per department with its
//! lead and people, its working calendar, the agreements it provides and
//! receives (with on-time figures), the requests it owes and waits for,
//! its upcoming reviews and the customer commitments it owns. What a reader
//! sees of it is `services::departments::overview`'s rule; this lays it out.

use std::collections::HashMap;

use chrono::Utc;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};
use serde_json::json;

use super::{
    PageResult, PageUser, context, department_names, local, organisation_zone, request_lines,
};
use crate::entities::ids::{DepartmentId, UserId};
use crate::entities::{agreement, calendar, department};
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::services::Side;
use crate::services::agreements::{describe, turnaround_of};
use crate::services::calendars;
use crate::services::{departments, users};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![list, show]
}

const ALL: PageRequest = PageRequest {
    after_id: 0,
    limit: 200,
};

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
    let people: HashMap<UserId, String> = users::list(&state.db, me, ALL, None)
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
    id: DepartmentId,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let me = &user.auth;
    let zone = organisation_zone(&state.db, me.organisation_id).await?;
    let names = department_names(&state.db, me.organisation_id).await?;
    let overview = departments::overview(&state.db, me, id).await?;
    let row = &overview.row;
    let (hours, holidays) = hours_of(&overview.calendar)?;
    let members: Vec<_> = overview
        .members
        .iter()
        .map(|person| {
            json!({"id": person.id, "name": person.name, "role": person.role,
                            "chairs": row.lead_user_id == Some(person.id)})
        })
        .collect();
    let lead = overview
        .members
        .iter()
        .find(|person| row.lead_user_id == Some(person.id))
        .map_or("nobody yet", |person| person.name.as_str());

    let agreement_lines = |rows: &[agreement::Model], provider: bool| {
        rows.iter()
            .map(|a| {
                let other = if provider {
                    a.customer_department_id
                } else {
                    a.provider_department_id
                };
                let turnaround = turnaround_of(a.turnaround_unit, a.turnaround_quantity)
                    .map(describe)
                    .unwrap_or_default();
                let figures = overview.figures.get(&a.id).cloned().unwrap_or_default();
                json!({
                    "id": a.id, "title": a.title, "status": a.status, "turnaround": turnaround,
                    "target": a.on_time_target_pct, "other_id": other, "other": names.get(&other),
                    "delivered": figures.delivered, "on_time_pct": figures.on_time_pct,
                    "meets_target": figures.on_time_pct.map(|pct| pct >= f64::from(a.on_time_target_pct)),
                })
            })
            .collect::<Vec<_>>()
    };
    let provided = agreement_lines(&overview.provided, true);
    let received = agreement_lines(&overview.received, false);
    let owes = request_lines(overview.owes.lines.clone(), &names, Side::Provider, zone);
    let waits = request_lines(overview.waits.lines.clone(), &names, Side::Customer, zone);

    let upcoming: Vec<_> = overview
        .reviews
        .iter()
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
    let owned: Vec<_> = overview
        .commitments
        .iter()
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
            "calendar": overview.calendar.name, "zone": overview.calendar.timezone,
            "hours": hours, "holidays": holidays,
        }),
    );
    page.insert("members", &members);
    page.insert("provided", &provided);
    page.insert("received", &received);
    page.insert("owes", &owes);
    page.insert("owes_total", &overview.owes.total);
    page.insert("waits", &waits);
    page.insert("waits_total", &overview.waits.total);
    page.insert("partial", &overview.partial);
    page.insert("reviews", &upcoming);
    page.insert("commitments", &owned);
    page.insert("commitments_total", &overview.commitments_total);
    page.insert("may_draft", &overview.may_draft);
    page.insert("may_review", &overview.may_review);
    page.insert("may_commit", &overview.may_commit);
    Ok(RawHtml(state.views.render("pages/department.html", &page)?))
}
