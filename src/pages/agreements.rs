//! The agreement page: its terms, on-time figures, vague-wording warnings,
//! promise calibration for a proposed turnaround, and the lifecycle moves
//! the signed-in lead may make; and the form to draft a new agreement,
//! which can check a turnaround against the provider's past deliveries
//! before anything is saved.

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
    parse_choice, parse_number, parse_turnaround_fields, typed_values, unit_choices,
};
use crate::entities::agreement::AgreementStatus;
use crate::entities::ids::{AgreementId, DepartmentId};
use crate::error::ApiError;
use crate::identity::Role;
use crate::services::ExpectedVersion;
use crate::services::agreements::{
    self, AgreementChanges, Calibration, NewAgreement, calibrate_for_provider, leads,
    vague_phrase_warnings,
};
use crate::state::AppState;
use crate::validate::turnaround_text;

pub fn routes() -> Vec<Route> {
    routes![show, lifecycle, edit, new_form, create]
}

#[derive(FromForm)]
struct LifecycleForm {
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    action: String,
    #[field(default = "")]
    reason: String,
}

carries_csrf!(LifecycleForm);

/// The inputs of each lifecycle move's form.
fn move_fields(name: &str) -> &'static [&'static str] {
    match name {
        "decline" => &["reason"],
        _ => &[],
    }
}

/// The change-the-terms form, kept as typed; `version` is the one the page
/// showed, so an edit made meanwhile by someone else is refused (412), not
/// overwritten.
#[derive(FromForm, Serialize, Default)]
struct EditForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[serde(skip)]
    #[field(default = "")]
    version: String,
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
    #[field(default = "")]
    due_soon_percent: String,
}

carries_csrf!(EditForm);

const EDIT_FIELDS: [&str; 8] = [
    "title",
    "deliverable",
    "definition_of_done",
    "amount",
    "unit",
    "on_time_target_pct",
    "review_every_weeks",
    "due_soon_percent",
];

const CALIBRATE_FIELDS: [&str; 2] = ["amount", "unit"];

#[get("/agreements/<id>?<amount>&<unit>")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    id: AgreementId,
    amount: Option<&str>,
    unit: Option<&str>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let asked = (amount.is_some() || unit.is_some()).then(|| {
        HashMap::from([
            ("amount".to_owned(), amount.unwrap_or_default().to_owned()),
            ("unit".to_owned(), unit.unwrap_or_default().to_owned()),
        ])
    });
    Ok(agreement_page(state, &user, id, flash, asked, None).await?)
}

