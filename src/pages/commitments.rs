//! The commitment page: when it will really land, whether the promise
//! holds, the chain of handoffs that decides it (drawn), and the
//! departments whose slip caused it.

use std::collections::HashSet;

use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};
use serde_json::json;

use super::graph::{Node, draw};
use super::{PageResult, Session, context, department_names, local, organisation_zone};
use crate::entities::request;
use crate::error::ApiError;
use crate::services::requests::dependencies_of;
use crate::services::{commitments, projection};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show]
}

#[get("/commitments/<id>")]
async fn show(
    state: &State<AppState>,
    session: Session,
    id: i64,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let user = session.require()?;
    let me = &user.auth;
    let row = commitments::get(&state.db, me, id).await?;
    let zone = organisation_zone(&state.db, me.organisation_id).await?;
    let names = department_names(&state.db, me.organisation_id).await?;
    let now = chrono::Utc::now();
    let projected = projection::project(
        &state.db,
        &state.calendars,
        me.organisation_id,
        &[id],
        &[],
        now,
    )
    .await?;
    let idx = projected
        .commitments
        .get(&id)
        .copied()
        .ok_or_else(|| ApiError::not_found("commitment"))?;
    let view = projected
        .projection
        .commitment_projection(idx)
        .map_err(projection::projection_error)?
        .ok_or_else(|| ApiError::not_found("commitment"))?;
    let cone: Vec<i64> = projected.requests.keys().copied().collect();
    let edges = dependencies_of(&state.db, &cone).await?;
    let rows = request::Entity::find()
        .filter(request::Column::Id.is_in(cone.iter().copied()))
        .all(&state.db)
        .await
        .map_err(ApiError::from)?;
    let nodes: Vec<Node> = rows
        .iter()
        .map(|r| Node {
            id: r.id,
            label: format!(
                "{} → {}",
                names
                    .get(&r.provider_department_id)
                    .cloned()
                    .unwrap_or_default(),
                names
                    .get(&r.customer_department_id)
                    .cloned()
                    .unwrap_or_default()
            ),
            inputs: edges
                .iter()
                .filter(|(of, _)| *of == r.id)
                .map(|&(_, input)| input)
                .collect(),
        })
        .collect();
    let feeds = commitments::dependencies(&state.db, id).await?;
    let causes: HashSet<i64> = view
        .root_causes
        .iter()
        .map(|cause| cause.request_id)
        .collect();
    let svg = draw(&nodes, &feeds, &view.critical_path, &causes, &row.title);
    let root_causes: Vec<_> = view
        .root_causes
        .iter()
        .map(|cause| json!({
            "request_id": cause.request_id, "department": names.get(&cause.department_id),
            "kind": serde_json::to_value(cause.kind).unwrap_or_default(), "minutes": cause.minutes,
        }))
        .collect();
    let mut page = context(
        &user,
        &format!("{} — {}", row.customer_name, row.title),
        flash,
    );
    page.insert("commitment", &json!({
        "id": row.id, "customer": row.customer_name, "title": row.title, "status": row.status,
        "owner": names.get(&row.owner_department_id), "promised_at": local(row.promised_at, zone),
        "projected_at": local(view.projected_at, zone), "baseline_at": local(view.baseline_at, zone),
        "slip_minutes": view.slip_minutes, "slack_minutes": view.slack_minutes,
        "risk": projection::risk_name(view.risk), "critical_path": view.critical_path,
    }));
    page.insert("root_causes", &root_causes);
    page.insert("graph", &svg);
    Ok(RawHtml(state.views.render("pages/commitment.html", &page)?))
}
