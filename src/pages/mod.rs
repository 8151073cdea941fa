//! The web interface: server-rendered pages over the same services as the
//! API, for people who never call it. A browser session is the same signed
//! token as the API's, kept in an HttpOnly, SameSite=Strict, Secure cookie;
//! every form carries the session's CSRF token.

// Page handlers answer with Rocket's `Redirect`/`Flash` as their error:
// large values, but made once per request and handed straight to Rocket,
// so boxing them would buy nothing.
#![allow(clippy::result_large_err)]

mod agreements;
mod commitments;
mod departments;
mod graph;
mod home;
mod notifications;
mod requests;
mod reviews;
mod session;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rocket::Route;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use sea_orm::EntityTrait;
use serde::Serialize;
use tera::Context;

use crate::entities::user;
use crate::error::{ApiError, FieldErrors};
use crate::http::SESSION_COOKIE;
use crate::identity::AuthUser;
use crate::identity::actor_for_token;
use crate::state::AppState;
use crate::time::Turnaround;

pub fn routes() -> Vec<Route> {
    [
        session::routes(),
        home::routes(),
        notifications::routes(),
        requests::routes(),
        agreements::routes(),
        commitments::routes(),
        reviews::routes(),
        departments::routes(),
    ]
    .concat()
}

/// The signed-in person of a page request, if any.
pub struct Session(Option<PageUser>);

/// A signed-in person, with what the pages need to show and to post forms.
#[derive(Clone)]
pub struct PageUser {
    pub auth: AuthUser,
    pub name: String,
    pub csrf: String,
    /// Unread notifications, counted beside the link to them on every page.
    pub unread: u64,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Session {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = request.rocket().state::<AppState>() else {
            return Outcome::Success(Session(None));
        };
        let Some(token) = request
            .cookies()
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
        else {
            return Outcome::Success(Session(None));
        };
        let Ok(auth) = actor_for_token(&state.db, &state.keys, &token).await else {
            return Outcome::Success(Session(None));
        };
        let name = user::Entity::find_by_id(auth.id)
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .map(|row| row.name)
            .unwrap_or_default();
        let unread = crate::services::notifications::unread_count(&state.db, &auth)
            .await
            .unwrap_or_default();
        Outcome::Success(Session(Some(PageUser {
            csrf: state.keys.csrf_token(&token),
            auth,
            name,
            unread,
        })))
    }
}

impl Session {
    /// The signed-in person, or a redirect to the login page.
    pub fn require(self) -> Result<PageUser, Redirect> {
        self.0.ok_or_else(|| Redirect::to("/login"))
    }
}

/// What a page handler answers: a page, or a redirect (to log in, or after a form).
pub type PageResult<T> = Result<T, PageError>;

#[derive(Debug, rocket::Responder)]
pub enum PageError {
    Redirect(Redirect),
    Flash(Flash<Redirect>),
    Problem(ApiError),
}

impl From<Redirect> for PageError {
    fn from(redirect: Redirect) -> Self {
        PageError::Redirect(redirect)
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError::Problem(error)
    }
}

/// What a form post answers: on success, a redirect with a message; when
/// refused, the same form again (with the refusal's status), keeping what
/// was typed and showing each message next to its field. Rendering in
/// place rather than redirecting means nothing typed is lost and no
/// errors need carrying through a cookie.
// Large like `PageError` above, for the same reason: made once per request.
#[allow(clippy::large_enum_variant)]
#[derive(rocket::Responder)]
pub enum FormReply {
    Done(Flash<Redirect>),
    Again((Status, RawHtml<String>)),
}

impl FormReply {
    pub fn done(to: String, message: &str) -> Self {
        FormReply::Done(Flash::success(Redirect::to(to), message))
    }
}

/// A refused form post, sorted for showing: the messages of fields the
/// form has go next to those fields; everything else goes in the summary
/// at the top (a 403 or 409 is all summary).
#[derive(Debug)]
pub struct Refusal {
    pub status: Status,
    pub summary: String,
    pub errors: FieldErrors,
}

