//! The home page, by role: staff see what their department owes and waits
//! for; leads also their agreements both ways, pending acceptances and
//! upcoming reviews; leadership the commitments at risk and the top
//! sources of delay. What each role sees is `services::home`'s rule; this
//! lays it out.

use chrono::Utc;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};
use serde_json::json;

use super::{PageResult, PageUser, context, department_names, local, request_lines};
use crate::entities::ids::DepartmentId;
use crate::identity::Role;
use crate::services::{Side, home as home_service};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![home]
}

#[get("/")]
async fn home(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let me = &user.auth;
    let names = department_names(state, &user).await?;
    let zone = user.zone;
    let home = home_service::home(&state.context(me.clone()), user.unread, Utc::now()).await?;
    let name_of = |id: DepartmentId| names.get(&id).cloned().unwrap_or_default();

    let mut page = context(&user, "Home", flash);
    page.insert("departments", &names);
    if !home.unread.is_empty() {
        let unread: Vec<_> = home
            .unread
            .iter()
            .map(|row| json!({"message": row.message, "request_id": row.request_id, "commitment_id": row.commitment_id, "created_at": local(row.created_at, zone)}))
            .collect();
        page.insert("unread", &unread);
    }
    page.insert(
        "assigned",
        &request_lines(home.assigned.lines, &names, Side::Provider, zone),
    );
    if let Some(work) = home.department {
        page.insert("my_department", &names.get(&work.department_id));
        page.insert("my_department_id", &work.department_id);
        page.insert("owed_total", &work.owed.total);
        page.insert(
            "owed",
            &request_lines(work.owed.lines, &names, Side::Provider, zone),
        );
        page.insert("waiting_total", &work.waiting.total);
        page.insert(
            "waiting",
            &request_lines(work.waiting.lines, &names, Side::Customer, zone),
        );
    }
    if matches!(me.role, Role::Lead | Role::Admin) {
        let agreements: Vec<_> = home
            .agreements
            .iter()
            .map(|line| {
                let row = &line.row;
                json!({
                    "id": row.id, "title": row.title, "status": row.status,
                    "provider": name_of(row.provider_department_id), "customer": name_of(row.customer_department_id),
                    "provider_id": row.provider_department_id, "customer_id": row.customer_department_id,
                    "awaiting_us": line.awaiting_us,
                })
            })
            .collect();
        page.insert("agreements", &agreements);
        let upcoming: Vec<_> = home
            .reviews
            .iter()
            .map(|row| json!({
                "id": row.id, "scheduled_at": local(row.scheduled_at, zone),
                "pair": format!("{} ⇄ {}", name_of(row.department_a_id), name_of(row.department_b_id)),
            }))
            .collect();
        page.insert("reviews", &upcoming);
    }
    if home.leadership {
        let endangered: Vec<_> = home
            .endangered
            .iter()
            .map(|row| json!({
                "id": row.id, "customer": row.customer_name, "title": row.title, "risk": row.risk,
                "slip_minutes": row.slip_minutes, "owner": names.get(&row.owner_department_id),
            }))
            .collect();
        page.insert("commitments", &endangered);
        let sources: Vec<_> = home
            .delay_sources
            .iter()
            .map(|department| json!({
                "id": department.department_id, "name": department.name,
                "own_slip_minutes": department.own_slip_minutes,
                "commitments": department.commitments.iter().map(|c| json!({"id": c.commitment_id, "title": c.title, "customer": c.customer_name})).collect::<Vec<_>>(),
            }))
            .collect();
        page.insert("delay_sources", &sources);
        page.insert("leadership", &true);
    }
    Ok(RawHtml(state.views.render("pages/home.html", &page)?))
}
