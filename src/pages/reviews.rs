//! The review page: the agenda built from the data, the minutes form, and
//! the action items with forms to add and close them; and the form to
//! schedule a new review between two departments.

use std::collections::HashMap;

use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::Redirect;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use super::{
    Choice, FormReply, PageResult, PageUser, Parsed, Refusal, Session, check_csrf, context,
    department_choices, department_names, done, html, insert_form, local, local_instant,
    organisation_zone, parse_choice, parse_number, refused,
};
use crate::auth::Role;
use crate::error::ApiError;
use crate::http::IfMatch;
use crate::pagination::PageRequest;
use crate::services::reviews::{self, ActionChanges, HoldInput, NewAction, NewReview, may_write};
use crate::services::users;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, hold, add_action, close_action, new_form, create]
}

const ALL: PageRequest = PageRequest {
    after_id: 0,
    limit: 200,
};

#[derive(FromForm)]
struct HoldForm {
    _csrf: String,
    minutes: String,
    decisions: Option<String>,
}

#[derive(FromForm)]
struct ActionForm {
    _csrf: String,
    title: String,
    owner_user_id: i64,
    due_on: String,
}

#[derive(FromForm)]
struct CloseForm {
    _csrf: String,
    status: String,
    resolution_note: String,
}

#[get("/reviews/<id>")]
async fn show(
    state: &State<AppState>,
    session: Session,
    id: i64,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let user = session.require()?;
    let me = &user.auth;
    let row = reviews::get(&state.db, me, id).await?;
    let zone = organisation_zone(&state.db, me.organisation_id).await?;
    let names = department_names(&state.db, me.organisation_id).await?;
    let agenda = reviews::agenda(&state.db, &state.calendars, me, id).await?;
    let actions = reviews::list_actions(&state.db, me, Some(id), None).await?;
    // The people of the two departments, who may own the review's actions.
    let mut people = Vec::new();
    for department in [row.department_a_id, row.department_b_id] {
        people.extend(users::list(&state.db, me, ALL, Some(department)).await?);
    }
    let people_names: HashMap<i64, String> = users::list(&state.db, me, ALL, None)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let owners: Vec<Choice> = people
        .iter()
        .filter(|person| person.active)
        .map(|person| Choice {
            value: person.id.to_string(),
            label: format!(
                "{} ({})",
                person.name,
                person
                    .department_id
                    .and_then(|d| names.get(&d).cloned())
                    .unwrap_or_default()
            ),
        })
        .collect();
    let attendees: Vec<String> = reviews::attendees(&state.db, id)
        .await?
        .into_iter()
        .filter_map(|user_id| people_names.get(&user_id).cloned())
        .collect();
    let title = format!(
        "Review {} ⇄ {}",
        names.get(&row.department_a_id).cloned().unwrap_or_default(),
        names.get(&row.department_b_id).cloned().unwrap_or_default()
    );
    let mut page = context(&user, &title, flash);
    page.insert(
        "review",
        &json!({
            "id": row.id, "status": row.status, "scheduled_at": local(row.scheduled_at, zone),
            "held_at": row.held_at.map(|at| local(at, zone)), "minutes": row.minutes,
            "decisions": serde_json::from_str::<Vec<String>>(&row.decisions).unwrap_or_default(),
            "every_weeks": row.every_weeks, "writable": may_write(me, &row),
            "department_a_id": row.department_a_id, "department_b_id": row.department_b_id,
            "duration_minutes": row.duration_minutes, "attendees": attendees,
        }),
    );
    page.insert("owners", &owners);
    page.insert("departments", &names);
    page.insert("agenda", &agenda);
    page.insert("actions", &actions.into_iter().map(|a| json!({
        "id": a.id, "title": a.title, "owner_user_id": a.owner_user_id, "owner": people_names.get(&a.owner_user_id).cloned().unwrap_or_else(|| format!("user #{}", a.owner_user_id)),
        "due_on": a.due_on.to_string(),
        "status": a.status, "resolution_note": a.resolution_note,
        "overdue": a.status == "open" && a.due_on < chrono::Utc::now().date_naive(),
    })).collect::<Vec<_>>());
    Ok(RawHtml(state.views.render("pages/review.html", &page)?))
}