impl Refusal {
    /// Sorts `error` for a form whose inputs are `fields`. An internal error
    /// is no refusal: it stays an error (logged, never shown).
    pub fn of(error: ApiError, fields: &[&str]) -> Result<Refusal, ApiError> {
        if matches!(error, ApiError::Internal(_)) {
            return Err(error);
        }
        let problem = error.problem();
        let mut errors = FieldErrors::new();
        let mut elsewhere = FieldErrors::new();
        for (field, messages) in problem.errors {
            if fields.contains(&field.as_str()) {
                errors.insert(field, messages);
            } else {
                elsewhere.insert(field, messages);
            }
        }
        let summary = match (error, elsewhere.is_empty()) {
            (ApiError::Validation { .. }, true) => {
                "Some values need correcting; each is explained next to its field.".to_owned()
            }
            (ApiError::Validation { .. }, false) => {
                format!("Some values need correcting: {}", field_messages(&elsewhere))
            }
            (ApiError::Stale, _) => "Someone changed this since you opened the page: reload it to see their change, then make yours again.".to_owned(),
            (other, _) => other.to_string(),
        };
        Ok(Refusal {
            status: problem_status(problem.status),
            summary,
            errors,
        })
    }
}

/// Field errors as one line: "field: message; message — field: …".
fn field_messages(errors: &FieldErrors) -> String {
    errors
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join("; ")))
        .collect::<Vec<_>>()
        .join(" — ")
}

fn problem_status(code: u16) -> Status {
    Status::from_code(code).unwrap_or(Status::UnprocessableEntity)
}

/// Puts a form's state into its page: `values` as typed, `errors` with an
/// entry (possibly empty) for every field so templates can read
/// `errors.title` unconditionally, `first_error` (the field to focus), and
/// the refusal's summary as `problem`.
pub fn insert_form(
    page: &mut Context,
    fields: &[&str],
    values: &impl Serialize,
    refusal: Option<&Refusal>,
) {
    let mut errors = FieldErrors::new();
    for field in fields {
        errors.insert((*field).to_owned(), Vec::new());
    }
    let mut first_error = "";
    if let Some(refusal) = refusal {
        for (field, messages) in &refusal.errors {
            errors.insert(field.clone(), messages.clone());
        }
        first_error = fields
            .iter()
            .find(|field| refusal.errors.contains_key(**field))
            .copied()
            .unwrap_or("");
        page.insert("problem", &refusal.summary);
    }
    page.insert("values", values);
    page.insert("errors", &errors);
    page.insert("first_error", first_error);
}

/// A refused post of one of a page's several forms (a request's moves, a
/// review's actions): which form, what was typed, and why. The page is
/// shown again with the refusal inside that form, as [`PageForm`]s.
pub struct Rejected {
    pub form: String,
    pub values: HashMap<String, String>,
    pub refusal: Refusal,
}

impl Rejected {
    /// Sorts `error` for the form `form` whose inputs are `fields`; an
    /// internal error stays an error.
    pub fn new(
        form: impl Into<String>,
        values: HashMap<String, String>,
        error: ApiError,
        fields: &[&str],
    ) -> Result<Rejected, ApiError> {
        Ok(Rejected {
            form: form.into(),
            values,
            refusal: Refusal::of(error, fields)?,
        })
    }

    /// The status of the page showing `rejected`: the refusal's, else 200.
    pub fn status(rejected: Option<&Rejected>) -> Status {
        rejected.map_or(Status::Ok, |rejected| rejected.refusal.status)
    }
}

/// What was typed into a form, by input name: the form struct's string
/// fields (those it serialises; the CSRF token it skips).
pub fn typed_values(values: &impl Serialize) -> HashMap<String, String> {
    match serde_json::to_value(values) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter_map(|(field, value)| Some((field, value.as_str()?.to_owned())))
            .collect(),
        _ => HashMap::new(),
    }
}

/// One form among several on a page, as its template reads it: `values`
/// and `errors` hold an entry (possibly empty) for every field, so the
/// template reads `form.errors.reason` unconditionally; `problem` is the
/// refusal's summary, shown at the form rather than at the top of the page.
#[derive(Serialize)]
pub struct PageForm {
    pub name: String,
    pub values: HashMap<String, String>,
    pub errors: FieldErrors,
    pub first_error: String,
    pub problem: Option<String>,
}

