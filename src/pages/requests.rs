//! The request page (its timeline of every event, and a form for each move
//! the signed-in person may make) and the form to log a new request.

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
    department_names, done, html, insert_form, local, local_instant, organisation_zone,
    parse_choice, parse_ids, refused,
};
use crate::auth::Role;
use crate::error::ApiError;
use crate::http::IfMatch;
use crate::pagination::PageRequest;
use crate::services::agreements::{self, AgreementFilter};
use crate::services::events::{self, Subject};
use crate::services::requests::{
    self, Action, NewRequest, RequestStatus, dependencies_of, status_of,
};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, act, new_form, create]
}

#[derive(FromForm)]
struct ActionForm {
    _csrf: String,
    action: String,
    reason: Option<String>,
    expected_at: Option<String>,
    at: Option<String>,
    score: Option<i64>,
    comment: Option<String>,
}

/// The inputs of the new-request form, kept as typed.
#[derive(FromForm, Serialize, Default)]
struct NewRequestForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    agreement_id: String,
    #[field(default = "")]
    title: String,
    #[field(default = "")]
    details: String,
    #[field(default = "")]
    depends_on: String,
}

#[get("/requests/<id>")]
async fn show(
    state: &State<AppState>,
    session: Session,
    id: i64,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let user = session.require()?;
    let me = &user.auth;
    let row = requests::get(&state.db, me, id).await?;
    let zone = organisation_zone(&state.db, me.organisation_id).await?;
    let names = department_names(&state.db, me.organisation_id).await?;
    let status = status_of(&row)?;
    let provider_side = me.role == Role::Admin
        || (matches!(me.role, Role::Lead | Role::Staff)
            && me.department_id == Some(row.provider_department_id));
    let customer_side = me.role == Role::Admin
        || (matches!(me.role, Role::Lead | Role::Staff)
            && me.department_id == Some(row.customer_department_id));
    use RequestStatus::*;
    let mut moves: Vec<&str> = Vec::new();
    if provider_side {
        if matches!(status, Open | Reopened) {
            moves.push("start");
        }
        if matches!(status, Open | InProgress) {
            moves.push("pause");
        }
        if status == WaitingOnCustomer {
            moves.push("resume");
        }
        if status.is_undelivered() {
            moves.push("forecast");
        }
        if status == InProgress {
            moves.push("deliver");
        }
    }
    if customer_side {
        if status == Delivered {
            moves.extend(["accept", "reopen"]);
        }
        if matches!(status, Open | InProgress | WaitingOnCustomer) {
            moves.push("cancel");
        }
        if status.is_finished() && row.rating_score.is_none() {
            moves.push("rating");
        }
    }
    let timeline: Vec<_> = events::of_subject(&state.db, me.organisation_id, Subject::Request(id))
        .await?
        .into_iter()
        .map(|event| json!({
            "kind": event.kind, "at": local(event.at, zone), "recorded_at": local(event.recorded_at, zone),
            "actor": event.actor_user_id, "data": serde_json::from_str::<serde_json::Value>(&event.data).unwrap_or_default(),
        }))
        .collect();
    let inputs: Vec<i64> = dependencies_of(&state.db, &[id])
        .await?
        .into_iter()
        .map(|(_, input)| input)
        .collect();
    let mut page = context(&user, &format!("Request #{id}"), flash);
    page.insert("request", &json!({
        "id": row.id, "title": row.title, "details": row.details, "status": row.status,
        "provider": names.get(&row.provider_department_id), "customer": names.get(&row.customer_department_id),
        "provider_id": row.provider_department_id, "customer_id": row.customer_department_id,
        "agreement_id": row.agreement_id, "requested_at": local(row.requested_at, zone),
        "clock_start": local(row.clock_start, zone), "due_at": local(row.due_at, zone),
        "overdue": status.is_undelivered() && row.due_at < chrono::Utc::now(),
        "expected_at": row.expected_at.map(|at| local(at, zone)),
        "delivered_at": row.delivered_at.map(|at| local(at, zone)),
        "lateness_minutes": row.lateness_minutes, "on_time": row.on_time,
        "rating": row.rating_score, "rating_comment": row.rating_comment, "depends_on": inputs,
    }));
    page.insert("moves", &moves);
    page.insert("timeline", &timeline);
    Ok(RawHtml(state.views.render("pages/request.html", &page)?))
}

