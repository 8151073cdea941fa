//! The review page: the agenda built from the data, the minutes form, and
//! the action items with forms to add and close them; and the form to
//! schedule a new review between two departments.

use std::collections::HashMap;

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use super::{
    Choice, FormReply, PageForm, PageResult, PageUser, Parsed, Posted, Refusal, Rejected,
    carries_csrf, context, department_choices, department_names, html, insert_form, insert_forms,
    local, local_instant, parse_choice, parse_number, typed_values,
};
use crate::entities::action_item::ActionStatus;
use crate::entities::ids::{DepartmentId, UserId};
use crate::entities::review::ReviewStatus;
use crate::error::{ApiError, FieldErrors};
use crate::identity::Role;
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
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

#[derive(FromForm, Serialize)]
struct HoldForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    minutes: String,
    #[field(default = "")]
    decisions: String,
}

carries_csrf!(HoldForm);

const HOLD_FIELDS: [&str; 2] = ["minutes", "decisions"];

#[derive(FromForm, Serialize)]
struct ActionForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    title: String,
    #[field(default = "")]
    owner_user_id: String,
    #[field(default = "")]
    due_on: String,
}

carries_csrf!(ActionForm);

const ACTION_FIELDS: [&str; 3] = ["title", "owner_user_id", "due_on"];

#[derive(FromForm, Serialize)]
struct CloseForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    status: String,
    #[field(default = "")]
    resolution_note: String,
}

carries_csrf!(CloseForm);

const CLOSE_FIELDS: [&str; 2] = ["status", "resolution_note"];

/// The name of the form closing action `id` (one per open action).
fn close_form(id: i64) -> String {
    format!("close-{id}")
}

#[get("/reviews/<id>")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    id: i64,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(review_page(state, &user, id, flash, None).await?)
}

/// The review page, with `rejected` (a refused form of it) shown in its form.
async fn review_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    flash: Option<FlashMessage<'_>>,
    rejected: Option<&Rejected>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let row = reviews::get(state.db(), me, id).await?;
    let zone = user.zone;
    let names = department_names(state, user).await?;
    let agenda = reviews::agenda(&state.context(me.clone()), id).await?;
    let actions = reviews::list_actions(state.db(), me, id).await?;
    // The people of the two departments, who may own the review's actions.
    let mut people = Vec::new();
    for department in [row.department_a_id, row.department_b_id] {
        people.extend(users::list(state.db(), me, ALL, Some(department)).await?);
    }
    let people_names: HashMap<UserId, String> = users::list(state.db(), me, ALL, None)
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
    let attendees: Vec<String> = reviews::attendees(state.db(), id)
        .await?
        .into_iter()
        .filter_map(|user_id| people_names.get(&user_id).cloned())
        .collect();
    let title = format!(
        "Review {} ⇄ {}",
        names.get(&row.department_a_id).cloned().unwrap_or_default(),
        names.get(&row.department_b_id).cloned().unwrap_or_default()
    );
    let writable = may_write(me, &row);
    let closers: Vec<PageForm> = actions
        .iter()
        .filter(|action| action.status == ActionStatus::Open)
        .map(|action| {
            PageForm::new(close_form(action.id), &CLOSE_FIELDS, rejected)
                .filled([("status".to_owned(), "done".to_owned())])
        })
        .collect();
    let mut adders = Vec::new();
    let mut holders = Vec::new();
    if writable {
        adders.push(PageForm::new("add_action", &ACTION_FIELDS, rejected));
        if row.status == ReviewStatus::Scheduled {
            holders.push(PageForm::new("hold", &HOLD_FIELDS, rejected));
        }
    }
    let mut page = context(user, &title, flash);
    page.insert(
        "review",
        &json!({
            "id": row.id, "status": row.status, "scheduled_at": local(row.scheduled_at, zone),
            "held_at": row.held_at.map(|at| local(at, zone)), "minutes": row.minutes,
            "decisions": serde_json::from_str::<Vec<String>>(&row.decisions).unwrap_or_default(),
            "every_weeks": row.every_weeks, "writable": writable,
            "department_a_id": row.department_a_id, "department_b_id": row.department_b_id,
            "duration_minutes": row.duration_minutes, "attendees": attendees,
        }),
    );
    page.insert("owners", &owners);
    page.insert(
        "outcomes",
        &["done", "dropped"].map(|outcome| Choice {
            value: outcome.into(),
            label: outcome.into(),
        }),
    );
    page.insert("departments", &names);
    page.insert("agenda", &agenda);
    insert_forms(
        &mut page,
        &[
            ("closers", &closers),
            ("adders", &adders),
            ("holders", &holders),
        ],
        rejected,
    );
    page.insert("actions", &actions.into_iter().map(|a| json!({
        "id": a.id, "title": a.title, "owner_user_id": a.owner_user_id, "owner": people_names.get(&a.owner_user_id).cloned().unwrap_or_else(|| format!("user #{}", a.owner_user_id)),
        "due_on": a.due_on.to_string(),
        "status": a.status, "resolution_note": a.resolution_note,
        "overdue": a.status == ActionStatus::Open && a.due_on < chrono::Utc::now().date_naive(),
        "form": close_form(a.id),
    })).collect::<Vec<_>>());
    Ok(html(
        Rejected::status(rejected),
        state.views.render("pages/review.html", &page)?,
    ))
}