impl PageForm {
    /// The form `name` with inputs `fields`: blank, or as refused when
    /// `rejected` is this form's refusal.
    pub fn new(name: impl Into<String>, fields: &[&str], rejected: Option<&Rejected>) -> PageForm {
        let name = name.into();
        let mut form = PageForm {
            values: fields
                .iter()
                .map(|f| ((*f).to_owned(), String::new()))
                .collect(),
            errors: fields
                .iter()
                .map(|f| ((*f).to_owned(), Vec::new()))
                .collect(),
            first_error: String::new(),
            problem: None,
            name,
        };
        let Some(rejected) = rejected.filter(|rejected| rejected.form == form.name) else {
            return form;
        };
        for (field, value) in &rejected.values {
            form.values.insert(field.clone(), value.clone());
        }
        for (field, messages) in &rejected.refusal.errors {
            form.errors.insert(field.clone(), messages.clone());
        }
        form.first_error = fields
            .iter()
            .find(|field| rejected.refusal.errors.contains_key(**field))
            .map_or_else(String::new, |field| (*field).to_owned());
        form.problem = Some(rejected.refusal.summary.clone());
        form
    }

    /// Fills the inputs with `values` (the current terms, say), unless the
    /// form comes back refused: then it keeps what was typed.
    pub fn filled(mut self, values: impl IntoIterator<Item = (String, String)>) -> Self {
        if self.problem.is_none() {
            self.values.extend(values);
        }
        self
    }
}

/// Puts a page's forms in it, each group under its key; a refusal of a form
/// the page no longer offers (a move made twice, from a stale page) goes in
/// the summary at the top instead, so it is never lost.
pub fn insert_forms(
    page: &mut Context,
    groups: &[(&str, &[PageForm])],
    rejected: Option<&Rejected>,
) {
    let shown = |name: &str| {
        groups
            .iter()
            .any(|(_, forms)| forms.iter().any(|form| form.name == name))
    };
    if let Some(rejected) = rejected
        && !shown(&rejected.form)
    {
        let refusal = &rejected.refusal;
        let mut message = refusal.summary.clone();
        if !refusal.errors.is_empty() {
            message = format!("Not saved: {}", field_messages(&refusal.errors));
        }
        page.insert("problem", &message);
    }
    for (key, forms) in groups {
        page.insert(*key, forms);
    }
}

/// Request numbers typed as "12, #15 17" (empty is none); an unreadable
/// list is a field error on `field`.
pub fn parse_ids(text: &str, field: &str) -> Result<Vec<i64>, ApiError> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.trim_start_matches('#').parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::field(
                field,
                "list request numbers separated by commas, e.g. 12, 15",
            )
        })
}

/// An id chosen in a `<select>`; nothing chosen is a field error.
pub fn parse_choice(text: &str, field: &str, what: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::field(field, format!("choose {what}")))
}

/// A whole number typed in a field; empty is `None`.
pub fn parse_number(text: &str, field: &str) -> Result<Option<i64>, ApiError> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field(field, "must be a whole number")),
    }
}

/// A turnaround typed as an amount and a unit, its errors named after the
/// form's own inputs `amount_field` and `unit_field`.
pub fn parse_turnaround_fields(
    amount: &str,
    unit: &str,
    amount_field: &str,
    unit_field: &str,
) -> Result<Turnaround, ApiError> {
    let amount = Some(amount.trim()).filter(|text| !text.is_empty());
    let unit = Some(unit.trim()).filter(|text| !text.is_empty());
    crate::routes::parse_turnaround(amount, unit).map_err(|error| {
        let mut errors = FieldErrors::new();
        for (field, messages) in error.problem().errors {
            let field = match field.as_str() {
                "amount" => amount_field.to_owned(),
                "unit" => unit_field.to_owned(),
                _ => field,
            };
            errors.entry(field).or_default().extend(messages);
        }
        ApiError::invalid(errors)
    })
}

/// Collects the field errors of several parses into one refusal, so a form
/// shows every problem at once.
#[derive(Default)]
pub struct Parsed {
    errors: FieldErrors,
}

