//! The agreement page: its terms, on-time figures, vague-wording warnings,
//! promise calibration for a proposed turnaround, and the lifecycle moves
//! the signed-in lead may make; and the form to draft a new agreement,
//! which can check a turnaround against the provider's past deliveries
//! before anything is saved.

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
    department_choices, department_names, done, html, insert_form, parse_choice, parse_number,
    parse_turnaround_fields, refused, unit_choices,
};
use crate::auth::Role;
use crate::error::ApiError;
use crate::http::IfMatch;
use crate::routes::parse_turnaround;
use crate::services::agreements::{
    self, Calibration, NewAgreement, calibrate_for_provider, leads, vague_phrase_warnings,
};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, lifecycle, new_form, create]
}

#[derive(FromForm)]
struct LifecycleForm {
    _csrf: String,
    action: String,
    reason: Option<String>,
}

#[get("/agreements/<id>?<amount>&<unit>")]
async fn show(
    state: &State<AppState>,
    session: Session,
    id: i64,
    amount: Option<&str>,
    unit: Option<&str>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let user = session.require()?;
    let me = &user.auth;
    let row = agreements::get(&state.db, me, id).await?;
    let names = department_names(&state.db, me.organisation_id).await?;
    let figures = agreements::on_time_figures(&state.db, me.organisation_id, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let turnaround = agreements::turnaround_of(&row.turnaround_unit, row.turnaround_quantity)?;
    let mut page = context(&user, &row.title, flash);
    if amount.is_some() || unit.is_some() {
        match parse_turnaround(amount, unit) {
            Ok(proposed) => {
                let calibration =
                    agreements::calibrate(&state.db, &state.calendars, me, id, proposed).await?;
                page.insert("calibration", &calibration);
                page.insert("proposed", &agreements::describe(proposed));
            }
            Err(error) => page.insert("calibration_error", &error.problem().errors),
        }
    }
    page.insert(
        "calibrate",
        &json!({
            "amount": amount.map_or_else(|| turnaround.amount().to_string(), str::to_owned),
            "unit": unit.map_or_else(|| agreements::unit_name(turnaround.unit()), str::to_owned),
        }),
    );
    page.insert("units", &unit_choices());
    let mut moves = Vec::new();
    if leads(me, row.provider_department_id) {
        match row.status.as_str() {
            "draft" => moves.push("propose"),
            "active" => moves.push("retire"),
            _ => {}
        }
    }
    if leads(me, row.customer_department_id)
        && (row.status == "proposed" || row.pending_turnaround_unit.is_some())
    {
        moves.extend(["accept", "decline"]);
    }
    page.insert("agreement", &json!({
        "id": row.id, "title": row.title, "deliverable": row.deliverable, "definition_of_done": row.definition_of_done,
        "provider": names.get(&row.provider_department_id), "customer": names.get(&row.customer_department_id),
        "provider_id": row.provider_department_id, "customer_id": row.customer_department_id,
        "turnaround": agreements::describe(turnaround), "target": row.on_time_target_pct, "status": row.status,
        "terms_version": row.terms_version, "review_every_weeks": row.review_every_weeks,
        "decline_reason": row.decline_reason, "pending": row.pending_turnaround_unit.is_some(),
    }));
    page.insert("figures", &figures);
    page.insert("warnings", &agreements::warnings(&row));
    page.insert("moves", &moves);
    Ok(RawHtml(state.views.render("pages/agreement.html", &page)?))
}

#[post("/agreements/<id>/lifecycle", data = "<form>")]
async fn lifecycle(
    state: &State<AppState>,
    session: Session,
    id: i64,
    form: Form<LifecycleForm>,
) -> PageResult<Redirect> {
    let user = session.require()?;
    let back = format!("/agreements/{id}");
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return Err(refused(back, error));
    }
    let me = &user.auth;
    let db = &state.db;
    let outcome = match form.action.as_str() {
        "propose" => agreements::propose(db, me, id, IfMatch(None)).await,
        "accept" => agreements::accept(db, me, id, IfMatch(None)).await,
        "decline" => {
            agreements::decline(
                db,
                me,
                id,
                IfMatch(None),
                form.reason.as_deref().unwrap_or(""),
            )
            .await
        }
        "retire" => agreements::retire(db, me, id, IfMatch(None)).await,
        _ => Err(crate::error::ApiError::field(
            "action",
            "is not an agreement move",
        )),
    };
    match outcome {
        Ok(_) => Err(done(back, "Saved.")),
        Err(error) => Err(refused(back, error)),
    }
}

/// The inputs of the new-agreement form, kept as typed so a refused form
/// comes back as it was.
#[derive(FromForm, Serialize, Default)]
struct NewAgreementForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    /// `check` shows the calibration of the turnaround; `save` drafts.
    #[serde(skip)]
    #[field(default = "save")]
    intent: String,
    #[field(default = "")]
    provider_department_id: String,
    #[field(default = "")]
    customer_department_id: String,
    #[field(default = "")]
    title: String,
    #[field(default = "")]
    deliverable: String,
    #[field(default = "")]
    definition_of_done: String,
    #[field(default = "")]
    amount: String,
    #[field(default = "")]
    unit: String,
    #[field(default = "")]
    on_time_target_pct: String,
    #[field(default = "")]
    review_every_weeks: String,
}

const FIELDS: [&str; 9] = [
    "provider_department_id",
    "customer_department_id",
    "title",
    "deliverable",
    "definition_of_done",
    "amount",
    "unit",
    "on_time_target_pct",
    "review_every_weeks",
];

/// What "Check this turnaround" found, shown beside the form.
#[derive(Serialize)]
struct Checked {
    calibration: Calibration,
    proposed: String,
    provider: String,
    warnings: Vec<String>,
}

