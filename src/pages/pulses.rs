//! Pulse checks in the browser: the pulses a person may read, newest first,
//! each with its answers by department (names only where the service shows
//! them), the form to answer for the customer's people while it is open,
//! and the form to answer back for the provider's lead. A refused form
//! comes back with its reason beside it and what was typed kept.

use std::collections::HashMap;

use chrono::Utc;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    FormReply, PageResult, PageUser, Posted, Refusal, carries_csrf, context, department_names,
    html, local,
};
use crate::error::ApiError;
use crate::pagination::NewestFirst;
use crate::services::{agreements, contacts, pulses, users};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![list, answer, respond, call]
}

/// The pulses the page shows.
const SHOWN: u64 = 30;

#[derive(FromForm, Serialize)]
struct AnswerForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    score: String,
    #[field(default = "")]
    one_thing: String,
}

#[derive(FromForm, Serialize)]
struct ResponseForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    response: String,
    /// Optional: make it an action item owned by whoever answers back.
    #[field(default = "")]
    action_title: String,
    #[field(default = "")]
    action_due_on: String,
}

#[derive(FromForm, Serialize)]
struct CallForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    customer_department_id: String,
    #[field(default = "")]
    note: String,
    /// `call` or `skip`: which button was pressed.
    #[field(default = "")]
    action: String,
}

carries_csrf!(AnswerForm, ResponseForm, CallForm);

/// A refused form of one pulse: which, what was typed, and why.
struct Refused {
    /// The pulse whose form it was; 0 for the daily call's form.
    pulse: i64,
    typed: Value,
    refusal: Refusal,
}

#[get("/pulses")]
async fn list(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(page(state, &user, flash, None).await?)
}

async fn page(
    state: &AppState,
    user: &PageUser,
    flash: Option<FlashMessage<'_>>,
    refused: Option<Refused>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let now = Utc::now();
    let zone = user.zone;
    let names = department_names(state, user).await?;
    let seen = pulses::list(
        state.db(),
        me,
        NewestFirst {
            before_id: i64::MAX,
            limit: SHOWN,
        },
        None,
        None,
        now,
    )
    .await?;
    let answerers: Vec<crate::entities::ids::UserId> = seen
        .iter()
        .flat_map(|p| p.answers.iter().filter_map(|a| a.user_id))
        .collect();
    let people = users::names(state.db(), me.organisation_id, answerers.into_iter()).await?;
    let mut titles: HashMap<i64, String> = HashMap::new();
    for pulse in &seen {
        let id = pulse.row.agreement_id;
        if let std::collections::hash_map::Entry::Vacant(slot) = titles.entry(id.0) {
            slot.insert(agreements::get(state.db(), me, id).await?.title);
        }
    }
    let status = refused
        .as_ref()
        .map_or(Status::Ok, |refused| refused.refusal.status);
    let lines: Vec<Value> = seen
        .iter()
        .take(SHOWN as usize)
        .map(|p| {
            let row = &p.row;
            let form = refused.as_ref().filter(|r| r.pulse == row.id).map(|r| {
                json!({"typed": r.typed, "summary": r.refusal.summary, "errors": r.refusal.errors})
            });
            json!({
                "id": row.id, "period": row.period,
                "agreement_id": row.agreement_id, "agreement": titles.get(&row.agreement_id.0),
                "provider": names.get(&row.provider_department_id), "customer": names.get(&row.customer_department_id),
                "opened_at": local(row.opened_at, zone), "closes_at": local(row.closes_at, zone),
                "open": p.is_open(now), "average": p.average(), "count": p.answers.len(),
                "answers": p.answers.iter().map(|a| json!({
                    "score": a.score, "one_thing": a.one_thing, "mine": a.mine,
                    "who": a.user_id.and_then(|id| people.get(&id)),
                })).collect::<Vec<_>>(),
                "response": row.response, "responded_at": row.responded_at.map(|at| local(at, zone)),
                "action_item": row.action_item_id,
                "may_answer": p.may_answer, "may_respond": p.may_respond,
                "form": form,
            })
        })
        .collect();
    let mut page = context(user, "Pulse checks", flash);
    page.insert("pulses", &lines);
    // A lead's daily call to one of the department's customers.
    if let (crate::identity::Role::Lead, Some(own)) = (me.role, me.department_id) {
        let plan = contacts::plan(state.db(), &state.calendars, me, own, now).await?;
        let call_refused = refused.as_ref().filter(|r| r.pulse == 0).map(
            |r| json!({"typed": r.typed, "summary": r.refusal.summary, "errors": r.refusal.errors}),
        );
        page.insert(
            "plan",
            &json!({
                "day": plan.day.to_string(), "working_day": plan.working_day,
                "suggestion": plan.suggestion.as_ref().map(|s| json!({
                    "id": s.customer_department_id.to_string(), "name": names.get(&s.customer_department_id),
                    "reason": s.reason,
                })),
                "today": plan.today.as_ref().map(|t| json!({
                    "outcome": t.outcome.as_str(), "note": t.note,
                    "customer": t.customer_department_id.and_then(|id| names.get(&id)),
                })),
                "contacted": plan.contacted, "skipped": plan.skipped,
                "form": call_refused,
            }),
        );
        let mut customers: Vec<Value> = agreements::customers_of(state.db(), me, own)
            .await?
            .into_iter()
            .map(|id| json!({"value": id.to_string(), "label": names.get(&id)}))
            .collect();
        customers.sort_by(|a, b| a["label"].as_str().cmp(&b["label"].as_str()));
        page.insert("customers", &customers);
    }
    page.insert("scores", &(1..=10).rev().collect::<Vec<i32>>());
    Ok(html(
        status,
        state.views.render("pages/pulses.html", &page)?,
    ))
}

