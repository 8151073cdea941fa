//! The request page (its timeline of every event, and a form for each move
//! the signed-in person may make) and the form to log a new request.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use super::together;
use super::{
    Choice, FormReply, PageForm, PageResult, PageUser, Parsed, Posted, Refusal, Rejected,
    carries_csrf, context, department_names, html, insert_form, insert_forms, local, local_instant,
    parse_choice, parse_ids, people, relative, typed_values,
};
use crate::entities::agreement::AgreementStatus;
use crate::entities::ids::{DepartmentId, RequestId};
use crate::entities::request::ServiceLevel;
use crate::error::ApiError;
use crate::identity::Role;
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::services::agreements::{self, AgreementFilter};
use crate::services::events::{self, Subject};
use crate::services::requests::{self, Action, NewRequest};
use crate::services::{commitments, thanks};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, act, new_form, create]
}

/// A move's form as posted: every input kept as typed (a score that is
/// not a number is the service's message beside the field, not Rocket's
/// error page).
#[derive(FromForm, Serialize)]
struct ActionForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    action: String,
    #[field(default = "")]
    reason: String,
    #[field(default = "")]
    expected_at: String,
    #[field(default = "")]
    at: String,
    #[field(default = "")]
    score: String,
    #[field(default = "")]
    comment: String,
}

carries_csrf!(ActionForm);

/// The inputs of each move's form; a refusal naming any other field (the
/// declared `at`, say) is shown in the form's summary.
fn move_fields(name: &str) -> &'static [&'static str] {
    match name {
        "forecast" => &["expected_at", "reason"],
        "pause" | "reopen" | "cancel" => &["reason"],
        "rating" => &["score", "comment"],
        _ => &[],
    }
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

carries_csrf!(NewRequestForm);

#[get("/requests/<id>")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    id: RequestId,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(request_page(state, &user, id, flash, None).await?)
}

/// The endangered promises a request page names.
const ENDANGERED_SHOWN: usize = 10;

/// Why a delivery is at its level, in a few words.
fn level_why(level: ServiceLevel) -> &'static str {
    match level {
        ServiceLevel::Missed => "late, or rated 4 or lower",
        ServiceLevel::Satisfied => "delivered on time",
        ServiceLevel::Exceeded => "on time, in at most half the agreed time",
        ServiceLevel::Delighted => "on time and rated 9 or 10",
        ServiceLevel::Amazed => "on time, rated 10 and thanked for",
    }
}

