//! The organisation's settings: its name and time zone, when a customer
//! promise counts as at risk, when a breach is escalated to the leaders,
//! and the calendar new departments start with.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;

use super::{EVERY, admin_only, calendar_choices, shown_version, zone_names};
use crate::error::ApiError;
use crate::pages::{
    FormReply, PageResult, PageUser, Parsed, Posted, Refusal, carries_csrf, context, html,
    insert_form, parse_choice, parse_number,
};
use crate::services::calendars;
use crate::services::organisations::{self, OrganisationChanges};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![show, save]
}

#[derive(FromForm, Serialize, Default)]
struct SettingsForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[serde(skip)]
    #[field(default = "")]
    version: String,
    #[field(default = "")]
    name: String,
    #[field(default = "")]
    timezone: String,
    #[field(default = "")]
    at_risk_threshold_minutes: String,
    #[field(default = "")]
    escalation_minutes: String,
    #[field(default = "")]
    default_calendar_id: String,
}

carries_csrf!(SettingsForm);

const FIELDS: [&str; 5] = [
    "name",
    "timezone",
    "at_risk_threshold_minutes",
    "escalation_minutes",
    "default_calendar_id",
];

async fn settings_page(
    state: &AppState,
    user: &PageUser,
    flash: Option<FlashMessage<'_>>,
    values: Option<&SettingsForm>,
    refusal: Option<&Refusal>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    admin_only(user)?;
    let me = &user.auth;
    let row = organisations::get(state.db(), me).await?;
    let current = SettingsForm {
        name: row.name.clone(),
        timezone: row.timezone.clone(),
        at_risk_threshold_minutes: row.at_risk_threshold_minutes.to_string(),
        escalation_minutes: row
            .escalation_minutes
            .map(|minutes| minutes.to_string())
            .unwrap_or_default(),
        default_calendar_id: row
            .default_calendar_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    let calendar_rows = calendars::list(state.db(), me, EVERY).await?;
    let mut page = context(user, "Organisation settings", flash);
    page.insert("version", &row.version);
    page.insert("threshold", &row.at_risk_threshold_minutes);
    page.insert("escalation", &row.escalation_minutes);
    page.insert("calendars", &calendar_choices(&calendar_rows));
    page.insert("zones", &zone_names());
    insert_form(&mut page, &FIELDS, values.unwrap_or(&current), refusal);
    Ok(html(
        refusal.map_or(Status::Ok, |refusal| refusal.status),
        state.views.render("pages/admin_organisation.html", &page)?,
    ))
}

#[get("/admin/organisation")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    Ok(settings_page(state, &user, flash, None, None).await?)
}

#[post("/admin/organisation", data = "<posted>")]
async fn save(state: &State<AppState>, posted: Posted<SettingsForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = async {
        genuine?;
        let mut parsed = Parsed::default();
        let threshold = parsed.take(
            parse_number(&form.at_risk_threshold_minutes, "at_risk_threshold_minutes").and_then(
                |minutes| {
                    minutes.ok_or_else(|| {
                        ApiError::field(
                            "at_risk_threshold_minutes",
                            "enter a number of working minutes (0 for never)",
                        )
                    })
                },
            ),
        );
        // Empty: no escalation.
        let escalation = parsed.take(parse_number(&form.escalation_minutes, "escalation_minutes"));
        let calendar = match form.default_calendar_id.trim() {
            "" => None,
            text => parsed.take(parse_choice::<i64>(
                text,
                "default_calendar_id",
                "a calendar",
            )),
        };
        parsed.finish()?;
        let changes = OrganisationChanges {
            name: Some(form.name.clone()),
            timezone: Some(form.timezone.trim().to_owned()),
            at_risk_threshold_minutes: threshold,
            escalation_minutes: escalation,
            default_calendar_id: calendar,
        };
        organisations::update(
            state.db(),
            &user.auth,
            shown_version(&form.version),
            changes,
        )
        .await
    }
    .await;
    match outcome {
        Ok(_) => Ok(FormReply::done(
            "/admin/organisation".into(),
            "Settings saved.",
        )),
        Err(error) => {
            let refusal = Refusal::of(error, &FIELDS)?;
            Ok(FormReply::Again(
                settings_page(state, &user, None, Some(&form), Some(&refusal)).await?,
            ))
        }
    }
}
