//! The working calendars: the list with the form to add one, and a page per
//! calendar to edit its name, zone and weekly hours, its holidays (one by
//! one or imported from an `.ics` file), with a preview of when a
//! turnaround started now (or at a chosen time) falls due in it.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use super::{EVERY, admin_only, shown_version, zone_names};
use crate::error::{ApiError, FieldErrors};
use crate::http::files::Upload;
use crate::pages::signed_in::constant_time_eq;
use crate::pages::{
    FormReply, PageForm, PageResult, PageUser, Parsed, Posted, Refusal, Rejected, carries_csrf,
    context, html, insert_form, insert_forms, local, local_input, local_instant,
    parse_turnaround_fields, typed_values, unit_choices,
};
use crate::services::agreements::describe;
use crate::services::calendars::{self, CalendarChanges, CalendarInput, Holiday, WeeklyHours};
use crate::services::{departments, holidays};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![
        list,
        create,
        show,
        edit,
        add_holiday,
        remove_holiday,
        import
    ]
}

/// The weekdays: the form's input names (the API's keys) and their labels.
const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

#[derive(FromForm, Serialize, Default)]
struct NewCalendarForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    name: String,
    #[field(default = "")]
    timezone: String,
}

carries_csrf!(NewCalendarForm);

const NEW_FIELDS: [&str; 2] = ["name", "timezone"];

/// Name, zone and weekly hours, a day's ranges typed as
/// "09:00–12:00, 13:00–17:00".
#[derive(FromForm, Serialize, Default)]
struct EditForm {
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
    mon: String,
    #[field(default = "")]
    tue: String,
    #[field(default = "")]
    wed: String,
    #[field(default = "")]
    thu: String,
    #[field(default = "")]
    fri: String,
    #[field(default = "")]
    sat: String,
    #[field(default = "")]
    sun: String,
}

carries_csrf!(EditForm);

const EDIT_FIELDS: [&str; 10] = [
    "name", "timezone", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "weekly",
];

#[derive(FromForm, Serialize, Default)]
struct HolidayForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    date: String,
    #[field(default = "")]
    name: String,
}

carries_csrf!(HolidayForm);

const HOLIDAY_FIELDS: [&str; 2] = ["date", "name"];

#[derive(FromForm)]
struct RemoveForm {
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    date: String,
}

carries_csrf!(RemoveForm);

const PREVIEW_FIELDS: [&str; 3] = ["amount", "unit", "from"];

/// What the preview form asked, as typed (the defaults when nothing was).
struct PreviewAsk {
    amount: String,
    unit: String,
    from: String,
}

impl Default for PreviewAsk {
    fn default() -> Self {
        PreviewAsk {
            amount: "16".into(),
            unit: "business_hours".into(),
            from: String::new(),
        }
    }
}

/// A day's ranges as the form shows them: "09:00–12:00, 13:00–17:00".
fn day_text(ranges: &[[String; 2]]) -> String {
    ranges
        .iter()
        .map(|[start, end]| format!("{start}–{end}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "9:00" as the engine reads times, "09:00"; anything else as typed, for
/// the engine to explain.
fn padded(time: &str) -> String {
    let time = time.trim();
    match time.split_once(':') {
        Some((hours, _)) if hours.len() == 1 => format!("0{time}"),
        _ => time.to_owned(),
    }
}

/// A day's ranges as typed: separated by commas, each "start–end" (an en
/// dash, a hyphen or "to"). The times themselves are the engine's to check.
fn parse_day(text: &str, field: &str) -> Result<Vec<[String; 2]>, ApiError> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (start, end) = part
                .split_once(['–', '—', '-'])
                .or_else(|| part.split_once(" to "))
                .ok_or_else(|| {
                    ApiError::field(
                        field,
                        format!("“{part}” is no range: write it as 09:00–17:00"),
                    )
                })?;
            Ok([padded(start), padded(end)])
        })
        .collect()
}

