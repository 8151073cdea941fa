//! Administration in the browser, for admins only (anyone else gets the 403
//! page): `/admin` links the people, the departments, the calendars and the
//! organisation's settings. Every change goes through the same service as
//! the API's, so its checks and its audit events are the same.
//!
//! The department forms live with the department pages (`departments`).

mod calendars;
mod organisation;
mod users;

use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};

use super::{Choice, PageResult, PageUser, context};
use crate::entities::Named;
use crate::entities::calendar;
use crate::entities::user::Role;
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::services::ExpectedVersion;
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    [
        routes![index],
        users::routes(),
        calendars::routes(),
        organisation::routes(),
    ]
    .concat()
}

/// Every row of an organisation's list, for the administration pages.
pub(super) const EVERY: PageRequest = PageRequest {
    after_id: 0,
    limit: 5_000,
};

/// The administration pages are an admin's; anyone else is refused (403).
pub(super) fn admin_only(user: &PageUser) -> Result<(), ApiError> {
    if user.auth.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "Administration is for the organisation's admins.".into(),
        ))
    }
}

/// The version a form showed, so that a change made meanwhile is refused.
pub(super) fn shown_version(text: &str) -> ExpectedVersion {
    ExpectedVersion(text.trim().parse().ok())
}

/// The roles, in people's words.
pub(super) fn role_choices() -> Vec<Choice> {
    Role::members()
        .into_iter()
        .map(|role| Choice {
            value: role.as_str().to_owned(),
            label: crate::views::words(role.as_str()),
        })
        .collect()
}

/// The organisation's calendars as choices, by name.
pub(super) fn calendar_choices(rows: &[calendar::Model]) -> Vec<Choice> {
    let mut choices: Vec<Choice> = rows
        .iter()
        .map(|row| Choice {
            value: row.id.to_string(),
            label: format!("{} ({})", row.name, row.timezone),
        })
        .collect();
    choices.sort_by(|a, b| a.label.cmp(&b.label));
    choices
}

/// Every IANA time zone name, offered as the zone input's suggestions.
pub(super) fn zone_names() -> Vec<&'static str> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|zone| zone.name())
        .collect()
}

#[get("/admin")]
async fn index(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<RawHtml<String>> {
    admin_only(&user)?;
    let page = context(&user, "Administration", flash);
    Ok(RawHtml(state.views.render("pages/admin.html", &page)?))
}