#[post("/requests/<id>/act", data = "<form>")]
async fn act(
    state: &State<AppState>,
    session: Session,
    id: i64,
    form: Form<ActionForm>,
) -> PageResult<Redirect> {
    let user = session.require()?;
    let back = format!("/requests/{id}");
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return Err(refused(back, error));
    }
    let zone = organisation_zone(&state.db, user.auth.organisation_id).await?;
    let reason = form.reason.clone().unwrap_or_default();
    let parse = |text: &Option<String>,
                 field: &str|
     -> Result<Option<chrono::DateTime<chrono::Utc>>, crate::error::ApiError> {
        match text.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => local_instant(text, zone, field).map(Some),
        }
    };
    let outcome = async {
        let at = parse(&form.at, "at")?;
        let action = match form.action.as_str() {
            "start" => Action::Start,
            "pause" => Action::Pause { reason },
            "resume" => Action::Resume,
            "forecast" => Action::Forecast {
                expected_at: parse(&form.expected_at, "expected_at")?
                    .ok_or_else(|| crate::error::ApiError::field("expected_at", "is required"))?,
                reason,
            },
            "deliver" => Action::Deliver,
            "accept" => Action::Accept,
            "reopen" => Action::Reopen { reason },
            "cancel" => Action::Cancel { reason },
            "rating" => Action::Rate {
                score: form.score.unwrap_or(0),
                comment: form.comment.clone().unwrap_or_default(),
            },
            _ => {
                return Err(crate::error::ApiError::field(
                    "action",
                    "is not a move a request can make",
                ));
            }
        };
        requests::act(
            &state.db,
            &state.calendars,
            &user.auth,
            id,
            IfMatch(None),
            action,
            at,
        )
        .await
    }
    .await;
    match outcome {
        Ok(_) => Err(done(back, "Saved.")),
        Err(error) => Err(refused(back, error)),
    }
}

/// The agreements `user` may log requests under, as choices.
async fn agreement_choices(state: &AppState, user: &PageUser) -> Result<Vec<Choice>, ApiError> {
    let me = &user.auth;
    let names = department_names(&state.db, me.organisation_id).await?;
    let filter = AgreementFilter {
        customer_department_id: if matches!(me.role, Role::Lead | Role::Staff) {
            me.department_id
        } else {
            None
        },
        status: Some("active".into()),
        ..Default::default()
    };
    let all = PageRequest {
        after_id: 0,
        limit: 200,
    };
    Ok(agreements::list(&state.db, me, all, filter)
        .await?
        .into_iter()
        .map(|row| Choice {
            value: row.id.to_string(),
            label: format!(
                "{} ({} → {})",
                row.title,
                names
                    .get(&row.provider_department_id)
                    .map_or("", String::as_str),
                names
                    .get(&row.customer_department_id)
                    .map_or("", String::as_str)
            ),
        })
        .collect())
}

const FIELDS: [&str; 4] = ["agreement_id", "title", "details", "depends_on"];

async fn request_form(
    state: &AppState,
    user: &PageUser,
    values: &NewRequestForm,
    refusal: Option<&Refusal>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let mut page = context(user, "Log a request", None);
    insert_form(&mut page, &FIELDS, values, refusal);
    page.insert("agreements", &agreement_choices(state, user).await?);
    Ok(html(
        refusal.map_or(Status::Ok, |refusal| refusal.status),
        state.views.render("pages/request_new.html", &page)?,
    ))
}

async fn again(
    state: &AppState,
    user: &PageUser,
    values: &NewRequestForm,
    error: ApiError,
) -> PageResult<FormReply> {
    let refusal = Refusal::of(error, &FIELDS)?;
    Ok(FormReply::Again(
        request_form(state, user, values, Some(&refusal)).await?,
    ))
}

#[get("/requests/new?<agreement>")]
async fn new_form(
    state: &State<AppState>,
    session: Session,
    agreement: Option<i64>,
) -> PageResult<(Status, RawHtml<String>)> {
    let user = session.require()?;
    let values = NewRequestForm {
        agreement_id: agreement.map(|id| id.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    Ok(request_form(state, &user, &values, None).await?)
}

#[post("/requests", data = "<form>")]
async fn create(
    state: &State<AppState>,
    session: Session,
    form: Form<NewRequestForm>,
) -> PageResult<FormReply> {
    let user = session.require()?;
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return again(state, &user, &form, error).await;
    }
    let mut parsed = Parsed::default();
    let agreement_id = parsed.take(parse_choice(
        &form.agreement_id,
        "agreement_id",
        "the agreement it is owed under",
    ));
    let depends_on = parsed.take(parse_ids(&form.depends_on, "depends_on"));
    if let Err(error) = parsed.finish() {
        return again(state, &user, &form, error).await;
    }
    let (Some(agreement_id), Some(depends_on)) = (agreement_id, depends_on) else {
        return Err(ApiError::Internal("a parsed request field is missing".into()).into());
    };
    let input = NewRequest {
        agreement_id,
        title: form.title.clone(),
        details: form.details.clone(),
        requested_at: None,
        depends_on,
    };
    match requests::log(
        &state.db,
        &state.calendars,
        &state.writer,
        state.logging.as_ref(),
        &user.auth,
        input,
        None,
    )
    .await
    {
        Ok(logged) => Ok(FormReply::done(
            format!("/requests/{}", logged.request.id),
            "Request logged.",
        )),
        Err(error) => again(state, &user, &form, error).await,
    }
}