/// The calendar's refusal, named after the page's inputs: the engine's
/// `weekly.mon[1].end` is the Monday input's second range, and the
/// holidays' `holidays[3].date` the holiday form's date.
fn in_page_words(error: ApiError) -> ApiError {
    let ApiError::Validation { errors, .. } = error else {
        return error;
    };
    let mut mapped = FieldErrors::new();
    for (field, messages) in errors {
        let (field, range) = match field.strip_prefix("weekly.") {
            Some(rest) => {
                let day = rest.get(..3).unwrap_or(rest).to_owned();
                let range = rest
                    .get(3..)
                    .and_then(|rest| rest.strip_prefix('['))
                    .and_then(|rest| rest.split_once(']'))
                    .and_then(|(index, _)| index.parse::<usize>().ok());
                (day, range)
            }
            None if field.starts_with("holidays") && field.ends_with(".name") => {
                ("name".to_owned(), None)
            }
            None if field.starts_with("holidays") => ("date".to_owned(), None),
            None => (field, None),
        };
        let entry = mapped.entry(field).or_default();
        for message in messages {
            let message = ranges_in_words(&message);
            entry.push(match range {
                Some(index) => format!("range {}: {message}", index + 1),
                None => message,
            });
        }
    }
    ApiError::invalid(mapped)
}

