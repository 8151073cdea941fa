//! The OpenAPI 3.1 document generated from the handlers' annotations, and a
//! browsable page whose scripts and styles Baton serves itself.

mod parameters;
mod problems;

use parameters::ParameterBounds;
use problems::ProblemResponses;

use rocket::http::ContentType;
use rocket::response::content::RawHtml;
use rocket::{Route, get, routes};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{
    accounts, agreements, attachments, calendars, comments, commitments, contacts, departments,
    events, mail, notifications, organisation, pulses, reports, requests, reviews, thanks, users,
    views, webhooks,
};

pub fn api_routes() -> Vec<Route> {
    routes![openapi_json]
}

/// The docs page and its assets, mounted at `/api/docs`.
pub fn page_routes() -> Vec<Route> {
    routes![docs_page, swagger_script, swagger_init, swagger_styles]
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Baton API", description = "Service agreements between departments and the delays that reach external customers."),
    modifiers(&BearerAuth, &ApiPrefix, &ParameterBounds, &ProblemResponses),
    paths(
        accounts::signup, accounts::login, accounts::ask_reset, accounts::confirm_reset,
        users::create, users::list, users::show, users::update, users::deactivate,
        departments::create, departments::list, departments::show, departments::update,
        departments::remove,
        calendars::create, calendars::list, calendars::show, calendars::update, calendars::remove,
        calendars::due, calendars::working_time,
        organisation::show, organisation::update,
        agreements::create, agreements::list, agreements::show, agreements::update,
        agreements::propose, agreements::accept, agreements::decline, agreements::retire,
        agreements::calibration, agreements::history,
        requests::create, requests::list, requests::show, requests::update,
        requests::start, requests::pause, requests::resume, requests::forecast,
        requests::deliver, requests::accept, requests::reopen, requests::cancel,
        requests::rate, requests::history,
        comments::add, comments::list, comments::edit,
        thanks::thank, thanks::of_request, thanks::of_department,
        pulses::list, pulses::show, pulses::answer, pulses::respond,
        contacts::plan, contacts::record,
        attachments::upload, attachments::list, attachments::download,
        views::save, views::list, views::remove,
        notifications::list, notifications::mark_read, notifications::mark_all_read,
        commitments::create, commitments::list, commitments::show, commitments::update,
        commitments::fulfil, commitments::cancel, commitments::project, commitments::forecast,
        commitments::history,
        reports::health, reports::matrix, reports::trend, reports::impact,
        reviews::create, reviews::list, reviews::show, reviews::update, reviews::agenda,
        reviews::hold, reviews::add_action, reviews::review_actions, reviews::actions,
        reviews::show_action,
        reviews::update_action, reviews::issue_feed_token, reviews::revoke_feed_token,
        reviews::calendar_feed,
        events::audit_log,
        mail::list, mail::resend, mail::show_preferences, mail::set_preferences,
        webhooks::create, webhooks::list, webhooks::show, webhooks::update, webhooks::remove,
        webhooks::delivery_log, webhooks::redeliver, webhooks::ping,
    ),
    components(schemas(crate::error::Problem))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Handlers declare paths relative to the API root; the document shows them
/// as clients call them.
struct ApiPrefix;

impl Modify for ApiPrefix {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let paths = std::mem::take(&mut openapi.paths.paths);
        openapi.paths.paths = paths
            .into_iter()
            .map(|(path, item)| (format!("/api/v1{path}"), item))
            .collect();
    }
}

#[get("/openapi.json")]
fn openapi_json() -> (ContentType, String) {
    let document = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    (ContentType::JSON, document)
}

#[get("/")]
fn docs_page() -> RawHtml<&'static str> {
    RawHtml(DOCS_PAGE)
}

#[get("/swagger-ui-bundle.js")]
fn swagger_script() -> (ContentType, &'static [u8]) {
    (
        ContentType::JavaScript,
        include_bytes!("../../static/vendor/swagger-ui/swagger-ui-bundle.js"),
    )
}

/// The start-up script, a file rather than inline: the Content-Security-Policy
/// runs no inline script.
#[get("/swagger-init.js")]
fn swagger_init() -> (ContentType, &'static str) {
    (
        ContentType::JavaScript,
        "window.ui = SwaggerUIBundle({ url: \"/api/v1/openapi.json\", dom_id: \"#swagger-ui\" });\n",
    )
}

#[get("/swagger-ui.css")]
fn swagger_styles() -> (ContentType, &'static [u8]) {
    (
        ContentType::CSS,
        include_bytes!("../../static/vendor/swagger-ui/swagger-ui.css"),
    )
}

const DOCS_PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Baton API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
  <noscript>The interactive view needs JavaScript; the raw document is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/swagger-init.js"></script>
</body>
</html>
"##;
