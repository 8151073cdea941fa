//! The departments: a list of them, and a page per department with its
//! lead and people, its working calendar, the agreements it provides and
//! receives (with on-time figures), the requests it owes and waits for,
//! its upcoming reviews and the customer commitments it owns. What a reader
//! sees of it is `services::departments::overview`'s rule; this lays it out.
//! An admin also adds departments from the list, and edits or deletes one
//! from its edit page.

use std::collections::HashMap;

use chrono::Utc;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use super::admin::{admin_only, calendar_choices, shown_version};
use super::{
    Choice, FormReply, PageForm, PageResult, PageUser, Parsed, Posted, Refusal, Rejected,
    carries_csrf, context, department_names, html, insert_form, insert_forms, local, parse_choice,
    people, request_lines, typed_values,
};
use crate::entities::agreement::AgreementStatus;
use crate::entities::commitment::StoredRisk;
use crate::entities::ids::{AgreementId, CommitmentId, DepartmentId, RequestId, UserId};
use crate::entities::user::Role;
use crate::entities::{agreement, calendar, department};
use crate::error::ApiError;
use crate::pagination::{NewestFirst, PageRequest};
use crate::services::Side;
use crate::services::agreements::{OnTimeFigures, describe, turnaround_of};
use crate::services::calendars;
use crate::services::departments::{DepartmentChanges, NewDepartment};
use crate::services::{departments, thanks, users};
use crate::state::AppState;

/// The thanks a department page shows, newest first.
const THANKS_SHOWN: u64 = 5;

pub fn routes() -> Vec<Route> {
    routes![list, show, create, edit_page, edit, delete]
}

const ALL: PageRequest = PageRequest {
    after_id: 0,
    limit: 200,
};

/// "Mon–Fri 09:00–17:00 · Sat 10:00–14:00", from a calendar's weekly hours.
pub(super) fn hours_of(row: &calendar::Model) -> Result<(Vec<String>, Vec<String>), ApiError> {
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

/// The add-a-department form (an admin's), kept as typed.
#[derive(FromForm, Serialize, Default)]
struct NewDepartmentForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    name: String,
    #[field(default = "")]
    code: String,
    #[field(default = "")]
    calendar_id: String,
}

carries_csrf!(NewDepartmentForm);

const NEW_FIELDS: [&str; 3] = ["name", "code", "calendar_id"];