/// The departments `user` may draft agreements for: an admin any, a lead
/// their own, anyone else none (the service decides; this only spares
/// people a form they cannot use).
fn provider_choices(
    user: &PageUser,
    names: &std::collections::HashMap<i64, String>,
) -> Vec<Choice> {
    let me = &user.auth;
    match (me.role, me.department_id) {
        (Role::Admin, _) => department_choices(names, None),
        (Role::Lead, Some(own)) => department_choices(names, Some(&[own])),
        _ => Vec::new(),
    }
}

async fn agreement_form(
    state: &AppState,
    user: &PageUser,
    values: &NewAgreementForm,
    refusal: Option<&Refusal>,
    checked: Option<&Checked>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let names = department_names(&state.db, user.auth.organisation_id).await?;
    let providers = provider_choices(user, &names);
    let mut page = context(user, "New agreement", None);
    let mut status = refusal.map_or(Status::Ok, |refusal| refusal.status);
    if providers.is_empty() {
        page.insert(
            "not_allowed",
            "Agreements are drafted by the lead of the department that provides the work, or by an admin.",
        );
        status = Status::Forbidden;
    }
    insert_form(&mut page, &FIELDS, values, refusal);
    page.insert("providers", &providers);
    page.insert("customers", &department_choices(&names, None));
    page.insert("units", &unit_choices());
    if let Some(checked) = checked {
        page.insert("checked", checked);
    }
    Ok(html(
        status,
        state.views.render("pages/agreement_new.html", &page)?,
    ))
}

async fn again(
    state: &AppState,
    user: &PageUser,
    values: &NewAgreementForm,
    error: ApiError,
) -> PageResult<FormReply> {
    let refusal = Refusal::of(error, &FIELDS)?;
    Ok(FormReply::Again(
        agreement_form(state, user, values, Some(&refusal), None).await?,
    ))
}

#[get("/agreements/new?<provider>&<customer>")]
async fn new_form(
    state: &State<AppState>,
    session: Session,
    provider: Option<i64>,
    customer: Option<i64>,
) -> PageResult<(Status, RawHtml<String>)> {
    let user = session.require()?;
    let values = NewAgreementForm {
        provider_department_id: provider
            .or(user.auth.department_id)
            .map(|id| id.to_string())
            .unwrap_or_default(),
        customer_department_id: customer.map(|id| id.to_string()).unwrap_or_default(),
        unit: "business_days".into(),
        on_time_target_pct: agreements::DEFAULT_TARGET_PCT.to_string(),
        review_every_weeks: agreements::DEFAULT_REVIEW_EVERY_WEEKS.to_string(),
        ..Default::default()
    };
    Ok(agreement_form(state, &user, &values, None, None).await?)
}

#[post("/agreements", data = "<form>")]
async fn create(
    state: &State<AppState>,
    session: Session,
    form: Form<NewAgreementForm>,
) -> PageResult<FormReply> {
    let user = session.require()?;
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return again(state, &user, &form, error).await;
    }
    let mut parsed = Parsed::default();
    let provider = parsed.take(parse_choice(
        &form.provider_department_id,
        "provider_department_id",
        "the department that provides the work",
    ));
    let customer = parsed.take(parse_choice(
        &form.customer_department_id,
        "customer_department_id",
        "the department it serves",
    ));
    let turnaround = parsed.take(parse_turnaround_fields(
        &form.amount,
        &form.unit,
        "amount",
        "unit",
    ));
    let target = parsed.take(parse_number(&form.on_time_target_pct, "on_time_target_pct"));
    let cadence = parsed.take(parse_number(&form.review_every_weeks, "review_every_weeks"));
    if let Err(error) = parsed.finish() {
        return again(state, &user, &form, error).await;
    }
    let (Some(provider), Some(customer), Some(turnaround), Some(target), Some(cadence)) =
        (provider, customer, turnaround, target, cadence)
    else {
        return Err(ApiError::Internal("a parsed agreement field is missing".into()).into());
    };
    if form.intent == "check" {
        let calibration = calibrate_for_provider(
            &state.db,
            &state.calendars,
            &user.auth,
            provider,
            turnaround,
        )
        .await;
        let calibration = match calibration {
            Ok(calibration) => calibration,
            Err(error) => return again(state, &user, &form, error).await,
        };
        let names = department_names(&state.db, user.auth.organisation_id).await?;
        let proposed = agreements::describe(turnaround);
        let checked = Checked {
            calibration,
            provider: names.get(&provider).cloned().unwrap_or_default(),
            warnings: vague_phrase_warnings(
                &[
                    ("title", &form.title),
                    ("deliverable", &form.deliverable),
                    ("definition_of_done", &form.definition_of_done),
                ],
                &proposed,
            ),
            proposed,
        };
        return Ok(FormReply::Again(
            agreement_form(state, &user, &form, None, Some(&checked)).await?,
        ));
    }
    let input = NewAgreement {
        provider_department_id: provider,
        customer_department_id: customer,
        title: form.title.clone(),
        deliverable: form.deliverable.clone(),
        definition_of_done: form.definition_of_done.clone(),
        turnaround,
        on_time_target_pct: target,
        review_every_weeks: cadence,
    };
    match agreements::create(&state.db, &user.auth, input).await {
        Ok(row) => {
            let message = if agreements::warnings(&row).is_empty() {
                "Draft saved. It binds nobody until you propose it and the customer's lead accepts it."
            } else {
                "Draft saved, but some of its wording is vague (see below): make it concrete before you propose it."
            };
            Ok(FormReply::done(format!("/agreements/{}", row.id), message))
        }
        Err(error) => again(state, &user, &form, error).await,
    }
}