#[post("/pulses/<id>/answers", data = "<posted>")]
async fn answer(
    state: &State<AppState>,
    id: i64,
    posted: Posted<AnswerForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let score = form
        .score
        .trim()
        .parse::<i64>()
        .map_err(|_| ApiError::field("score", "choose a score from 1 to 10"));
    let outcome = match (genuine, score) {
        (Ok(()), Ok(score)) => pulses::answer(
            state.db(),
            &user.auth,
            id,
            score,
            &form.one_thing,
            Utc::now(),
        )
        .await
        .map(|_| ()),
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    Ok(match outcome {
        Ok(()) => FormReply::done("/pulses".into(), "Thank you: your answer is recorded."),
        Err(error) => {
            let refusal = Refusal::of(error, &["score", "one_thing"])?;
            let typed = json!({"score": form.score, "one_thing": form.one_thing});
            FormReply::Again(
                page(
                    state,
                    &user,
                    None,
                    Some(Refused {
                        pulse: id,
                        typed,
                        refusal,
                    }),
                )
                .await?,
            )
        }
    })
}

#[post("/pulses/<id>/response", data = "<posted>")]
async fn respond(
    state: &State<AppState>,
    id: i64,
    posted: Posted<ResponseForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let outcome = match genuine {
        Ok(()) => match action_of(&form, &user.auth) {
            Ok(action) => pulses::respond(
                state.db(),
                &user.auth,
                id,
                &form.response,
                action,
                Utc::now(),
            )
            .await
            .map(|_| ()),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    Ok(match outcome {
        Ok(()) => FormReply::done(
            "/pulses".into(),
            "Answered: the customer department hears what you will do.",
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &["response", "title", "due_on"])?;
            let typed = json!({"response": form.response, "action_title": form.action_title,
                               "action_due_on": form.action_due_on});
            FormReply::Again(
                page(
                    state,
                    &user,
                    None,
                    Some(Refused {
                        pulse: id,
                        typed,
                        refusal,
                    }),
                )
                .await?,
            )
        }
    })
}

/// Records the lead's call of the day, or that the day is skipped.
#[post("/contacts", data = "<posted>")]
async fn call(state: &State<AppState>, posted: Posted<CallForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let me = &user.auth;
    let skip = form.action == "skip";
    let customer = if skip {
        Ok(None)
    } else {
        form.customer_department_id
            .trim()
            .parse::<i64>()
            .map(|id| Some(crate::entities::ids::DepartmentId(id)))
            .map_err(|_| ApiError::field("customer_department_id", "choose whom you called"))
    };
    let outcome = match (genuine, customer, me.department_id) {
        (Ok(()), Ok(customer), Some(own)) => contacts::record(
            state.db(),
            &state.calendars,
            me,
            own,
            customer,
            &form.note,
            Utc::now(),
        )
        .await
        .map(|_| ()),
        (_, _, None) => Err(ApiError::Forbidden(
            "the daily call is a department lead's".into(),
        )),
        (Err(error), _, _) | (_, Err(error), _) => Err(error),
    };
    Ok(match outcome {
        Ok(()) => FormReply::done(
            "/pulses#call".into(),
            if skip {
                "Today is skipped."
            } else {
                "Call recorded."
            },
        ),
        Err(error) => {
            let refusal = Refusal::of(error, &["customer_department_id", "note"])?;
            let typed =
                json!({"customer_department_id": form.customer_department_id, "note": form.note});
            FormReply::Again(
                page(
                    state,
                    &user,
                    None,
                    Some(Refused {
                        pulse: 0,
                        typed,
                        refusal,
                    }),
                )
                .await?,
            )
        }
    })
}

/// The action item an answer back asks for, owned by whoever answers: none
/// when its title is left empty.
fn action_of(
    form: &ResponseForm,
    actor: &crate::identity::AuthUser,
) -> Result<Option<crate::services::reviews::NewAction>, ApiError> {
    let title = form.action_title.trim();
    if title.is_empty() {
        return Ok(None);
    }
    let due_on = chrono::NaiveDate::parse_from_str(form.action_due_on.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::field("due_on", "choose the day it is due"))?;
    Ok(Some(crate::services::reviews::NewAction {
        title: title.to_owned(),
        owner_user_id: actor.id,
        due_on,
    }))
}
