//! The review page: the agenda built from the data, the minutes form, and
//! the action items with forms to add and close them.

use rocket::form::{Form, FromForm};
use rocket::request::FlashMessage;
use rocket::response::Redirect;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use super::{
    PageResult, Session, check_csrf, context, department_names, done, local, organisation_zone,
    refused,
};
use crate::http::IfMatch;
use crate::services::reviews::{self, ActionChanges, HoldInput, NewAction, may_write};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, hold, add_action, close_action]
}

#[derive(FromForm)]
struct HoldForm {
    _csrf: String,
    minutes: String,
    decisions: Option<String>,
}

#[derive(FromForm)]
struct ActionForm {
    _csrf: String,
    title: String,
    owner_user_id: i64,
    due_on: String,
}

#[derive(FromForm)]
struct CloseForm {
    _csrf: String,
    status: String,
    resolution_note: String,
}

#[get("/reviews/<id>")]
async fn show(
    state: &State<AppState>,
    session: Session,
    id: i64,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    let user = session.require()?;
    let me = &user.auth;
    let row = reviews::get(&state.db, me, id).await?;
    let zone = organisation_zone(&state.db, me.organisation_id).await?;
    let names = department_names(&state.db, me.organisation_id).await?;
    let agenda = reviews::agenda(&state.db, &state.calendars, me, id).await?;
    let actions = reviews::list_actions(&state.db, me, Some(id), None).await?;
    let title = format!(
        "Review {} ⇄ {}",
        names.get(&row.department_a_id).cloned().unwrap_or_default(),
        names.get(&row.department_b_id).cloned().unwrap_or_default()
    );
    let mut page = context(&user, &title, flash);
    page.insert(
        "review",
        &json!({
            "id": row.id, "status": row.status, "scheduled_at": local(row.scheduled_at, zone),
            "held_at": row.held_at.map(|at| local(at, zone)), "minutes": row.minutes,
            "decisions": serde_json::from_str::<Vec<String>>(&row.decisions).unwrap_or_default(),
            "every_weeks": row.every_weeks, "writable": may_write(me, &row),
        }),
    );
    page.insert("departments", &names);
    page.insert("agenda", &agenda);
    page.insert("actions", &actions.into_iter().map(|a| json!({
        "id": a.id, "title": a.title, "owner_user_id": a.owner_user_id, "due_on": a.due_on.to_string(),
        "status": a.status, "resolution_note": a.resolution_note,
        "overdue": a.status == "open" && a.due_on < chrono::Utc::now().date_naive(),
    })).collect::<Vec<_>>());
    Ok(RawHtml(state.views.render("pages/review.html", &page)?))
}

#[post("/reviews/<id>/hold", data = "<form>")]
async fn hold(
    state: &State<AppState>,
    session: Session,
    id: i64,
    form: Form<HoldForm>,
) -> PageResult<Redirect> {
    let user = session.require()?;
    let back = format!("/reviews/{id}");
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return Err(refused(back, error));
    }
    let decisions = form
        .decisions
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    match reviews::hold(
        &state.db,
        &user.auth,
        id,
        HoldInput {
            minutes: form.minutes,
            decisions,
            at: None,
        },
    )
    .await
    {
        Ok(held) => Err(done(
            held.next
                .map_or(back, |next| format!("/reviews/{}", next.id)),
            "Review held; the next one is scheduled.",
        )),
        Err(error) => Err(refused(back, error)),
    }
}

#[post("/reviews/<id>/actions", data = "<form>")]
async fn add_action(
    state: &State<AppState>,
    session: Session,
    id: i64,
    form: Form<ActionForm>,
) -> PageResult<Redirect> {
    let user = session.require()?;
    let back = format!("/reviews/{id}");
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return Err(refused(back, error));
    }
    let Ok(due_on) = chrono::NaiveDate::parse_from_str(&form.due_on, "%Y-%m-%d") else {
        return Err(refused(
            back,
            crate::error::ApiError::field("due_on", "must be a date such as 2026-04-01"),
        ));
    };
    let input = NewAction {
        title: form.title,
        owner_user_id: form.owner_user_id,
        due_on,
    };
    match reviews::add_action(&state.db, &user.auth, id, input).await {
        Ok(_) => Err(done(back, "Action added.")),
        Err(error) => Err(refused(back, error)),
    }
}

#[post("/actions/<id>/close?<review>", data = "<form>")]
async fn close_action(
    state: &State<AppState>,
    session: Session,
    id: i64,
    review: i64,
    form: Form<CloseForm>,
) -> PageResult<Redirect> {
    let user = session.require()?;
    let back = format!("/reviews/{review}");
    let form = form.into_inner();
    if let Err(error) = check_csrf(&user, &form._csrf) {
        return Err(refused(back, error));
    }
    let changes = ActionChanges {
        status: Some(form.status),
        resolution_note: Some(form.resolution_note),
        ..Default::default()
    };
    match reviews::update_action(&state.db, &user.auth, id, IfMatch(None), changes).await {
        Ok(_) => Err(done(
            back,
            "Action closed; the other department has been told.",
        )),
        Err(error) => Err(refused(back, error)),
    }
}
