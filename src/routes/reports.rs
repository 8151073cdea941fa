//! `/reports/*`: the leadership reports of SPEC §6 — health, the provider ×
//! customer matrix, the weekly trend of one group and the impact on external
//! commitments — each as JSON (default), CSV (`Accept: text/csv`) or an HTML
//! page with server-drawn SVG charts (`Accept: text/html`).

mod charts;
pub mod csv;
mod format;
pub mod pages;

use chrono::Utc;
use rocket::{Route, State, get, routes};
use serde::Serialize;
use tera::Context;

use crate::error::{ApiError, ApiResult};
use crate::http::query_id;
use crate::identity::AuthUser;
use crate::services::reports::health::HealthReport;
use crate::services::reports::impact::ImpactReport;
use crate::services::reports::matrix::MatrixReport;
use crate::services::reports::trend::TrendReport;
use crate::services::reports::{self, GroupBy, GroupKey, Viewer};
use crate::state::AppState;

pub use format::{Format, Rendered};

pub fn routes() -> Vec<Route> {
    routes![health, matrix, trend, impact]
}

/// One report in the format asked for.
fn render<T: Serialize>(
    state: &AppState,
    format: Format,
    report: &T,
    csv: impl FnOnce(&T) -> String,
    template: &str,
    page: impl FnOnce(&T) -> Context,
) -> ApiResult<Rendered> {
    match format {
        Format::Json => Rendered::json(report),
        Format::Csv => Ok(Rendered::csv(csv(report))),
        Format::Html => Ok(Rendered::html(state.views.render(template, &page(report))?)),
    }
}

/// Health figures per agreement, provider, customer or pair over `[from, to)`.
///
/// Leads and staff get only their department's rows.
#[utoipa::path(get, path = "/reports/health", tag = "reports", security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, description = "RFC 3339 instant or date (midnight in the organisation's time zone); default 90 days before `to`"),
        ("to" = Option<String>, Query, description = "End of the window, excluded; default now"),
        ("group_by" = Option<String>, Query, description = "`agreement | provider | customer | pair` (default `pair`)")),
    responses(
        (status = 200, description = "JSON, or CSV / an HTML page as the `Accept` header asks",
         content((HealthReport = "application/json"), (String = "text/csv"), (String = "text/html"))),
        (status = 401, body = crate::error::Problem),
        (status = 422, description = "bad dates, from ≥ to, unknown group_by", body = crate::error::Problem)))]
#[get("/reports/health?<from>&<to>&<group_by>")]
async fn health(
    state: &State<AppState>,
    actor: AuthUser,
    format: Format,
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
) -> ApiResult<Rendered> {
    let viewer = Viewer::of(&actor);
    let now = Utc::now();
    let group_by = GroupBy::parse(group_by)?;
    let window = reports::window(state.db(), &viewer, from, to, now).await?;
    let report = reports::health::health(state.db(), &viewer, window, group_by, now).await?;
    render(
        state,
        format,
        &report,
        csv::health,
        "reports/health.html",
        pages::health,
    )
}

/// Provider × customer on-time figures over `[from, to)`.
///
/// Leads and staff get the cells where their department provides or receives.
#[utoipa::path(get, path = "/reports/matrix", tag = "reports", security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, description = "RFC 3339 instant or date; default 90 days before `to`"),
        ("to" = Option<String>, Query, description = "End of the window, excluded; default now")),
    responses(
        (status = 200, description = "JSON, or CSV / an HTML heat map as the `Accept` header asks",
         content((MatrixReport = "application/json"), (String = "text/csv"), (String = "text/html"))),
        (status = 401, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
#[get("/reports/matrix?<from>&<to>")]
async fn matrix(
    state: &State<AppState>,
    actor: AuthUser,
    format: Format,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<Rendered> {
    let viewer = Viewer::of(&actor);
    let now = Utc::now();
    let window = reports::window(state.db(), &viewer, from, to, now).await?;
    let report = reports::matrix::matrix(state.db(), &viewer, window, now).await?;
    render(
        state,
        format,
        &report,
        csv::matrix,
        "reports/matrix.html",
        pages::matrix,
    )
}

/// The health figures of one group for every ISO week of `[from, to)`.
///
/// Name the group with `group_by` and its key: `agreement=ID`,
/// `provider=ID`, `customer=ID`, or `provider=ID&customer=ID` for a pair.
/// Leads and staff may only ask for groups of their own department (403).
#[utoipa::path(get, path = "/reports/trend", tag = "reports", security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, description = "RFC 3339 instant or date; default 90 days before `to`"),
        ("to" = Option<String>, Query, description = "End of the window, excluded; default now; at most 156 weeks after `from`"),
        ("group_by" = String, Query, description = "`agreement | provider | customer | pair`"),
        ("agreement" = Option<i64>, Query, description = "With group_by=agreement"),
        ("provider" = Option<i64>, Query, description = "With group_by=provider or pair"),
        ("customer" = Option<i64>, Query, description = "With group_by=customer or pair")),
    responses(
        (status = 200, description = "JSON, or CSV / an HTML line chart as the `Accept` header asks",
         content((TrendReport = "application/json"), (String = "text/csv"), (String = "text/html"))),
        (status = 401, body = crate::error::Problem),
        (status = 403, description = "a group of another department", body = crate::error::Problem),
        (status = 422, description = "bad dates, unknown group or missing key", body = crate::error::Problem)))]
