//! The commitment page: when it will really land, whether the promise
//! holds, the chain of handoffs that decides it (drawn), and the
//! departments whose slip caused it; and the form to record a new
//! commitment to an outside customer.

use std::collections::HashSet;

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use super::graph::{Node, draw};
use super::{
    FormReply, PageForm, PageResult, PageUser, Parsed, Posted, Refusal, Rejected, carries_csrf,
    context, department_choices, department_names, html, insert_form, insert_forms, local,
    local_instant, parse_choice, parse_ids, parse_turnaround_fields, typed_values, unit_choices,
};
use crate::entities::commitment::CommitmentStatus;
use crate::entities::ids::{CommitmentId, DepartmentId};
use crate::error::ApiError;
use crate::identity::Role;
use crate::services::ExpectedVersion;
use crate::services::commitments::{Closing, CommitmentView, NewCommitment};
use crate::services::{commitments, projection, requests};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, close, new_form, create]
}

/// Closing a commitment from its page: `fulfil` (the customer got it) or
/// `cancel` (with a reason).
#[derive(FromForm, Serialize)]
struct CloseForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[serde(skip)]
    #[field(default = "")]
    action: String,
    #[field(default = "")]
    reason: String,
}

carries_csrf!(CloseForm);

/// The inputs of each closing form.
fn close_fields(name: &str) -> &'static [&'static str] {
    match name {
        "cancel" => &["reason"],
        _ => &[],
    }
}

#[get("/commitments/<id>")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    id: CommitmentId,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(commitment_page(state, &user, id, flash, None).await?)
}

/// The commitment page, with `rejected` (a refused closing) in its form.
async fn commitment_page(
    state: &AppState,
    user: &PageUser,
    id: CommitmentId,
    flash: Option<FlashMessage<'_>>,
    rejected: Option<&Rejected>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let zone = user.zone;
    let names = department_names(state, user).await?;
    let commitment =
        commitments::projection_view(&state.context(me.clone()), id, chrono::Utc::now()).await?;
    let nodes: Vec<Node> = commitments::chain(state.db(), me, &commitment)
        .await?
        .into_iter()
        .map(|link| Node {
            id: link.request.id.0,
            title: link.request.title.clone(),
            readable: requests::can_read(me, &link.request),
            label: format!(
                "{} → {}",
                names
                    .get(&link.request.provider_department_id)
                    .cloned()
                    .unwrap_or_default(),
                names
                    .get(&link.request.customer_department_id)
                    .cloned()
                    .unwrap_or_default()
            ),
            inputs: link.inputs.into_iter().map(i64::from).collect(),
        })
        .collect();
    let CommitmentView {
        row,
        projection: view,
        ..
    } = commitment;
    let feeds: Vec<i64> = commitments::dependencies(state.db(), id)
        .await?
        .into_iter()
        .map(i64::from)
        .collect();
    let causes: HashSet<i64> = view
        .root_causes
        .iter()
        .map(|cause| cause.request_id)
        .collect();
    let svg = draw(&nodes, &feeds, &view.critical_path, &causes, &row.title);
    let titles: std::collections::HashMap<i64, (&str, bool)> = nodes
        .iter()
        .map(|node| (node.id, (node.title.as_str(), node.readable)))
        .collect();
    let root_causes: Vec<_> = view
        .root_causes
        .iter()
        .map(|cause| json!({
            "request_id": cause.request_id, "department": names.get(&DepartmentId(cause.department_id)),
            "title": titles.get(&cause.request_id).map(|known| known.0),
            "readable": titles.get(&cause.request_id).is_some_and(|known| known.1),
            "kind": serde_json::to_value(cause.kind).unwrap_or_default(), "minutes": cause.minutes,
        }))
        .collect();
    let closers: Vec<PageForm> = if row.status == CommitmentStatus::Open
        && commitments::may_write(me, row.owner_department_id)
    {
        ["fulfil", "cancel"]
            .into_iter()
            .map(|name| PageForm::new(name, close_fields(name), rejected))
            .collect()
    } else {
        Vec::new()
    };
    let mut page = context(
        user,
        &format!("{} — {}", row.customer_name, row.title),
        flash,
    );
    insert_forms(&mut page, &[("closers", &closers)], rejected);
    page.insert("commitment", &json!({
        "id": row.id, "customer": row.customer_name, "title": row.title, "status": row.status,
        "owner": names.get(&row.owner_department_id), "owner_id": row.owner_department_id, "promised_at": local(row.promised_at, zone),
        "projected_at": local(view.projected_at, zone), "baseline_at": local(view.baseline_at, zone),
        "slip_minutes": view.slip_minutes, "slack_minutes": view.slack_minutes,
        "fulfilled_at": row.fulfilled_at.map(|at| local(at, zone)),
        "fulfilled_late": row.fulfilled_at.map(|at| at > row.promised_at),
        "cancel_reason": row.cancel_reason,
        "risk": projection::risk_name(view.risk), "critical_path": view.critical_path,
    }));
    page.insert("root_causes", &root_causes);
    page.insert("graph", &svg);
    Ok(html(
        Rejected::status(rejected),
        state.views.render("pages/commitment.html", &page)?,
    ))
}