/// "overlaps weekly.mon[0] (09:00–12:00)" as "overlaps range 1 (09:00–12:00)".
fn ranges_in_words(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("weekly.") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "weekly.".len()..];
        let index = after
            .get(3..)
            .and_then(|tail| tail.strip_prefix('['))
            .and_then(|tail| tail.split_once(']'))
            .and_then(|(index, tail)| Some((index.parse::<usize>().ok()?, tail)));
        match index {
            Some((index, tail)) => {
                out.push_str(&format!("range {}", index + 1));
                rest = tail;
            }
            None => {
                out.push_str("weekly.");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

async fn calendars_page(
    state: &AppState,
    user: &PageUser,
    flash: Option<FlashMessage<'_>>,
    values: &NewCalendarForm,
    refusal: Option<&Refusal>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    admin_only(user)?;
    let me = &user.auth;
    let rows = calendars::list(state.db(), me, EVERY).await?;
    let users = departments_by_calendar(state, user).await?;
    let default = calendars::default_id(state.db(), me.organisation_id).await?;
    let mut lines = Vec::with_capacity(rows.len());
    for row in &rows {
        let (hours, _) = crate::pages::departments::hours_of(row)?;
        let (_, holidays) = calendars::decode(row)?;
        lines.push(json!({
            "id": row.id, "name": row.name, "zone": row.timezone, "hours": hours,
            "holidays": holidays.len(), "default": default == Some(row.id),
            "departments": users.get(&row.id).cloned().unwrap_or_default(),
        }));
    }
    let mut page = context(user, "Calendars", flash);
    page.insert("calendars", &lines);
    page.insert("zones", &zone_names());
    insert_form(&mut page, &NEW_FIELDS, values, refusal);
    Ok(html(
        refusal.map_or(Status::Ok, |refusal| refusal.status),
        state.views.render("pages/admin_calendars.html", &page)?,
    ))
}

/// The names of the departments on each calendar, by calendar id.
async fn departments_by_calendar(
    state: &AppState,
    user: &PageUser,
) -> Result<HashMap<i64, Vec<String>>, ApiError> {
    let mut on: HashMap<i64, Vec<String>> = HashMap::new();
    for row in departments::list(state.db(), &user.auth, EVERY).await? {
        on.entry(row.calendar_id).or_default().push(row.name);
    }
    for names in on.values_mut() {
        names.sort();
    }
    Ok(on)
}

#[get("/admin/calendars")]
async fn list(
    state: &State<AppState>,
    user: PageUser,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let timezone = crate::services::organisations::get(state.db(), &user.auth)
        .await?
        .timezone;
    let values = NewCalendarForm {
        timezone,
        ..Default::default()
    };
    Ok(calendars_page(state, &user, flash, &values, None).await?)
}

#[post("/admin/calendars", data = "<posted>")]
async fn create(state: &State<AppState>, posted: Posted<NewCalendarForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = match genuine {
        Ok(()) => {
            let input = CalendarInput {
                name: form.name.clone(),
                timezone: form.timezone.trim().to_owned(),
                weekly: WeeklyHours::office(),
                holidays: Vec::new(),
            };
            calendars::create(state.db(), &user.auth, input).await
        }
        Err(error) => Err(error),
    };
    match outcome {
        Ok(row) => Ok(FormReply::done(
            format!("/admin/calendars/{}", row.id),
            "Calendar added with Monday to Friday, 09:00–17:00: set its hours and holidays below.",
        )),
        Err(error) => {
            let refusal = Refusal::of(in_page_words(error), &NEW_FIELDS)?;
            Ok(FormReply::Again(
                calendars_page(state, &user, None, &form, Some(&refusal)).await?,
            ))
        }
    }
}

async fn calendar_page(
    state: &AppState,
    user: &PageUser,
    id: i64,
    flash: Option<FlashMessage<'_>>,
    ask: PreviewAsk,
    rejected: Option<&Rejected>,
) -> Result<(Status, RawHtml<String>), ApiError> {
    admin_only(user)?;
    let me = &user.auth;
    let row = calendars::get(state.db(), me, id).await?;
    let (weekly, holidays) = calendars::decode(&row)?;
    let zone: chrono_tz::Tz = row.timezone.parse().unwrap_or(chrono_tz::UTC);
    let mut status = Rejected::status(rejected);
    let mut page = context(user, &row.name, flash);

    let current = [
        ("name", row.name.clone()),
        ("timezone", row.timezone.clone()),
        ("mon", day_text(&weekly.mon)),
        ("tue", day_text(&weekly.tue)),
        ("wed", day_text(&weekly.wed)),
        ("thu", day_text(&weekly.thu)),
        ("fri", day_text(&weekly.fri)),
        ("sat", day_text(&weekly.sat)),
        ("sun", day_text(&weekly.sun)),
    ]
    .map(|(field, value)| (field.to_owned(), value));
    let edit = [PageForm::new("edit", &EDIT_FIELDS, rejected).filled(current)];
    let holiday = [PageForm::new("holiday", &HOLIDAY_FIELDS, rejected)];
    let import = [PageForm::new("import", &["file"], rejected)];
    insert_forms(
        &mut page,
        &[("edit", &edit), ("holiday", &holiday), ("import", &import)],
        rejected,
    );

    // The preview: when would a turnaround started now (or then) be due?
    let asked = HashMap::from([
        ("amount".to_owned(), ask.amount.clone()),
        ("unit".to_owned(), ask.unit.clone()),
        ("from".to_owned(), ask.from.clone()),
    ]);
    let mut parsed = Parsed::default();
    let turnaround = parsed.take(parse_turnaround_fields(
        &ask.amount,
        &ask.unit,
        "amount",
        "unit",
    ));
    let from = match ask.from.trim() {
        "" => Some(Utc::now()),
        text => parsed.take(local_instant(text, zone, "from")),
    };
    let preview = match (parsed.finish(), turnaround, from) {
        (Ok(()), Some(turnaround), Some(from)) => {
            holidays::due_in(&state.calendars, &row, from, turnaround)
                .map(|due| (turnaround, from, due))
        }
        (Err(error), _, _) => Err(error),
        _ => Err(ApiError::Internal(
            "a parsed preview field is missing".into(),
        )),
    };
    match preview {
        Ok((turnaround, from, due)) => {
            page.insert(
                "preview",
                &json!({
                    "turnaround": describe(turnaround),
                    "from": if ask.from.trim().is_empty() { "now".to_owned() } else { local(from, zone) },
                    "due": local(due.due, zone),
                    "clock_start": (due.clock_start > from).then(|| local(due.clock_start, zone)),
                }),
            );
            page.insert(
                "preview_form",
                &PageForm::new("preview", &PREVIEW_FIELDS, None).filled(asked),
            );
        }
        Err(error) => {
            let refused = Rejected::new("preview", asked, error, &PREVIEW_FIELDS)?;
            if rejected.is_none() {
                status = refused.refusal.status;
            }
            page.insert(
                "preview_form",
                &PageForm::new("preview", &PREVIEW_FIELDS, Some(&refused)),
            );
        }
    }
    page.insert("units", &unit_choices());
    page.insert("now_local", &local_input(Utc::now(), zone));

    let today = Utc::now().with_timezone(&zone).date_naive();
    let shown: Vec<_> = holidays
        .iter()
        .map(|holiday| {
            json!({"date": holiday.date.to_string(), "weekday": holiday.date.format("%a").to_string(),
                   "name": holiday.name, "past": holiday.date < today})
        })
        .collect();
    let users = departments_by_calendar(state, user).await?;
    page.insert(
        "calendar",
        &json!({
            "id": row.id, "name": row.name, "zone": row.timezone, "version": row.version,
            "departments": users.get(&row.id).cloned().unwrap_or_default(),
        }),
    );
    page.insert("holidays", &shown);
    page.insert(
        "days",
        &DAYS.map(|(key, label)| json!({"key": key, "label": label})),
    );
    page.insert("zones", &zone_names());
    Ok(html(
        status,
        state.views.render("pages/admin_calendar.html", &page)?,
    ))
}

#[get("/admin/calendars/<id>?<amount>&<unit>&<from>")]
async fn show(
    state: &State<AppState>,
    user: PageUser,
    id: i64,
    amount: Option<&str>,
    unit: Option<&str>,
    from: Option<&str>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let default = PreviewAsk::default();
    let ask = PreviewAsk {
        amount: amount.map_or(default.amount, str::to_owned),
        unit: unit.map_or(default.unit, str::to_owned),
        from: from.map_or(default.from, str::to_owned),
    };
    Ok(calendar_page(state, &user, id, flash, ask, None).await?)
}

/// Refused: the calendar page again, the refusal in the form `name`.
async fn again(
    state: &AppState,
    user: &PageUser,
    id: i64,
    name: &str,
    values: HashMap<String, String>,
    error: ApiError,
    fields: &[&str],
) -> PageResult<FormReply> {
    let rejected = Rejected::new(name, values, in_page_words(error), fields)?;
    Ok(FormReply::Again(
        calendar_page(
            state,
            user,
            id,
            None,
            PreviewAsk::default(),
            Some(&rejected),
        )
        .await?,
    ))
}

#[post("/admin/calendars/<id>", data = "<posted>")]
async fn edit(state: &State<AppState>, id: i64, posted: Posted<EditForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = async {
        genuine?;
        let mut parsed = Parsed::default();
        let [mon, tue, wed, thu, fri, sat, sun] = [
            (&form.mon, "mon"),
            (&form.tue, "tue"),
            (&form.wed, "wed"),
            (&form.thu, "thu"),
            (&form.fri, "fri"),
            (&form.sat, "sat"),
            (&form.sun, "sun"),
        ]
        .map(|(text, field)| parsed.take(parse_day(text, field)).unwrap_or_default());
        parsed.finish()?;
        let changes = CalendarChanges {
            name: Some(form.name.clone()),
            timezone: Some(form.timezone.trim().to_owned()),
            weekly: Some(WeeklyHours {
                mon,
                tue,
                wed,
                thu,
                fri,
                sat,
                sun,
            }),
            holidays: None,
        };
        calendars::update(
            state.db(),
            &user.auth,
            id,
            shown_version(&form.version),
            changes,
        )
        .await
    }
    .await;
    match outcome {
        Ok(_) => Ok(FormReply::done(
            format!("/admin/calendars/{id}"),
            "Saved. Due dates of requests logged from now on follow the new hours; the preview below uses them.",
        )),
        Err(error) => {
            again(
                state,
                &user,
                id,
                "edit",
                typed_values(&form),
                error,
                &EDIT_FIELDS,
            )
            .await
        }
    }
}

#[post("/admin/calendars/<id>/holidays", data = "<posted>")]
async fn add_holiday(
    state: &State<AppState>,
    id: i64,
    posted: Posted<HolidayForm>,
) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let outcome = async {
        genuine?;
        let date = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::field("date", "must be a date such as 2030-12-24"))?;
        let holiday = Holiday {
            date,
            name: form.name.trim().to_owned(),
        };
        holidays::add(state.db(), &user.auth, id, Default::default(), holiday).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(FormReply::done(
            format!("/admin/calendars/{id}"),
            &format!(
                "Holiday on {} saved: nobody's working time counts that day.",
                form.date.trim()
            ),
        )),
        Err(error) => {
            again(
                state,
                &user,
                id,
                "holiday",
                typed_values(&form),
                error,
                &HOLIDAY_FIELDS,
            )
            .await
        }
    }
}