/// The request page, with `rejected` (a refused move or comment) shown in
/// its form.
pub(super) async fn request_page(
    state: &AppState,
    user: &PageUser,
    id: RequestId,
    flash: Option<FlashMessage<'_>>,
    rejected: Option<&Rejected>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let row = requests::get(state.db(), me, id).await?;
    let zone = user.zone;
    let names = department_names(state, user).await?;
    let status = row.status;
    // The moves of the one state machine; the page names rating's form "rating".
    let moves: Vec<&str> = requests::offered_moves(me, &row)?
        .into_iter()
        .map(|name| if name == "rate" { "rating" } else { name })
        .collect();
    let history = events::of_subject(state.db(), me.organisation_id, Subject::Request(id)).await?;
    let said = together::conversation_of(state, &row).await?;
    let given = thanks::of_request(state.db(), &row).await?;
    // Everyone the page names, from the directory this process keeps.
    let people = people(state, user).await?;
    let timeline: Vec<_> = history
        .into_iter()
        .map(|event| json!({
            "kind": event.kind, "at": local(event.at, zone), "recorded_at": local(event.recorded_at, zone),
            "actor": event.actor_user_id.map(|actor| people.name_or_number(actor)),
            "data": serde_json::from_str::<serde_json::Value>(&event.data).unwrap_or_default(),
        }))
        .collect();
    let together = together::of(me, &row, &said, &people, zone);
    let view = requests::view(state.db(), &state.calendars, row).await?;
    let neighbours = requests::neighbours::of(state.db(), me, id, &view.depends_on).await?;
    let name = |id: DepartmentId| names.get(&id).cloned().unwrap_or_default();
    let line = |n: &requests::neighbours::Neighbour| {
        json!({
            "id": n.id, "title": n.title, "readable": n.readable, "status": n.status,
            "provider": name(n.provider_department_id), "customer": name(n.customer_department_id),
            "due_at": local(n.due_at, zone), "delivered": !n.status.is_undelivered(),
        })
    };
    let inputs: Vec<_> = neighbours.inputs.iter().map(line).collect();
    let dependents: Vec<_> = neighbours.dependents.iter().map(line).collect();
    // A hub can endanger thousands of promises: the page names the first
    // few and says how many, so that it costs what it shows.
    let shown_ids: Vec<_> = view
        .endangered_commitment_ids
        .iter()
        .copied()
        .take(ENDANGERED_SHOWN)
        .collect();
    let endangers: Vec<_> = commitments::many(state.db(), me, &shown_ids)
        .await?
        .into_iter()
        .map(|c| {
            json!({"id": c.id, "title": c.title, "customer": c.customer_name,
                         "promised_at": local(c.promised_at, zone)})
        })
        .collect();
    let row = &view.row;
    let forms: Vec<PageForm> = moves
        .iter()
        .map(|name| PageForm::new(*name, move_fields(name), rejected))
        .collect();
    let comment_form = [PageForm::new("comment", &["body"], rejected)];
    let assign_form = [PageForm::new("assign", &["assignee_user_id"], rejected)];
    let thank_form = [PageForm::new("thank", &["note"], rejected)];
    let mut page = context(user, &format!("Request #{id}"), flash);
    page.insert("request", &json!({
        "id": row.id, "title": row.title, "details": row.details, "status": row.status,
        "provider": names.get(&row.provider_department_id), "customer": names.get(&row.customer_department_id),
        "provider_id": row.provider_department_id, "customer_id": row.customer_department_id,
        "agreement_id": row.agreement_id, "requested_at": local(row.requested_at, zone),
        "clock_start": local(row.clock_start, zone), "due_at": local(row.due_at, zone),
        "due_in": relative(row.due_at, chrono::Utc::now()),
        // Why the clock started when it did: waiting for inputs, then for
        // the provider's working hours.
        "waited_for_inputs": (row.ready_at > row.requested_at).then(|| local(row.ready_at, zone)),
        "waited_for_hours": row.clock_start > row.ready_at,
        "overdue": status.is_undelivered() && row.due_at < chrono::Utc::now(),
        "expected_at": row.expected_at.map(|at| local(at, zone)),
        "delivered_at": row.delivered_at.map(|at| local(at, zone)),
        "lateness_minutes": row.lateness_minutes, "on_time": row.on_time,
        "rating": row.rating_score, "rating_comment": row.rating_comment, "depends_on": view.depends_on,
        "projected_finish": view.projected_finish.map(|at| local(at, zone)),
        "projected_late": view.projected_finish.is_some_and(|at| at > row.due_at),
        "endangers": endangers,
    }));
    let agreement = agreements::get(state.db(), me, row.agreement_id).await?;
    let thanks_lines: Vec<_> = given
        .iter()
        .map(|t| json!({"who": people.name(t.user_id), "note": t.note, "at": local(t.created_at, zone)}))
        .collect();
    page.insert("thanks", &thanks_lines);
    page.insert(
        "may_thank",
        &(thanks::may_thank(me, row) && given.iter().all(|t| t.user_id != me.id)),
    );
    if let Some(level) = row.service_level {
        page.insert("level", level.as_str());
        page.insert("level_why", level_why(level));
    }
    page.insert("agreement_title", &agreement.title);
    page.insert("endangers_total", &view.endangered_commitment_ids.len());
    page.insert("inputs", &inputs);
    page.insert("dependents", &dependents);
    page.insert("dependents_total", &neighbours.dependents_total);
    let counted = requests::neighbours::DEPENDENTS_COUNTED;
    page.insert(
        "dependents_said",
        &if neighbours.dependents_total > counted {
            format!("more than {}", crate::views::grouped(counted))
        } else {
            neighbours.dependents_total.to_string()
        },
    );
    insert_forms(
        &mut page,
        &[
            ("moves", &forms),
            ("comment_form", &comment_form),
            ("assign_form", &assign_form),
            ("thank_form", &thank_form),
        ],
        rejected,
    );
    together.insert_into(&mut page);
    page.insert("timeline", &timeline);
    page.insert(
        "files",
        &super::files::file_list(state, user, row, zone).await?,
    );
    page.insert(
        "file_max",
        &crate::error::byte_size(state.config.attachment_max_bytes),
    );
    Ok(html(
        Rejected::status(rejected),
        state.views.render("pages/request.html", &page)?,
    ))
}