#[post("/reviews/<id>/hold", data = "<form>")]
async fn hold(
    state: &State<AppState>,
    session: Session,
    id: i64,
    form: Form<HoldForm>,
) -> PageResult<Redirect> {
    let user = session.require()?;
    let back = format!("/reviews/{id}");
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return Err(refused(back, error));
    }
    let decisions = form
        .decisions
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    match reviews::hold(
        &state.db,
        &user.auth,
        id,
        HoldInput {
            minutes: form.minutes,
            decisions,
            at: None,
        },
    )
    .await
    {
        Ok(held) => Err(done(
            held.next
                .map_or(back, |next| format!("/reviews/{}", next.id)),
            "Review held; the next one is scheduled.",
        )),
        Err(error) => Err(refused(back, error)),
    }
}

#[post("/reviews/<id>/actions", data = "<form>")]
async fn add_action(
    state: &State<AppState>,
    session: Session,
    id: i64,
    form: Form<ActionForm>,
) -> PageResult<Redirect> {
    let user = session.require()?;
    let back = format!("/reviews/{id}");
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return Err(refused(back, error));
    }
    let Ok(due_on) = chrono::NaiveDate::parse_from_str(&form.due_on, "%Y-%m-%d") else {
        return Err(refused(
            back,
            crate::error::ApiError::field("due_on", "must be a date such as 2026-04-01"),
        ));
    };
    let input = NewAction {
        title: form.title,
        owner_user_id: form.owner_user_id,
        due_on,
    };
    match reviews::add_action(&state.db, &user.auth, id, input).await {
        Ok(_) => Err(done(back, "Action added.")),
        Err(error) => Err(refused(back, error)),
    }
}

#[post("/actions/<id>/close?<review>", data = "<form>")]
async fn close_action(
    state: &State<AppState>,
    session: Session,
    id: i64,
    review: i64,
    form: Form<CloseForm>,
) -> PageResult<Redirect> {
    let user = session.require()?;
    let back = format!("/reviews/{review}");
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return Err(refused(back, error));
    }
    let changes = ActionChanges {
        status: Some(form.status),
        resolution_note: Some(form.resolution_note),
        ..Default::default()
    };
    match reviews::update_action(&state.db, &user.auth, id, IfMatch(None), changes).await {
        Ok(_) => Err(done(
            back,
            "Action closed; the other department has been told.",
        )),
        Err(error) => Err(refused(back, error)),
    }
}

/// The inputs of the new-review form, kept as typed.
#[derive(FromForm, Serialize, Default)]
struct NewReviewForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    department_a: String,
    #[field(default = "")]
    department_b: String,
    /// `datetime-local`, in the organisation's time zone.
    #[field(default = "")]
    scheduled_at: String,
    #[field(default = "")]
    duration_minutes: String,
    #[field(default = "")]
    every_weeks: String,
    attendee_user_ids: Vec<String>,
}

/// The two department selects share the service's `department_ids` errors.
const FIELDS: [&str; 5] = [
    "department_ids",
    "scheduled_at",
    "duration_minutes",
    "every_weeks",
    "attendee_user_ids",
];