#[post("/commitments/<id>/close", data = "<posted>")]
async fn close(
    state: &State<AppState>,
    id: CommitmentId,
    posted: Posted<CloseForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let closing = match form.action.as_str() {
        "fulfil" => Ok(Closing::Fulfil { at: None }),
        "cancel" => Ok(Closing::Cancel {
            reason: form.reason.clone(),
        }),
        _ => Err(ApiError::field("action", "must be fulfil or cancel")),
    };
    let outcome = match (genuine, closing) {
        (Err(error), _) | (_, Err(error)) => Err(error),
        (Ok(()), Ok(closing)) => {
            commitments::close(
                &state.context(user.auth.clone()),
                id,
                ExpectedVersion(None),
                closing,
            )
            .await
        }
    };
    match outcome {
        Ok(row) => Ok(FormReply::done(
            format!("/commitments/{id}"),
            if row.status == CommitmentStatus::Fulfilled {
                "Marked fulfilled."
            } else {
                "Cancelled."
            },
        )),
        Err(error) => {
            let rejected = Rejected::new(
                form.action.clone(),
                typed_values(&form),
                error,
                close_fields(&form.action),
            )?;
            Ok(FormReply::Again(
                commitment_page(state, &user, id, None, Some(&rejected)).await?,
            ))
        }
    }
}

/// The inputs of the new-commitment form, kept as typed.
#[derive(FromForm, Serialize, Default)]
struct NewCommitmentForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    customer_name: String,
    #[field(default = "")]
    title: String,
    /// `datetime-local`, in the organisation's time zone.
    #[field(default = "")]
    promised_at: String,
    #[field(default = "")]
    owner_department_id: String,
    #[field(default = "")]
    lead_time_amount: String,
    #[field(default = "")]
    lead_time_unit: String,
    #[field(default = "")]
    depends_on: String,
}

carries_csrf!(NewCommitmentForm);

const FIELDS: [&str; 7] = [
    "customer_name",
    "title",
    "promised_at",
    "owner_department_id",
    "lead_time_amount",
    "lead_time_unit",
    "depends_on",
];

async fn commitment_form(
    state: &AppState,
    user: &PageUser,
    values: &NewCommitmentForm,
    refusal: Option<&Refusal>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let names = department_names(state, user).await?;
    let zone = user.zone;
    // Leads and staff record commitments their own department owns.
    let owners = match (me.role, me.department_id) {
        (Role::Lead | Role::Staff, Some(own)) => department_choices(&names, Some(&[own])),
        _ => department_choices(&names, None),
    };
    let mut page = context(user, "New commitment", None);
    insert_form(&mut page, &FIELDS, values, refusal);
    page.insert("owners", &owners);
    page.insert("units", &unit_choices());
    page.insert("zone", &zone.name());
    Ok(html(
        refusal.map_or(Status::Ok, |refusal| refusal.status),
        state.views.render("pages/commitment_new.html", &page)?,
    ))
}

async fn again(
    state: &AppState,
    user: &PageUser,
    values: &NewCommitmentForm,
    error: ApiError,
) -> PageResult<FormReply> {
    let refusal = Refusal::of(error, &FIELDS)?;
    Ok(FormReply::Again(
        commitment_form(state, user, values, Some(&refusal)).await?,
    ))
}

#[get("/commitments/new?<owner>&<depends_on>")]
async fn new_form(
    state: &State<AppState>,
    user: PageUser,
    owner: Option<DepartmentId>,
    depends_on: Option<&str>,
) -> PageResult<(Status, RawHtml<String>)> {
    let values = NewCommitmentForm {
        owner_department_id: owner
            .or(user.auth.department_id)
            .map(|id| id.to_string())
            .unwrap_or_default(),
        lead_time_unit: "business_hours".into(),
        depends_on: depends_on.unwrap_or_default().to_owned(),
        ..Default::default()
    };
    Ok(commitment_form(state, &user, &values, None).await?)
}

#[post("/commitments", data = "<posted>")]
async fn create(
    state: &State<AppState>,
    posted: Posted<NewCommitmentForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    if let Err(error) = genuine {
        return again(state, &user, &form, error).await;
    }
    let zone = user.zone;
    let mut parsed = Parsed::default();
    let promised_at = parsed.take(match form.promised_at.trim() {
        "" => Err(ApiError::field("promised_at", "is required")),
        text => local_instant(text, zone, "promised_at"),
    });
    let owner = parsed.take(parse_choice(
        &form.owner_department_id,
        "owner_department_id",
        "the department that owns the promise",
    ));
    // No lead time typed means none: the owner hands over as soon as the
    // last internal handoff arrives.
    let lead_time = parsed.take(match form.lead_time_amount.trim() {
        "" => Ok(None),
        amount => parse_turnaround_fields(
            amount,
            &form.lead_time_unit,
            "lead_time_amount",
            "lead_time_unit",
        )
        .map(Some),
    });
    let depends_on = parsed.take(parse_ids(&form.depends_on, "depends_on"));
    if let Err(error) = parsed.finish() {
        return again(state, &user, &form, error).await;
    }
    let (Some(promised_at), Some(owner), Some(lead_time), Some(depends_on)) =
        (promised_at, owner, lead_time, depends_on)
    else {
        return Err(ApiError::Internal("a parsed commitment field is missing".into()).into());
    };
    let input = NewCommitment {
        customer_name: form.customer_name.clone(),
        title: form.title.clone(),
        promised_at,
        owner_department_id: owner,
        lead_time,
        depends_on,
    };
    match commitments::create(&state.context(user.auth.clone()), input).await {
        Ok(row) => Ok(FormReply::done(
            format!("/commitments/{}", row.id),
            "Commitment recorded. Baton now projects when it will really land.",
        )),
        Err(error) => again(state, &user, &form, error).await,
    }
}