#[allow(clippy::too_many_arguments)]
#[get("/reports/trend?<from>&<to>&<group_by>&<agreement>&<provider>&<customer>")]
async fn trend(
    state: &State<AppState>,
    actor: AuthUser,
    format: Format,
    from: Option<&str>,
    to: Option<&str>,
    group_by: Option<&str>,
    agreement: Option<&str>,
    provider: Option<&str>,
    customer: Option<&str>,
) -> ApiResult<Rendered> {
    let viewer = Viewer::of(&actor);
    let now = Utc::now();
    let group_by = match group_by {
        Some(_) => GroupBy::parse(group_by)?,
        None => {
            return Err(ApiError::field(
                "group_by",
                "is required: agreement, provider, customer or pair",
            ));
        }
    };
    let key = GroupKey {
        agreement_id: query_id("agreement", agreement)?,
        provider_department_id: query_id("provider", provider)?,
        customer_department_id: query_id("customer", customer)?,
    };
    let window = reports::window(state.db(), &viewer, from, to, now).await?;
    let report = reports::trend::trend(state.db(), &viewer, window, group_by, key, now).await?;
    render(
        state,
        format,
        &report,
        csv::trend,
        "reports/trend.html",
        pages::trend,
    )
}

/// Open commitments by risk, and departments ranked by the own slip they put
/// on late or at-risk commitments, with the commitments behind each figure.
///
/// Projected afresh as of `as_of`. Leads and staff see every commitment
/// (commitments are readable by all) but only their own department's rank.
/// As CSV, `table=departments` (default) gives the ranking and
/// `table=commitments` the commitments.
#[utoipa::path(get, path = "/reports/impact", tag = "reports", security(("bearer" = [])),
    params(
        ("as_of" = Option<String>, Query, description = "RFC 3339; default now"),
        ("table" = Option<String>, Query, description = "CSV only: `departments` (default) or `commitments`")),
    responses(
        (status = 200, description = "JSON, or CSV / an HTML page with bars as the `Accept` header asks",
         content((ImpactReport = "application/json"), (String = "text/csv"), (String = "text/html"))),
        (status = 401, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
#[get("/reports/impact?<as_of>&<table>")]
async fn impact(
    state: &State<AppState>,
    actor: AuthUser,
    format: Format,
    as_of: Option<&str>,
    table: Option<&str>,
) -> ApiResult<Rendered> {
    let viewer = Viewer::of(&actor);
    let as_of = crate::validate::optional_query_instant("as_of", as_of)?.unwrap_or_else(Utc::now);
    let csv_table: fn(&ImpactReport) -> String = match table {
        None | Some("departments") => csv::impact_departments,
        Some("commitments") => csv::impact_commitments,
        Some(_) => {
            return Err(ApiError::field(
                "table",
                "must be departments or commitments",
            ));
        }
    };
    let report = reports::impact::impact(state.db(), &state.calendars, &viewer, as_of).await?;
    render(
        state,
        format,
        &report,
        csv_table,
        "reports/impact.html",
        pages::impact,
    )
}