/// The agreement page. `asked` is a turnaround to calibrate, as typed;
/// `rejected` a refused form of the page, shown in that form.
async fn agreement_page(
    state: &AppState,
    user: &PageUser,
    id: AgreementId,
    flash: Option<FlashMessage<'_>>,
    asked: Option<HashMap<String, String>>,
    rejected: Option<&Rejected>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let row = agreements::get(state.db(), me, id).await?;
    let names = department_names(state, user).await?;
    let figures = agreements::on_time_figures(state.db(), me.organisation_id, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let turnaround = agreements::turnaround_of(row.turnaround_unit, row.turnaround_quantity)?;
    let current_terms = [
        ("amount", turnaround.amount().to_string()),
        ("unit", agreements::unit_name(turnaround.unit()).to_owned()),
    ];
    let mut page = context(user, &row.title, flash);
    let mut status = Rejected::status(rejected);
    // The calibration form shows the current turnaround, or the one asked
    // about; one that cannot be read is refused beside its amount or unit.
    let mut calibrate = PageForm::new("calibrate", &CALIBRATE_FIELDS, None).filled(
        current_terms
            .clone()
            .map(|(field, value)| (field.to_owned(), value)),
    );
    if let Some(asked) = asked {
        let amount = asked.get("amount").map(String::as_str);
        let unit = asked.get("unit").map(String::as_str);
        match turnaround_text(amount, unit) {
            Ok(proposed) => {
                let calibration =
                    agreements::calibrate(&state.context(me.clone()), id, proposed).await?;
                page.insert("calibration", &calibration);
                page.insert("proposed", &agreements::describe(proposed));
                calibrate = PageForm::new("calibrate", &CALIBRATE_FIELDS, None).filled(asked);
            }
            Err(error) => {
                let refused = Rejected::new("calibrate", asked, error, &CALIBRATE_FIELDS)?;
                status = refused.refusal.status;
                calibrate = PageForm::new("calibrate", &CALIBRATE_FIELDS, Some(&refused));
            }
        }
    }
    page.insert("calibrate", &calibrate);
    page.insert("units", &unit_choices());
    let mut moves = Vec::new();
    let provider_lead = leads(me, row.provider_department_id);
    if provider_lead {
        match row.status.as_str() {
            "draft" => moves.push("propose"),
            "active" => moves.push("retire"),
            _ => {}
        }
    }
    if leads(me, row.customer_department_id)
        && (row.status == AgreementStatus::Proposed || row.pending_turnaround_unit.is_some())
    {
        moves.extend(["accept", "decline"]);
    }
    let moves: Vec<PageForm> = moves
        .into_iter()
        .map(|name| PageForm::new(name, move_fields(name), rejected))
        .collect();
    let mut edit = Vec::new();
    if provider_lead && matches!(row.status.as_str(), "draft" | "active") {
        let current = [
            ("title", row.title.clone()),
            ("deliverable", row.deliverable.clone()),
            ("definition_of_done", row.definition_of_done.clone()),
            ("on_time_target_pct", row.on_time_target_pct.to_string()),
            ("review_every_weeks", row.review_every_weeks.to_string()),
            ("due_soon_percent", row.due_soon_percent.to_string()),
        ];
        edit.push(
            PageForm::new("edit", &EDIT_FIELDS, rejected).filled(
                current
                    .into_iter()
                    .chain(current_terms)
                    .map(|(field, value)| (field.to_owned(), value)),
            ),
        );
    }
    let pending = match (row.pending_turnaround_unit, row.pending_turnaround_quantity) {
        (Some(unit), Some(quantity)) => Some(agreements::describe(agreements::turnaround_of(
            unit, quantity,
        )?)),
        _ => None,
    };
    page.insert("agreement", &json!({
        "id": row.id, "title": row.title, "deliverable": row.deliverable, "definition_of_done": row.definition_of_done,
        "provider": names.get(&row.provider_department_id), "customer": names.get(&row.customer_department_id),
        "provider_id": row.provider_department_id, "customer_id": row.customer_department_id,
        "turnaround": agreements::describe(turnaround), "target": row.on_time_target_pct, "status": row.status,
        "terms_version": row.terms_version, "review_every_weeks": row.review_every_weeks, "version": row.version,
        "due_soon_percent": row.due_soon_percent,
        "decline_reason": row.decline_reason, "pending": pending, "pending_target": row.pending_on_time_target_pct,
    }));
    page.insert("figures", &figures);
    page.insert("warnings", &agreements::warnings(&row));
    insert_forms(&mut page, &[("moves", &moves), ("edit", &edit)], rejected);
    Ok(html(
        status,
        state.views.render("pages/agreement.html", &page)?,
    ))
}

/// A lifecycle move (propose, accept, decline, retire) posted from the
/// agreement page; refused, the page comes back with the reason in its form.
#[post("/agreements/<id>/lifecycle", data = "<posted>")]
async fn lifecycle(
    state: &State<AppState>,
    id: AgreementId,
    posted: Posted<LifecycleForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let me = &user.auth;
    let db = state.db();
    let outcome = match (genuine, form.action.as_str()) {
        (Err(error), _) => Err(error),
        (Ok(()), "propose") => agreements::propose(db, me, id, ExpectedVersion(None)).await,
        (Ok(()), "accept") => agreements::accept(db, me, id, ExpectedVersion(None)).await,
        (Ok(()), "decline") => {
            agreements::decline(db, me, id, ExpectedVersion(None), &form.reason).await
        }
        (Ok(()), "retire") => agreements::retire(db, me, id, ExpectedVersion(None)).await,
        (Ok(()), _) => Err(ApiError::field("action", "is not an agreement move")),
    };
    match outcome {
        Ok(_) => Ok(FormReply::done(format!("/agreements/{id}"), "Saved.")),
        Err(error) => {
            let values = HashMap::from([("reason".to_owned(), form.reason.clone())]);
            let rejected = Rejected::new(
                form.action.clone(),
                values,
                error,
                move_fields(&form.action),
            )?;
            Ok(FormReply::Again(
                agreement_page(state, &user, id, None, None, Some(&rejected)).await?,
            ))
        }
    }
}

/// Changes the terms from the agreement page. Only what differs from the
/// current terms is sent, so rewording an active agreement does not ask
/// the customer to accept its unchanged turnaround again.
#[post("/agreements/<id>/edit", data = "<posted>")]
async fn edit(
    state: &State<AppState>,
    id: AgreementId,
    posted: Posted<EditForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let outcome = match genuine {
        Ok(()) => save_edit(state, &user, id, &form).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(message) => Ok(FormReply::done(format!("/agreements/{id}"), message)),
        Err(error) => {
            let rejected = Rejected::new("edit", typed_values(&form), error, &EDIT_FIELDS)?;
            Ok(FormReply::Again(
                agreement_page(state, &user, id, None, None, Some(&rejected)).await?,
            ))
        }
    }
}

async fn save_edit(
    state: &AppState,
    user: &PageUser,
    id: AgreementId,
    form: &EditForm,
) -> Result<&'static str, ApiError> {
    let me = &user.auth;
    let current = agreements::get(state.db(), me, id).await?;
    let current_turnaround =
        agreements::turnaround_of(current.turnaround_unit, current.turnaround_quantity)?;
    let mut parsed = Parsed::default();
    let turnaround = parsed.take(parse_turnaround_fields(
        &form.amount,
        &form.unit,
        "amount",
        "unit",
    ));
    let target = parsed.take(parse_number(&form.on_time_target_pct, "on_time_target_pct"));
    let cadence = parsed.take(parse_number(&form.review_every_weeks, "review_every_weeks"));
    let due_soon = parsed.take(parse_number(&form.due_soon_percent, "due_soon_percent"));
    let version = form.version.trim().parse::<i32>().ok();
    parsed.finish()?;
    let changed = |new: &str, old: &str| (new != old).then(|| new.to_owned());
    let changes = AgreementChanges {
        title: changed(&form.title, &current.title),
        deliverable: changed(&form.deliverable, &current.deliverable),
        definition_of_done: changed(&form.definition_of_done, &current.definition_of_done),
        turnaround: turnaround.filter(|new| *new != current_turnaround),
        on_time_target_pct: target
            .flatten()
            .filter(|pct| *pct != i64::from(current.on_time_target_pct)),
        review_every_weeks: cadence
            .flatten()
            .filter(|weeks| *weeks != i64::from(current.review_every_weeks)),
        due_soon_percent: due_soon
            .flatten()
            .filter(|percent| *percent != i64::from(current.due_soon_percent)),
        pulse_every_weeks: None,
    };
    let terms_change = changes.turnaround.is_some() || changes.on_time_target_pct.is_some();
    let saved = agreements::update(state.db(), me, id, ExpectedVersion(version), changes).await?;
    Ok(if saved.status == AgreementStatus::Active && terms_change {
        "Change proposed: the customer's lead accepts it before it applies; until then the current terms hold."
    } else {
        "Saved."
    })
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

carries_csrf!(NewAgreementForm);

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
    names: &std::collections::HashMap<DepartmentId, String>,
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
    let names = department_names(state, user).await?;
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
    user: PageUser,
    provider: Option<DepartmentId>,
    customer: Option<DepartmentId>,
) -> PageResult<(Status, RawHtml<String>)> {
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

#[post("/agreements", data = "<posted>")]
async fn create(
    state: &State<AppState>,
    posted: Posted<NewAgreementForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    if let Err(error) = genuine {
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
        let calibration =
            calibrate_for_provider(&state.context(user.auth.clone()), provider, turnaround).await;
        let calibration = match calibration {
            Ok(calibration) => calibration,
            Err(error) => return again(state, &user, &form, error).await,
        };
        let names = department_names(state, &user).await?;
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
        due_soon_percent: None,
    };
    match agreements::create(state.db(), &user.auth, input).await {
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