async fn review_form(
    state: &AppState,
    user: &PageUser,
    values: &NewReviewForm,
    refusal: Option<&Refusal>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let names = department_names(&state.db, me.organisation_id).await?;
    let zone = organisation_zone(&state.db, me.organisation_id).await?;
    let mut page = context(user, "New review", None);
    let mut status = refusal.map_or(Status::Ok, |refusal| refusal.status);
    // A lead's own department is always one of the pair (SPEC §8).
    let firsts = match (me.role, me.department_id) {
        (Role::Admin | Role::Leader, _) => department_choices(&names, None),
        (Role::Lead, Some(own)) => department_choices(&names, Some(&[own])),
        _ => Vec::new(),
    };
    if firsts.is_empty() {
        page.insert(
            "not_allowed",
            "Reviews are scheduled by the two departments' leads, leaders and admins.",
        );
        status = Status::Forbidden;
    }
    let people: Vec<Choice> = users::list(&state.db, me, ALL, None)
        .await?
        .into_iter()
        .filter(|person| person.active)
        .map(|person| Choice {
            value: person.id.to_string(),
            label: match person.department_id.and_then(|d| names.get(&d)) {
                Some(department) => format!("{} ({department})", person.name),
                None => format!("{} ({})", person.name, person.role),
            },
        })
        .collect();
    insert_form(&mut page, &FIELDS, values, refusal);
    page.insert("firsts", &firsts);
    page.insert("seconds", &department_choices(&names, None));
    page.insert("people", &people);
    page.insert("zone", &zone.name());
    Ok(html(
        status,
        state.views.render("pages/review_new.html", &page)?,
    ))
}

async fn again(
    state: &AppState,
    user: &PageUser,
    values: &NewReviewForm,
    error: ApiError,
) -> PageResult<FormReply> {
    let refusal = Refusal::of(error, &FIELDS)?;
    Ok(FormReply::Again(
        review_form(state, user, values, Some(&refusal)).await?,
    ))
}

#[get("/reviews/new?<with>")]
async fn new_form(
    state: &State<AppState>,
    session: Session,
    with: Option<i64>,
) -> PageResult<(Status, RawHtml<String>)> {
    let user = session.require()?;
    let values = NewReviewForm {
        department_a: user
            .auth
            .department_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        department_b: with
            .filter(|&with| Some(with) != user.auth.department_id)
            .map(|id| id.to_string())
            .unwrap_or_default(),
        duration_minutes: "60".into(),
        every_weeks: "4".into(),
        ..Default::default()
    };
    Ok(review_form(state, &user, &values, None).await?)
}

#[post("/reviews", data = "<form>")]
async fn create(
    state: &State<AppState>,
    session: Session,
    form: Form<NewReviewForm>,
) -> PageResult<FormReply> {
    let user = session.require()?;
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return again(state, &user, &form, error).await;
    }
    let zone = organisation_zone(&state.db, user.auth.organisation_id).await?;
    let mut parsed = Parsed::default();
    let a = parsed.take(parse_choice(
        &form.department_a,
        "department_ids",
        "both departments",
    ));
    let b = parsed.take(parse_choice(
        &form.department_b,
        "department_ids",
        "both departments",
    ));
    let scheduled_at = parsed.take(match form.scheduled_at.trim() {
        "" => Err(ApiError::field("scheduled_at", "is required")),
        text => local_instant(text, zone, "scheduled_at"),
    });
    let duration = parsed.take(
        parse_number(&form.duration_minutes, "duration_minutes").and_then(|minutes| {
            minutes.ok_or_else(|| ApiError::field("duration_minutes", "is required"))
        }),
    );
    let every_weeks = parsed.take(parse_number(&form.every_weeks, "every_weeks"));
    let attendees = parsed.take(
        form.attendee_user_ids
            .iter()
            .map(|id| id.parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::field("attendee_user_ids", "choose people from the list")),
    );
    if let Err(error) = parsed.finish() {
        return again(state, &user, &form, error).await;
    }
    let (Some(a), Some(b), Some(scheduled_at), Some(duration), Some(every_weeks), Some(attendees)) =
        (a, b, scheduled_at, duration, every_weeks, attendees)
    else {
        return Err(ApiError::Internal("a parsed review field is missing".into()).into());
    };
    let input = NewReview {
        department_ids: vec![a, b],
        scheduled_at,
        duration_minutes: duration,
        every_weeks: every_weeks.unwrap_or(0),
        attendee_user_ids: attendees,
    };
    match reviews::create(&state.db, &user.auth, input).await {
        Ok(row) => Ok(FormReply::done(
            format!("/reviews/{}", row.id),
            "Review scheduled. Its agenda is built from the figures when you open it.",
        )),
        Err(error) => again(state, &user, &form, error).await,
    }
}