/// A move posted from the request page: on success back to the page with
/// "Saved."; when refused, the page again with the reason in that move's
/// form, next to the field concerned, and what was typed kept.
#[post("/requests/<id>/act", data = "<posted>")]
async fn act(
    state: &State<AppState>,
    id: RequestId,
    posted: Posted<ActionForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let outcome = match genuine {
        Ok(()) => make_move(state, &user, id, &form).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => Ok(FormReply::done(format!("/requests/{id}"), "Saved.")),
        Err(error) => {
            let rejected = Rejected::new(
                form.action.clone(),
                typed_values(&form),
                error,
                move_fields(&form.action),
            )?;
            Ok(FormReply::Again(
                request_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}

/// Reads the move's inputs (every unreadable one reported at once) and
/// makes it through the service, as the API would.
async fn make_move(
    state: &AppState,
    user: &PageUser,
    id: RequestId,
    form: &ActionForm,
) -> Result<(), ApiError> {
    let zone = user.zone;
    let optional_instant = |text: &str, field: &str| match text.trim() {
        "" => Ok(None),
        text => local_instant(text, zone, field).map(Some),
    };
    let mut parsed = Parsed::default();
    let at = parsed.take(optional_instant(&form.at, "at")).flatten();
    let reason = form.reason.clone();
    let action = match form.action.as_str() {
        "start" => Some(Action::Start),
        "pause" => Some(Action::Pause { reason }),
        "resume" => Some(Action::Resume),
        "forecast" => {
            let expected_at = match form.expected_at.trim() {
                "" => Err(ApiError::field(
                    "expected_at",
                    "say when you now expect to deliver",
                )),
                text => local_instant(text, zone, "expected_at"),
            };
            parsed
                .take(expected_at)
                .map(|expected_at| Action::Forecast {
                    expected_at,
                    reason,
                })
        }
        "deliver" => Some(Action::Deliver),
        "accept" => Some(Action::Accept),
        "reopen" => Some(Action::Reopen { reason }),
        "cancel" => Some(Action::Cancel { reason }),
        "rating" => {
            let score = match form.score.trim() {
                "" => Err(ApiError::field("score", "give a score from 1 to 10")),
                text => text
                    .parse()
                    .map_err(|_| ApiError::field("score", "must be a whole number from 1 to 10")),
            };
            parsed.take(score).map(|score| Action::Rate {
                score,
                comment: form.comment.clone(),
            })
        }
        _ => parsed.take(Err(ApiError::field(
            "action",
            "is not a move a request can make",
        ))),
    };
    parsed.finish()?;
    let action = action.ok_or_else(|| ApiError::Internal("a parsed move is missing".into()))?;
    requests::act(
        &state.context(user.auth.clone()),
        id,
        ExpectedVersion(None),
        action,
        at,
    )
    .await
    .map(|_| ())
}

/// The agreements `user` may log requests under, as choices.
async fn agreement_choices(state: &AppState, user: &PageUser) -> Result<Vec<Choice>, ApiError> {
    let me = &user.auth;
    let names = department_names(state, user).await?;
    let filter = AgreementFilter {
        customer_department_id: if matches!(me.role, Role::Lead | Role::Staff) {
            me.department_id
        } else {
            None
        },
        status: Some(AgreementStatus::Active),
        ..Default::default()
    };
    let all = PageRequest {
        after_id: 0,
        limit: 200,
    };
    Ok(agreements::list(state.db(), me, all, filter)
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
    user: PageUser,
    agreement: Option<i64>,
) -> PageResult<(Status, RawHtml<String>)> {
    let values = NewRequestForm {
        agreement_id: agreement.map(|id| id.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    Ok(request_form(state, &user, &values, None).await?)
}

#[post("/requests", data = "<posted>")]
async fn create(state: &State<AppState>, posted: Posted<NewRequestForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    if let Err(error) = genuine {
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
    match requests::log(&state.context(user.auth.clone()), input, None).await {
        Ok(logged) => Ok(FormReply::done(
            format!("/requests/{}", logged.request.id),
            "Request logged.",
        )),
        Err(error) => again(state, &user, &form, error).await,
    }
}