#[post("/admin/calendars/<id>/holidays/remove", data = "<posted>")]
async fn remove_holiday(
    state: &State<AppState>,
    id: i64,
    posted: Posted<RemoveForm>,
) -> PageResult<Flash<Redirect>> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    admin_only(&user)?;
    let back = Redirect::to(format!("/admin/calendars/{id}"));
    let outcome = async {
        genuine?;
        let date = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::field("date", "must be a date such as 2030-12-24"))?;
        holidays::remove(state.db(), &user.auth, id, Default::default(), date).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(Flash::success(
            back,
            format!("Holiday on {} removed.", form.date.trim()),
        )),
        Err(error @ ApiError::NotFound(_)) => Err(error.into()),
        Err(error) => Ok(Flash::error(back, Refusal::of(error, &[])?.summary)),
    }
}

/// An `.ics` file of holidays, posted as `multipart/form-data` (its path
/// does not end in `.ics`: that is the public calendar feed's).
#[post("/admin/calendars/<id>/holidays/import", data = "<upload>")]
async fn import(
    state: &State<AppState>,
    user: PageUser,
    id: i64,
    upload: Result<Upload, ApiError>,
) -> PageResult<FormReply> {
    admin_only(&user)?;
    let outcome = async {
        let upload = upload?;
        if !constant_time_eq(upload.text("_csrf").unwrap_or_default(), &user.csrf) {
            return Err(ApiError::Forbidden(
                "the form expired or came from elsewhere; reload the page and try again".into(),
            ));
        }
        let file = upload.into_file(&["_csrf"])?;
        let bytes: Vec<u8> = file
            .payload
            .iter()
            .flat_map(|chunk| chunk.iter().copied())
            .collect();
        let (_, imported) =
            holidays::import_ics(state.db(), &user.auth, id, Default::default(), &bytes).await?;
        Ok((file.filename.unwrap_or_default(), imported))
    }
    .await;
    match outcome {
        Ok((filename, imported)) => Ok(FormReply::done(
            format!("/admin/calendars/{id}"),
            &imported_message(&filename, &imported),
        )),
        Err(error) => again(state, &user, id, "import", HashMap::new(), error, &["file"]).await,
    }
}