impl Parsed {
    /// The value, or `None` with its field errors kept.
    pub fn take<T>(&mut self, result: Result<T, ApiError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(ApiError::Validation { errors, .. }) => {
                for (field, messages) in errors {
                    self.errors.entry(field).or_default().extend(messages);
                }
                None
            }
            Err(other) => {
                self.errors
                    .entry("form".into())
                    .or_default()
                    .push(other.to_string());
                None
            }
        }
    }

    /// `Ok` when every parse succeeded, else one 422 with all the errors.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.errors))
        }
    }
}

/// A `<select>` option; values are strings so templates compare them with
/// what was typed.
#[derive(Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Departments as choices, by name; `only` limits them to the given ids.
pub fn department_choices(
    names: &std::collections::HashMap<i64, String>,
    only: Option<&[i64]>,
) -> Vec<Choice> {
    let mut choices: Vec<(&i64, &String)> = names
        .iter()
        .filter(|(id, _)| only.is_none_or(|only| only.contains(id)))
        .collect();
    choices.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
    choices
        .into_iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
        })
        .collect()
}

/// The turnaround units, for a `<select>`.
pub fn unit_choices() -> Vec<Choice> {
    [
        ("business_hours", "business hours"),
        ("business_days", "business days"),
        ("calendar_hours", "calendar hours"),
        ("calendar_days", "calendar days"),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value: value.into(),
        label: label.into(),
    })
    .collect()
}

/// A page answered with a status other than 200 (a form shown again, or a
/// form the signed-in person may not use, with the reason).
pub fn html(status: Status, body: String) -> (Status, RawHtml<String>) {
    (status, RawHtml(body))
}

/// The context every page starts from: who is signed in and any flash.
pub fn context(user: &PageUser, title: &str, flash: Option<FlashMessage<'_>>) -> Context {
    let mut context = Context::new();
    context.insert("title", title);
    context.insert("me", &Me::from(user));
    context.insert("csrf", &user.csrf);
    if let Some(flash) = flash {
        context.insert("flash_kind", flash.kind());
        context.insert("flash", flash.message());
    }
    context
}

#[derive(Serialize)]
struct Me {
    id: i64,
    name: String,
    role: &'static str,
    department_id: Option<i64>,
    unread: u64,
}

impl From<&PageUser> for Me {
    fn from(user: &PageUser) -> Self {
        Me {
            id: user.auth.id,
            name: user.name.clone(),
            role: user.auth.role.as_str(),
            department_id: user.auth.department_id,
            unread: user.unread,
        }
    }
}

/// Checks a form's CSRF token against the session's.
pub fn check_csrf(user: &PageUser, token: &str) -> Result<(), ApiError> {
    if token == user.csrf {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "the form expired or came from elsewhere; reload the page and try again".into(),
        ))
    }
}

pub fn session_cookie(token: String, max_age: rocket::time::Duration) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(max_age)
        .build()
}

pub fn clear_session(jar: &CookieJar<'_>) {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
}

/// A `datetime-local` field ("2026-03-06T15:00"), read in the organisation's
/// time zone; an RFC 3339 instant is accepted as well.
pub fn local_instant(
    text: &str,
    zone: chrono_tz::Tz,
    field: &str,
) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|local| zone.from_local_datetime(&local).earliest())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| ApiError::field(field, "must be a date and time such as 2026-03-06T15:00"))
}

/// Department names of the organisation, by id.
pub async fn department_names(
    db: &impl sea_orm::ConnectionTrait,
    organisation_id: i64,
) -> Result<std::collections::HashMap<i64, String>, ApiError> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Ok(crate::entities::department::Entity::find()
        .filter(crate::entities::department::Column::OrganisationId.eq(organisation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row.name))
        .collect())
}

/// The organisation's time zone, for reading and showing local times.
pub async fn organisation_zone(
    db: &impl sea_orm::ConnectionTrait,
    organisation_id: i64,
) -> Result<chrono_tz::Tz, ApiError> {
    use sea_orm::EntityTrait;
    Ok(
        crate::entities::organisation::Entity::find_by_id(organisation_id)
            .one(db)
            .await?
            .and_then(|row| row.timezone.parse().ok())
            .unwrap_or(chrono_tz::UTC),
    )
}

/// An instant as a `datetime-local` field shows it, in `zone`.
pub fn local_input(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()
}

/// An instant as people read it: local time in the organisation's zone.
pub fn local(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone)
        .format("%a %Y-%m-%d %H:%M %Z")
        .to_string()
}
