//! The home page, by role: staff see what their department owes and waits
//! for; leads also their agreements both ways, pending acceptances and
//! upcoming reviews; leadership the commitments at risk and the top
//! sources of delay.

use crate::entities::agreement::AgreementStatus;
use chrono::Utc;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};

use super::{
    PageResult, PageUser, context, department_names, local, organisation_zone, request_lines,
};
use crate::identity::Role;
use crate::pagination::PageRequest;
use crate::services::Side;
use crate::services::agreements::{self, AgreementFilter};
use crate::services::commitments::{self, CommitmentFilter};
use crate::services::notifications;
use crate::services::reports::{self, Viewer};
use crate::services::requests as requests_service;
use crate::services::reviews::{self, ReviewFilter};
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
    let mut page = context(&user, "Home", flash);
    let names = department_names(&state.db, me.organisation_id).await?;
    let zone = organisation_zone(&state.db, me.organisation_id).await?;
    page.insert("departments", &names);
    if user.unread > 0 {
        let unread: Vec<_> = notifications::list_for(&state.db, me, true, 5)
            .await?
            .into_iter()
            .map(|row| serde_json::json!({"message": row.message, "request_id": row.request_id, "created_at": local(row.created_at, zone)}))
            .collect();
        page.insert("unread", &unread);
    }
    if let Some(department) = me.department_id {
        page.insert("my_department", &names.get(&department));
        page.insert("my_department_id", &department);
        let owed = requests_service::open_for_department(
            &state.db,
            me.organisation_id,
            department,
            Side::Provider,
            50,
        )
        .await?;
        let waiting = requests_service::open_for_department(
            &state.db,
            me.organisation_id,
            department,
            Side::Customer,
            50,
        )
        .await?;
        page.insert("owed", &request_lines(owed, &names, Side::Provider, zone));
        page.insert(
            "waiting",
            &request_lines(waiting, &names, Side::Customer, zone),
        );
    }
    let all = PageRequest {
        after_id: 0,
        limit: 200,
    };
    if matches!(me.role, Role::Lead | Role::Admin) {
        let mut agreements_both_ways = Vec::new();
        for filter in [
            AgreementFilter {
                provider_department_id: me.department_id,
                ..Default::default()
            },
            AgreementFilter {
                customer_department_id: me.department_id,
                ..Default::default()
            },
        ] {
            if me.department_id.is_none() && !agreements_both_ways.is_empty() {
                break;
            }
            for row in agreements::list(&state.db, me, all, filter).await? {
                let pending = row.status == AgreementStatus::Proposed
                    || row.pending_turnaround_unit.is_some();
                agreements_both_ways.push(serde_json::json!({
                    "id": row.id, "title": row.title, "status": row.status,
                    "provider": names.get(&row.provider_department_id), "customer": names.get(&row.customer_department_id),
                    "provider_id": row.provider_department_id, "customer_id": row.customer_department_id,
                    "awaiting_us": pending && (me.role == Role::Admin || me.department_id == Some(row.customer_department_id)),
                }));
            }
        }
        page.insert("agreements", &agreements_both_ways);
        let upcoming: Vec<_> = reviews::list(&state.db, me, all, ReviewFilter { department_id: None, status: Some("scheduled".into()) })
            .await?
            .into_iter()
            .map(|row| serde_json::json!({
                "id": row.id, "scheduled_at": local(row.scheduled_at, zone),
                "pair": format!("{} ⇄ {}", names.get(&row.department_a_id).cloned().unwrap_or_default(), names.get(&row.department_b_id).cloned().unwrap_or_default()),
            }))
            .collect();
        page.insert("reviews", &upcoming);
    }
    if matches!(me.role, Role::Leader | Role::Admin) {
        let mut endangered = Vec::new();
        for risk in ["late", "at_risk"] {
            for row in commitments::list(
                &state.db,
                me,
                all,
                CommitmentFilter {
                    risk: Some(risk.into()),
                    ..Default::default()
                },
            )
            .await?
            {
                endangered.push(serde_json::json!({
                    "id": row.id, "customer": row.customer_name, "title": row.title, "risk": risk,
                    "slip_minutes": row.slip_minutes, "owner": names.get(&row.owner_department_id),
                }));
            }
        }
        page.insert("commitments", &endangered);
        // The departments whose own slips hurt promises to customers most,
        // projected now (the impact report's ranking, first five).
        let impact =
            reports::impact::impact(&state.db, &state.calendars, &Viewer::of(me), Utc::now())
                .await?;
        let sources: Vec<_> = impact
            .departments
            .iter()
            .filter(|department| department.own_slip_minutes > 0)
            .take(5)
            .map(|department| serde_json::json!({
                "id": department.department_id, "name": department.name,
                "own_slip_minutes": department.own_slip_minutes,
                "commitments": department.commitments.iter().map(|c| serde_json::json!({"id": c.commitment_id, "title": c.title, "customer": c.customer_name})).collect::<Vec<_>>(),
            }))
            .collect();
        page.insert("delay_sources", &sources);
        page.insert("leadership", &true);
    }
    Ok(RawHtml(state.views.render("pages/home.html", &page)?))
}