/// "Imported 12 holidays from holidays.ics; 2 were holidays already."
fn imported_message(filename: &str, imported: &holidays::Imported) -> String {
    let plural = |count: usize, one: &str, many: &str| {
        if count == 1 {
            format!("{count} {one}")
        } else {
            format!("{count} {many}")
        }
    };
    let from = if filename.is_empty() {
        String::new()
    } else {
        format!(" from {filename}")
    };
    let mut message = format!(
        "Imported {}{from}.",
        plural(imported.added, "holiday", "holidays")
    );
    if imported.already > 0 {
        message.push_str(&format!(
            " {} already a holiday, kept as it was.",
            plural(imported.already, "date was", "dates were")
        ));
    }
    if imported.timed_skipped > 0 {
        message.push_str(&format!(
            " {} with a time of day left out: only all-day events close a day.",
            plural(imported.timed_skipped, "event", "events")
        ));
    }
    if imported.repeating > 0 {
        message.push_str(&format!(
            " {} every year or so: only the date in the file was imported, so import next year's file too.",
            plural(imported.repeating, "event repeats", "events repeat")
        ));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_typed_as_ranges_separated_by_commas() {
        assert_eq!(
            parse_day("9:00–12:00, 13:00 - 17:00", "mon").unwrap(),
            [
                ["09:00".to_owned(), "12:00".to_owned()],
                ["13:00".to_owned(), "17:00".to_owned()]
            ]
        );
        assert!(parse_day("  ", "mon").unwrap().is_empty());
        assert!(parse_day("nine to five-ish", "mon").is_ok());
        assert!(parse_day("09:00", "mon").is_err());
    }

    #[test]
    fn the_engines_field_names_become_the_pages() {
        let mut errors = FieldErrors::new();
        errors.insert(
            "weekly.mon[1]".into(),
            vec!["overlaps weekly.mon[0] (09:00–12:00)".into()],
        );
        errors.insert("weekly.tue[0].end".into(), vec!["is not HH:MM".into()]);
        errors.insert("holidays[3].name".into(), vec!["too long".into()]);
        let ApiError::Validation { errors, .. } = in_page_words(ApiError::invalid(errors)) else {
            panic!("still a validation error");
        };
        assert_eq!(errors["mon"], ["range 2: overlaps range 1 (09:00–12:00)"]);
        assert_eq!(errors["tue"], ["range 1: is not HH:MM"]);
        assert_eq!(errors["name"], ["too long"]);
    }
}