/// Shows the review page again with `error` in the form `form`, keeping
/// what was typed there.
async fn again_on_page(
    state: &AppState,
    user: &PageUser,
    review: i64,
    form: String,
    values: &impl Serialize,
    error: ApiError,
    fields: &[&str],
) -> PageResult<FormReply> {
    let rejected = Rejected::new(form, typed_values(values), error, fields)?;
    Ok(FormReply::Again(
        review_page(state, user, review, None, Some(&rejected)).await?,
    ))
}

#[post("/reviews/<id>/hold", data = "<posted>")]
async fn hold(state: &State<AppState>, id: i64, posted: Posted<HoldForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let decisions = form
        .decisions
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    let input = HoldInput {
        minutes: form.minutes.clone(),
        decisions,
        at: None,
    };
    let outcome = match genuine {
        Ok(()) => reviews::hold(state.db(), &user.auth, id, input).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(held) => Ok(FormReply::done(
            held.next.map_or(format!("/reviews/{id}"), |next| {
                format!("/reviews/{}", next.id)
            }),
            "Review held; the next one is scheduled.",
        )),
        Err(error) => {
            let error = decisions_as_one_field(error);
            again_on_page(state, &user, id, "hold".into(), &form, error, &HOLD_FIELDS).await
        }
    }
}

/// The service names a bad decision by its line (`decisions[2]`); the form
/// has one box for them all, so the message goes beside it, naming the line.
fn decisions_as_one_field(error: ApiError) -> ApiError {
    let ApiError::Validation { detail, errors } = error else {
        return error;
    };
    let mut placed = FieldErrors::new();
    for (field, messages) in errors {
        let line = field
            .strip_prefix("decisions[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|index| index.parse::<usize>().ok());
        match line {
            Some(index) => placed.entry("decisions".into()).or_default().extend(
                messages
                    .into_iter()
                    .map(|message| format!("decision {}: {message}", index + 1)),
            ),
            None => placed.entry(field).or_default().extend(messages),
        }
    }
    ApiError::Validation {
        detail,
        errors: placed,
    }
}

#[post("/reviews/<id>/actions", data = "<posted>")]
async fn add_action(
    state: &State<AppState>,
    id: i64,
    posted: Posted<ActionForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let outcome = async {
        genuine?;
        let mut parsed = Parsed::default();
        let owner = parsed.take(parse_choice(
            &form.owner_user_id,
            "owner_user_id",
            "who owns the action",
        ));
        let due_on = parsed.take(
            chrono::NaiveDate::parse_from_str(form.due_on.trim(), "%Y-%m-%d")
                .map_err(|_| ApiError::field("due_on", "must be a date such as 2026-04-01")),
        );
        parsed.finish()?;
        let (Some(owner_user_id), Some(due_on)) = (owner, due_on) else {
            return Err(ApiError::Internal(
                "a parsed action field is missing".into(),
            ));
        };
        let input = NewAction {
            title: form.title.clone(),
            owner_user_id,
            due_on,
        };
        reviews::add_action(state.db(), &user.auth, id, input).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(FormReply::done(format!("/reviews/{id}"), "Action added.")),
        Err(error) => {
            again_on_page(
                state,
                &user,
                id,
                "add_action".into(),
                &form,
                error,
                &ACTION_FIELDS,
            )
            .await
        }
    }
}

#[post("/actions/<id>/close?<review>", data = "<posted>")]
async fn close_action(
    state: &State<AppState>,
    id: i64,
    review: i64,
    posted: Posted<CloseForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let changes = ActionChanges {
        status: Some(form.status.clone()),
        resolution_note: Some(form.resolution_note.clone()),
        ..Default::default()
    };
    let outcome = match genuine {
        Ok(()) => {
            reviews::update_action(state.db(), &user.auth, id, ExpectedVersion(None), changes).await
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(_) => Ok(FormReply::done(
            format!("/reviews/{review}"),
            "Action closed; the other department has been told.",
        )),
        Err(error) => {
            again_on_page(
                state,
                &user,
                review,
                close_form(id),
                &form,
                error,
                &CLOSE_FIELDS,
            )
            .await
        }
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

carries_csrf!(NewReviewForm);

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
    let names = department_names(state, user).await?;
    let zone = user.zone;
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
    let people: Vec<Choice> = users::list(state.db(), me, ALL, None)
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
    user: PageUser,
    with: Option<DepartmentId>,
) -> PageResult<(Status, RawHtml<String>)> {
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

#[post("/reviews", data = "<posted>")]
async fn create(state: &State<AppState>, posted: Posted<NewReviewForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    if let Err(error) = genuine {
        return again(state, &user, &form, error).await;
    }
    let zone = user.zone;
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
            .map(|id| id.parse::<i64>().map(UserId))
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
    match reviews::create(state.db(), &user.auth, input).await {
        Ok(row) => Ok(FormReply::done(
            format!("/reviews/{}", row.id),
            "Review scheduled. Its agenda is built from the figures when you open it.",
        )),
        Err(error) => again(state, &user, &form, error).await,
    }
}
