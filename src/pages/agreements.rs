//! The agreement page: its terms, on-time figures, vague-wording warnings,
//! promise calibration for a proposed turnaround, and the lifecycle moves
//! the signed-in lead may make.

use rocket::form::{Form, FromForm};
use rocket::request::FlashMessage;
use rocket::response::Redirect;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use super::{PageResult, Session, check_csrf, context, department_names, done, refused};
use crate::http::IfMatch;
use crate::routes::parse_turnaround;
use crate::services::agreements::{self, leads};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, lifecycle]
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