#[get("/departments")]
async fn list(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let values = NewDepartmentForm {
        calendar_id: calendars::default_id(state.db(), user.auth.organisation_id)
            .await?
            .map(|id| id.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    Ok(list_page(state, &user, flash, &values, None).await?)
}

/// The departments; for an admin, with the form to add one (`values` as
/// typed, `refusal` why it was not added).
async fn list_page(
    state: &AppState,
    user: &PageUser,
    flash: Option<FlashMessage<'_>>,
    values: &NewDepartmentForm,
    refusal: Option<&Refusal>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let mut rows: Vec<department::Model> = departments::list(state.db(), me, ALL).await?;
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let people = people(state, user).await?;
    let calendar_rows = calendars::list(state.db(), me, ALL).await?;
    let zones: HashMap<i64, String> = calendar_rows
        .iter()
        .map(|row| (row.id, row.timezone.clone()))
        .collect();
    let lines: Vec<_> = rows
        .iter()
        .map(|row| {
            json!({
                "id": row.id, "name": row.name, "code": row.code,
                "lead": row.lead_user_id.and_then(|id| people.name(id)).unwrap_or("—"),
                "zone": zones.get(&row.calendar_id).map_or("", String::as_str),
                "mine": me.department_id == Some(row.id),
            })
        })
        .collect();
    let mut page = context(user, "Departments", flash);
    page.insert("departments", &lines);
    page.insert("admin", &me.is_admin());
    page.insert("calendars", &calendar_choices(&calendar_rows));
    insert_form(&mut page, &NEW_FIELDS, values, refusal);
    Ok(html(
        refusal.map_or(Status::Ok, |refusal| refusal.status),
        state.views.render("pages/departments.html", &page)?,
    ))
}

#[post("/departments", data = "<posted>")]
async fn create(
    state: &State<AppState>,
    posted: Posted<NewDepartmentForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = async {
        genuine?;
        let mut parsed = Parsed::default();
        let calendar_id = parsed.take(parse_choice::<i64>(
            &form.calendar_id,
            "calendar_id",
            "a calendar",
        ));
        parsed.finish()?;
        let input = NewDepartment {
            name: form.name.clone(),
            code: form.code.trim().to_owned(),
            calendar_id,
            lead_user_id: None,
        };
        departments::create(state.db(), &user.auth, input).await
    }
    .await;
    match outcome {
        Ok(row) => Ok(FormReply::done(
            format!("/departments/{}/edit", row.id),
            &format!(
                "{} added. Add its people on the People page; then choose its lead here.",
                row.name
            ),
        )),
        Err(error) => {
            let refusal = Refusal::of(error, &NEW_FIELDS)?;
            Ok(FormReply::Again(
                list_page(state, &user, None, &form, Some(&refusal)).await?,
            ))
        }
    }
}

/// The edit form of a department; `version` is the one the page showed.
#[derive(FromForm, Serialize, Default)]
struct EditForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[serde(skip)]
    #[field(default = "")]
    version: String,
    #[field(default = "")]
    name: String,
    #[field(default = "")]
    code: String,
    #[field(default = "")]
    calendar_id: String,
    #[field(default = "")]
    lead_user_id: String,
}

carries_csrf!(EditForm);

const EDIT_FIELDS: [&str; 4] = ["name", "code", "calendar_id", "lead_user_id"];

#[derive(FromForm)]
struct DeleteForm {
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    version: String,
}

carries_csrf!(DeleteForm);

async fn edit_form_page(
    state: &AppState,
    user: &PageUser,
    id: DepartmentId,
    flash: Option<FlashMessage<'_>>,
    rejected: Option<&Rejected>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    admin_only(user)?;
    let me = &user.auth;
    let row = departments::get(state.db(), me, id).await?;
    let calendar_rows = calendars::list(state.db(), me, ALL).await?;
    let members = users::list(state.db(), me, ALL, Some(id)).await?;
    // Only a lead of this department may chair it (the service's rule):
    // the others are offered no choice that would be refused.
    let leads: Vec<Choice> = members
        .iter()
        .filter(|person| person.active && person.role == Role::Lead)
        .map(|person| Choice {
            value: person.id.to_string(),
            label: person.name.clone(),
        })
        .collect();
    let mut page = context(user, &format!("Edit {}", row.name), flash);
    page.insert(
        "department",
        &json!({"id": row.id, "name": row.name, "code": row.code, "version": row.version,
                "members": members.len()}),
    );
    page.insert("calendars", &calendar_choices(&calendar_rows));
    page.insert("leads", &leads);
    let current = [
        ("name", row.name.clone()),
        ("code", row.code.clone()),
        ("calendar_id", row.calendar_id.to_string()),
        (
            "lead_user_id",
            row.lead_user_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ),
    ]
    .map(|(field, value)| (field.to_owned(), value));
    let edit = [PageForm::new("edit", &EDIT_FIELDS, rejected).filled(current)];
    let delete = [PageForm::new("delete", &[], rejected)];
    insert_forms(&mut page, &[("edit", &edit), ("delete", &delete)], rejected);
    Ok(html(
        Rejected::status(rejected),
        state.views.render("pages/department_edit.html", &page)?,
    ))
}

#[get("/departments/<id>/edit")]
async fn edit_page(
    state: &State<AppState>,
    user: PageUser,
    id: DepartmentId,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(edit_form_page(state, &user, id, flash, None).await?)
}

#[post("/departments/<id>/edit", data = "<posted>")]
async fn edit(
    state: &State<AppState>,
    id: DepartmentId,
    posted: Posted<EditForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = async {
        genuine?;
        let mut parsed = Parsed::default();
        let calendar_id = parsed.take(parse_choice::<i64>(
            &form.calendar_id,
            "calendar_id",
            "a calendar",
        ));
        let lead = match form.lead_user_id.trim() {
            "" => Some(None),
            text => parsed
                .take(parse_choice::<UserId>(text, "lead_user_id", "a lead"))
                .map(Some),
        };
        parsed.finish()?;
        let changes = DepartmentChanges {
            name: Some(form.name.clone()),
            code: Some(form.code.trim().to_owned()),
            calendar_id,
            lead_user_id: lead,
        };
        departments::update(
            state.db(),
            &user.auth,
            id,
            shown_version(&form.version),
            changes,
        )
        .await
    }
    .await;
    match outcome {
        Ok(row) => Ok(FormReply::done(
            format!("/departments/{id}"),
            &format!("{} saved.", row.name),
        )),
        Err(error) => {
            let rejected = Rejected::new("edit", typed_values(&form), error, &EDIT_FIELDS)?;
            Ok(FormReply::Again(
                edit_form_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}

/// Deletes a department nothing refers to; otherwise the edit page says
/// what still does.
#[post("/departments/<id>/delete", data = "<posted>")]
async fn delete(
    state: &State<AppState>,
    id: DepartmentId,
    posted: Posted<DeleteForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = async {
        genuine?;
        let row = departments::get(state.db(), &user.auth, id).await?;
        departments::delete(state.db(), &user.auth, id, shown_version(&form.version)).await?;
        Ok::<_, ApiError>(row)
    }
    .await;
    match outcome {
        Ok(row) => Ok(FormReply::done(
            "/departments".into(),
            &format!("{} deleted.", row.name),
        )),
        Err(ApiError::Conflict(why)) => {
            let error = ApiError::Conflict(format!(
                "Not deleted: {why}. Move or remove those first; until then the department stays."
            ));
            let rejected = Rejected::new("delete", HashMap::new(), error, &[])?;
            Ok(FormReply::Again(
                edit_form_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
        Err(error) => {
            let rejected = Rejected::new("delete", HashMap::new(), error, &[])?;
            Ok(FormReply::Again(
                edit_form_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}

/// A person of the department, as its page lists them.
#[derive(Serialize)]
struct Member<'a> {
    id: UserId,
    name: &'a str,
    role: Role,
    chairs: bool,
}

/// An agreement it provides or receives, with its on-time figures.
#[derive(Serialize)]
struct AgreementLine<'a> {
    id: AgreementId,
    title: &'a str,
    status: AgreementStatus,
    turnaround: String,
    target: i32,
    other_id: DepartmentId,
    other: Option<&'a String>,
    delivered: i64,
    on_time_pct: Option<f64>,
    meets_target: Option<bool>,
}

/// The lines of agreements `rows`, which the department provides (or, when
/// not `provider`, receives), with their figures.
fn agreement_lines<'a>(
    rows: &'a [agreement::Model],
    provider: bool,
    figures: &HashMap<AgreementId, OnTimeFigures>,
    names: &'a HashMap<DepartmentId, String>,
) -> Vec<AgreementLine<'a>> {
    rows.iter()
        .map(|a| {
            let other = if provider {
                a.customer_department_id
            } else {
                a.provider_department_id
            };
            let figures = figures.get(&a.id).cloned().unwrap_or_default();
            AgreementLine {
                id: a.id,
                title: &a.title,
                status: a.status,
                turnaround: turnaround_of(a.turnaround_unit, a.turnaround_quantity)
                    .map(describe)
                    .unwrap_or_default(),
                target: a.on_time_target_pct,
                other_id: other,
                other: names.get(&other),
                delivered: figures.delivered,
                on_time_pct: figures.on_time_pct,
                meets_target: figures
                    .on_time_pct
                    .map(|pct| pct >= f64::from(a.on_time_target_pct)),
            }
        })
        .collect()
}

/// A scheduled review with the department.
#[derive(Serialize)]
struct ReviewLine<'a> {
    id: i64,
    at: String,
    other_id: DepartmentId,
    other: Option<&'a String>,
    every_weeks: i32,
}

/// An open commitment it owns.
#[derive(Serialize)]
struct CommitmentLine<'a> {
    id: CommitmentId,
    customer: &'a str,
    title: &'a str,
    promised_at: String,
    risk: Option<StoredRisk>,
    slip_minutes: Option<i64>,
}

/// Thanks its customers gave it.
#[derive(Serialize)]
struct ThanksLine<'a> {
    note: &'a str,
    who: Option<&'a str>,
    from: Option<&'a String>,
    request_id: RequestId,
    at: String,
}

/// What the page says of the department itself.
#[derive(Serialize)]
struct About<'a> {
    id: DepartmentId,
    name: &'a str,
    code: &'a str,
    lead: &'a str,
    calendar: &'a str,
    zone: &'a str,
    hours: Vec<String>,
    holidays: Vec<String>,
}

// Each part goes into the template's context once, from the lines above:
// built as `json!` values first, every one of them was copied a second time
// on its way in.
#[get("/departments/<id>")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    id: DepartmentId,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let me = &user.auth;
    let zone = user.zone;
    let names = department_names(state, &user).await?;
    let people = people(state, &user).await?;
    let mut overview = departments::overview(state.db(), me, id).await?;
    // The open lines go to the page as they are (moved, not copied).
    let (owes, waits) = (
        std::mem::take(&mut overview.owes.lines),
        std::mem::take(&mut overview.waits.lines),
    );
    // The latest thanks its customers gave it (praise is meant to be seen).
    let received = thanks::received_by(
        state.db(),
        me,
        id,
        NewestFirst {
            before_id: i64::MAX,
            limit: THANKS_SHOWN,
        },
    )
    .await?;
    let row = &overview.row;
    let (hours, holidays) = hours_of(&overview.calendar)?;
    let staff = people.members_of(id);
    let members: Vec<_> = staff
        .iter()
        .take(ALL.limit as usize)
        .map(|&(person_id, person)| Member {
            id: person_id,
            name: &person.name,
            role: person.role,
            chairs: row.lead_user_id == Some(person_id),
        })
        .collect();
    let lead = staff
        .iter()
        .find(|&&(person_id, _)| row.lead_user_id == Some(person_id))
        .map_or("nobody yet", |(_, person)| person.name.as_str());

    let upcoming: Vec<_> = overview
        .reviews
        .iter()
        .map(|review| {
            let other = if review.department_a_id == id {
                review.department_b_id
            } else {
                review.department_a_id
            };
            ReviewLine {
                id: review.id,
                at: local(review.scheduled_at, zone),
                other_id: other,
                other: names.get(&other),
                every_weeks: review.every_weeks,
            }
        })
        .collect();
    let owned: Vec<_> = overview
        .commitments
        .iter()
        .map(|c| CommitmentLine {
            id: c.id,
            customer: &c.customer_name,
            title: &c.title,
            promised_at: local(c.promised_at, zone),
            risk: c.risk,
            slip_minutes: c.slip_minutes,
        })
        .collect();
    let thanks_lines: Vec<_> = received
        .iter()
        .take(THANKS_SHOWN as usize)
        .map(|t| ThanksLine {
            note: &t.note,
            who: people.name(t.user_id),
            from: names.get(&t.customer_department_id),
            request_id: t.request_id,
            at: local(t.created_at, zone),
        })
        .collect();

    let mut page = context(&user, &row.name, flash);
    page.insert(
        "department",
        &About {
            id: row.id,
            name: &row.name,
            code: &row.code,
            lead,
            calendar: &overview.calendar.name,
            zone: &overview.calendar.timezone,
            hours,
            holidays,
        },
    );
    page.insert("members", &members);
    for (part, rows, provider) in [
        ("provided", &overview.provided, true),
        ("received", &overview.received, false),
    ] {
        page.insert(
            part,
            &agreement_lines(rows, provider, &overview.figures, &names),
        );
    }
    page.insert("owes", &request_lines(owes, &names, Side::Provider, zone));
    page.insert("owes_total", &overview.owes.total);
    page.insert("waits", &request_lines(waits, &names, Side::Customer, zone));
    page.insert("waits_total", &overview.waits.total);
    page.insert("partial", &overview.partial);
    page.insert("reviews", &upcoming);
    page.insert("commitments", &owned);
    page.insert("commitments_total", &overview.commitments_total);
    page.insert("thanks", &thanks_lines);
    page.insert("may_draft", &overview.may_draft);
    page.insert("may_review", &overview.may_review);
    page.insert("may_commit", &overview.may_commit);
    page.insert("may_edit", &me.is_admin());
    Ok(RawHtml(state.views.render("pages/department.html", &page)?))
}
