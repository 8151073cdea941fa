//! The signed-in person's notifications ("no surprises": a late forecast,
//! a request passing its due, a review action closed), unread first, with
//! forms to mark one or all of them read.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde_json::json;

use super::{FormReply, PageResult, PageUser, Posted, Refusal, carries_csrf, context, html, local};
use crate::error::ApiError;
use crate::services::mail::preferences;
use crate::services::notifications;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![
        show,
        mark_read,
        mark_all_read,
        preferences_page,
        set_preferences
    ]
}

/// How many notifications the page lists, newest unread first.
const SHOWN: u64 = 200;

#[derive(FromForm)]
struct PreferencesForm {
    #[field(default = "")]
    _csrf: String,
    /// `mode[kind]`: now, digest or off.
    mode: std::collections::BTreeMap<String, String>,
}

carries_csrf!(PreferencesForm);

#[derive(FromForm)]
struct MarkForm {
    #[field(default = "")]
    _csrf: String,
}

carries_csrf!(MarkForm);

#[get("/notifications")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(notifications_page(state, &user, flash, None).await?)
}

/// The page, with `problem` (a refused mark) shown at the top.
async fn notifications_page(
    state: &AppState,
    user: &PageUser,
    flash: Option<FlashMessage<'_>>,
    problem: Option<(Status, String)>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let me = &user.auth;
    let zone = user.zone;
    let items: Vec<_> = notifications::list_for(state.db(), me, false, SHOWN)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "id": row.id, "kind": row.kind.as_str().replace('_', " "), "message": row.message,
                "request_id": row.request_id, "commitment_id": row.commitment_id, "review_id": row.review_id, "created_at": local(row.created_at, zone),
                "unread": row.read_at.is_none(),
            })
        })
        .collect();
    let mut page = context(user, "Notifications", flash);
    page.insert("items", &items);
    let status = match problem {
        Some((status, message)) => {
            page.insert("problem", &message);
            status
        }
        None => Status::Ok,
    };
    Ok(html(
        status,
        state.views.render("pages/notifications.html", &page)?,
    ))
}

/// Back to the list, or the list again with the reason it was refused.
async fn answer(
    state: &AppState,
    user: &PageUser,
    outcome: Result<&str, ApiError>,
) -> PageResult<FormReply> {
    match outcome {
        Ok(message) => Ok(FormReply::done("/notifications".into(), message)),
        Err(error) => {
            let refusal = Refusal::of(error, &[])?;
            let problem = Some((refusal.status, refusal.summary));
            Ok(FormReply::Again(
                notifications_page(state, user, None, problem).await?,
            ))
        }
    }
}

#[post("/notifications/<id>/read", data = "<posted>")]
async fn mark_read(
    state: &State<AppState>,
    id: i64,
    posted: Posted<MarkForm>,
) -> PageResult<FormReply> {
    let user = &posted.user;
    let outcome = match posted.genuine() {
        Ok(()) => notifications::mark_read(state.db(), &user.auth, id)
            .await
            .map(|_| "Marked as read."),
        Err(error) => Err(error),
    };
    answer(state, user, outcome).await
}

#[post("/notifications/read-all", data = "<posted>")]
async fn mark_all_read(state: &State<AppState>, posted: Posted<MarkForm>) -> PageResult<FormReply> {
    let user = &posted.user;
    let outcome = match posted.genuine() {
        Ok(()) => notifications::mark_all_read(state.db(), &user.auth)
            .await
            .map(|_| "All marked as read."),
        Err(error) => Err(error),
    };
    answer(state, user, outcome).await
}

/// Which notices come by mail, and how (the `List-Unsubscribe` of every mail).
#[get("/preferences")]
async fn preferences_page(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(render_preferences(state, &user, flash, None).await?)
}

async fn render_preferences(
    state: &AppState,
    user: &PageUser,
    flash: Option<FlashMessage<'_>>,
    problem: Option<(Status, String)>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    let chosen = preferences::of_user(state.db(), user.auth.id).await?;
    let kinds: Vec<_> = preferences::IN_ORDER
        .into_iter()
        .map(|kind| {
            json!({
                "kind": kind.as_str(),
                "label": preferences::describe(kind),
                "mode": chosen.get(kind.as_str()).map_or("now", |mode| mode.as_str()),
            })
        })
        .collect();
    let mut page = context(user, "Mail preferences", flash);
    page.insert("kinds", &kinds);
    page.insert("mail_on", &state.mailer.is_some());
    let status = match problem {
        Some((status, message)) => {
            page.insert("problem", &message);
            status
        }
        None => Status::Ok,
    };
    Ok(html(
        status,
        state.views.render("pages/preferences.html", &page)?,
    ))
}

#[post("/preferences", data = "<posted>")]
async fn set_preferences(
    state: &State<AppState>,
    posted: Posted<PreferencesForm>,
) -> PageResult<FormReply> {
    let user = &posted.user;
    let outcome = match posted.genuine() {
        Ok(()) => preferences::set(state.db(), &user.auth, &posted.form.mode)
            .await
            .map(|_| "Saved: your mail follows these choices from now on."),
        Err(error) => Err(error),
    };
    match outcome {
        Ok(message) => Ok(FormReply::done("/preferences".into(), message)),
        Err(error) => {
            let refusal = Refusal::of(error, &[])?;
            let problem = Some((refusal.status, refusal.summary));
            Ok(FormReply::Again(
                render_preferences(state, user, None, problem).await?,
            ))
        }
    }
}
