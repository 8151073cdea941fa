//! The reports inside the application. The four reports of
//! `/api/v1/reports/*` (service health, the provider × customer matrix, one
//! group's weekly trend, the impact on promises to outside customers) each
//! in the layout, with a period picker, a grouping switch and a link to the
//! same figures as CSV; and `/reports`, the leadership dashboard: how the
//! internal service stands and which promises to outside customers are in
//! danger because of whom, on one screen.
//!
//! The figures come from `services::reports`, formatted by the same code as
//! the API's printable pages (`routes::reports::pages`), so a page and the
//! API never disagree.
//!
//! The period is picked as people say it: from one day *until* another,
//! both included. The API's `to` excludes its end, so `until` is read as the
//! midnight after it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};
use serde::Serialize;
use serde_json::json;
use tera::Context;

use super::{PageResult, PageUser, context, department_names, html};
use crate::entities::ids::DepartmentId;
use crate::error::ApiError;
use crate::http::QueryPairs;
use crate::identity::AuthUser;
use crate::projection::attribution::RootCauseKind;
use crate::routes::reports::{Rendered, csv as report_csv, pages as report_pages};
use crate::services::reports::health::HealthReport;
use crate::services::reports::impact::ImpactReport;
use crate::services::reports::matrix::MatrixReport;
use crate::services::reports::trend::TrendReport;
use crate::services::reports::{self, GroupBy, GroupKey, Viewer, Window};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![
        dashboard, health, health_csv, matrix, matrix_csv, trend, trend_csv, impact, impact_csv
    ]
}

/// The dashboard's default period: the last four weeks.
const DASHBOARD_DAYS: i64 = 28;

/// The picked period and grouping, as the query string gives them.
struct Picked<'q> {
    query: &'q QueryPairs,
}

impl<'q> Picked<'q> {
    fn new(query: &'q QueryPairs) -> Self {
        Picked { query }
    }

    /// A value, an empty input counting as none.
    fn get(&self, key: &str) -> Option<&'q str> {
        self.query.get(key).filter(|value| !value.trim().is_empty())
    }

    /// The API's `to`: the midnight after `until`.
    fn to(&self) -> Result<Option<String>, ApiError> {
        let Some(until) = self.get("until") else {
            return Ok(None);
        };
        NaiveDate::parse_from_str(until.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|day| day.succ_opt())
            .map(|day| Some(day.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| ApiError::field("until", "must be a date such as 2026-03-31"))
    }

    async fn window(
        &self,
        state: &AppState,
        viewer: &Viewer,
        default_days: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Window, ApiError> {
        let to = self.to()?;
        let default_from = match (self.get("from"), default_days) {
            (None, Some(days)) => Some((now - Duration::days(days)).to_rfc3339()),
            _ => None,
        };
        let from = self.get("from").or(default_from.as_deref());
        reports::window(state.db(), viewer, from, to.as_deref(), now).await
    }

    /// The query string that picks the same period (for links between reports).
    fn period_query(&self) -> String {
        ["from", "until"]
            .into_iter()
            .filter_map(|key| {
                self.get(key)
                    .map(|value| (key.to_owned(), value.to_owned()))
            })
            .map(|(key, value)| format!("{key}={}", urlencoding(&value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Dates and ids are all these query strings carry; anything else is
/// percent-encoded all the same.
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The picker's state in the page: the window as dates in the
/// organisation's zone (`until` the last day included), and quick periods.
fn picker(user: &PageUser, window: Option<Window>, picked: &Picked<'_>) -> serde_json::Value {
    let zone = user.zone;
    let day = |at: DateTime<Utc>| at.with_timezone(&zone).date_naive();
    let (from, until) = match window {
        Some(window) => (
            day(window.from).format("%Y-%m-%d").to_string(),
            day(window.to - Duration::seconds(1))
                .format("%Y-%m-%d")
                .to_string(),
        ),
        None => (
            picked.get("from").unwrap_or_default().to_owned(),
            picked.get("until").unwrap_or_default().to_owned(),
        ),
    };
    let today = day(Utc::now());
    let quick: Vec<_> = [
        ("Last 4 weeks", 28),
        ("Last 13 weeks", 91),
        ("Last 12 months", 365),
    ]
    .into_iter()
    .map(|(label, days)| {
        json!({"label": label, "from": (today - Duration::days(days - 1)).format("%Y-%m-%d").to_string(),
               "until": today.format("%Y-%m-%d").to_string()})
    })
    .collect();
    json!({"from": from, "until": until, "quick": quick})
}

/// A refusal of the picked values in one sentence, named as the picker names them.
fn refusal_words(error: &ApiError) -> String {
    match error {
        ApiError::Validation { errors, .. } => errors
            .iter()
            .flat_map(|(field, messages)| {
                let field = if field == "to" {
                    "until"
                } else {
                    field.as_str()
                };
                messages.iter().map(move |m| format!("{field} {m}"))
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// The page of a report, or the picker with the reason when what was
/// picked cannot be read (422); any other refusal is the error page.
/// `page` is the context so far: who reads it, and any switch of its own.
#[allow(clippy::too_many_arguments)]
async fn report_page<T>(
    state: &AppState,
    user: &PageUser,
    mut page: Context,
    picked: &Picked<'_>,
    kind: &str,
    keep: String,
    found: Result<T, ApiError>,
    window: impl Fn(&T) -> Window,
    layout: impl FnOnce(&T) -> Context,
) -> PageResult<(Status, RawHtml<String>)> {
    let status = match found {
        Ok(report) => {
            page.insert("picker", &picker(user, Some(window(&report)), picked));
            page.extend(layout(&report));
            Status::Ok
        }
        Err(error @ ApiError::Validation { .. }) => {
            page.insert("picker", &picker(user, None, picked));
            page.insert(
                "problem",
                &format!("This period cannot be shown: {}.", refusal_words(&error)),
            );
            Status::UnprocessableEntity
        }
        Err(error) => return Err(error.into()),
    };
    let period = picked.period_query();
    let csv_query = [period.as_str(), keep.as_str()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("&");
    page.insert("csv_query", &csv_query);
    page.insert("report", kind);
    page.insert("keep", &keep);
    page.insert("period", &period);
    Ok(html(
        status,
        state.views.render(&format!("reports/{kind}.html"), &page)?,
    ))
}

/// A grouping in people's words.
fn grouping_words(group: GroupBy) -> &'static str {
    match group {
        GroupBy::Agreement => "Agreement",
        GroupBy::Provider => "Providing department",
        GroupBy::Customer => "Customer department",
        GroupBy::Pair => "Provider and customer",
    }
}

async fn health_report(
    state: &AppState,
    actor: &AuthUser,
    picked: &Picked<'_>,
) -> Result<HealthReport, ApiError> {
    let viewer = Viewer::of(actor);
    let now = Utc::now();
    let group_by = GroupBy::parse(picked.get("group_by"))?;
    let window = picked.window(state, &viewer, None, now).await?;
    reports::health::health(state.db(), &viewer, window, group_by, now).await
}

#[get("/reports/health")]
async fn health(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
) -> PageResult<(Status, RawHtml<String>)> {
    let picked = Picked::new(&query);
    let found = health_report(state, &user.auth, &picked).await;
    let chosen = GroupBy::parse(picked.get("group_by"))
        .map(|group| group.as_str())
        .unwrap_or("pair");
    let groupings: Vec<_> = GroupBy::ALL
        .into_iter()
        .map(|group| json!({"value": group.as_str(), "label": grouping_words(group), "chosen": group.as_str() == chosen}))
        .collect();
    let mut page = context(&user, "Service health", None);
    page.insert("groupings", &groupings);
    report_page(
        state,
        &user,
        page,
        &picked,
        "health",
        format!("group_by={chosen}"),
        found,
        |report| report.window,
        report_pages::health,
    )
    .await
}

#[get("/reports/health.csv")]
async fn health_csv(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
) -> PageResult<Rendered> {
    let report = health_report(state, &user.auth, &Picked::new(&query)).await?;
    Ok(Rendered::csv(report_csv::health(&report)))
}

async fn matrix_report(
    state: &AppState,
    actor: &AuthUser,
    picked: &Picked<'_>,
) -> Result<MatrixReport, ApiError> {
    let viewer = Viewer::of(actor);
    let now = Utc::now();
    let window = picked.window(state, &viewer, None, now).await?;
    reports::matrix::matrix(state.db(), &viewer, window, now).await
}

#[get("/reports/matrix")]
async fn matrix(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
) -> PageResult<(Status, RawHtml<String>)> {
    let picked = Picked::new(&query);
    let found = matrix_report(state, &user.auth, &picked).await;
    let page = context(&user, "Who keeps their promises to whom", None);
    report_page(
        state,
        &user,
        page,
        &picked,
        "matrix",
        String::new(),
        found,
        |report| report.window,
        report_pages::matrix,
    )
    .await
}

#[get("/reports/matrix.csv")]
async fn matrix_csv(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
) -> PageResult<Rendered> {
    let report = matrix_report(state, &user.auth, &Picked::new(&query)).await?;
    Ok(Rendered::csv(report_csv::matrix(&report)))
}

/// The group a trend follows: as picked, or else the reader's own
/// department as a provider (the first department for readers without one).
async fn trend_group(
    state: &AppState,
    actor: &AuthUser,
    picked: &Picked<'_>,
) -> Result<(GroupBy, GroupKey), ApiError> {
    let id = |key: &str| crate::http::query_id(key, picked.get(key));
    if picked.get("group_by").is_some() {
        let group_by = GroupBy::parse(picked.get("group_by"))?;
        let mut key = GroupKey {
            agreement_id: crate::http::query_id("agreement", picked.get("agreement"))?,
            provider_department_id: id("provider")?,
            customer_department_id: id("customer")?,
        };
        // The page's switch names one department and the side it is on.
        let department = id("department")?;
        match group_by {
            GroupBy::Provider => {
                key.provider_department_id = department.or(key.provider_department_id)
            }
            GroupBy::Customer => {
                key.customer_department_id = department.or(key.customer_department_id)
            }
            _ => {}
        }
        return Ok((group_by, key));
    }
    let department = match actor.department_id {
        Some(own) => Some(own),
        None => crate::services::departments::names(state.db(), actor.organisation_id)
            .await?
            .into_iter()
            .min_by(|a, b| a.1.cmp(&b.1))
            .map(|(id, _)| id),
    };
    let key = GroupKey {
        provider_department_id: department,
        ..GroupKey::default()
    };
    Ok((GroupBy::Provider, key))
}

async fn trend_report(
    state: &AppState,
    actor: &AuthUser,
    picked: &Picked<'_>,
) -> Result<TrendReport, ApiError> {
    let viewer = Viewer::of(actor);
    let now = Utc::now();
    let (group_by, key) = trend_group(state, actor, picked).await?;
    let window = picked.window(state, &viewer, None, now).await?;
    reports::trend::trend(state.db(), &viewer, window, group_by, key, now).await
}

#[get("/reports/trend")]
async fn trend(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
) -> PageResult<(Status, RawHtml<String>)> {
    let picked = Picked::new(&query);
    let found = trend_report(state, &user.auth, &picked).await;
    let mut page = context(&user, "Weekly trend", None);
    // The switch: one department as provider or as customer.
    let names = department_names(state, &user).await?;
    let (group_by, key) = trend_group(state, &user.auth, &picked)
        .await
        .unwrap_or((GroupBy::Provider, GroupKey::default()));
    let department: Option<DepartmentId> = match group_by {
        GroupBy::Customer => key.customer_department_id,
        _ => key.provider_department_id,
    };
    // Staff follow only their own department's trends.
    let own = Viewer::of(&user.auth).department_id;
    let mut choices: Vec<_> = names
        .iter()
        .filter(|(id, _)| own.is_none_or(|own| own == **id))
        .collect();
    choices.sort_by(|a, b| a.1.cmp(b.1));
    let choices: Vec<_> = choices
        .into_iter()
        .map(|(id, name)| json!({"value": id, "label": name, "chosen": Some(*id) == department}))
        .collect();
    let group = report_pages::key_query(group_by, key);
    match group_by {
        GroupBy::Provider | GroupBy::Customer => {
            page.insert("departments", &choices);
            page.insert("side", group_by.as_str());
        }
        // An agreement's or a pair's trend, reached from a report's row:
        // the picker keeps the group as it is.
        GroupBy::Agreement | GroupBy::Pair => {
            let hidden: Vec<_> = group
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .collect();
            page.insert("hidden", &hidden);
        }
    }
    report_page(
        state,
        &user,
        page,
        &picked,
        "trend",
        group,
        found,
        |report| report.window,
        report_pages::trend,
    )
    .await
}

#[get("/reports/trend.csv")]
async fn trend_csv(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
) -> PageResult<Rendered> {
    let report = trend_report(state, &user.auth, &Picked::new(&query)).await?;
    Ok(Rendered::csv(report_csv::trend(&report)))
}

async fn impact_report(state: &AppState, actor: &AuthUser) -> Result<ImpactReport, ApiError> {
    let viewer = Viewer::of(actor);
    reports::impact::impact(state.db(), &state.calendars, &viewer, Utc::now()).await
}

#[get("/reports/impact")]
async fn impact(state: &State<AppState>, user: PageUser) -> PageResult<(Status, RawHtml<String>)> {
    let report = impact_report(state, &user.auth).await?;
    let mut page = context(&user, "Commitments in danger, and because of whom", None);
    page.extend(report_pages::impact(&report));
    page.insert("report", "impact");
    page.insert("csv_query", "");
    Ok(html(
        Status::Ok,
        state.views.render("reports/impact.html", &page)?,
    ))
}

#[get("/reports/impact.csv?<table>")]
async fn impact_csv(
    state: &State<AppState>,
    user: PageUser,
    table: Option<&str>,
) -> PageResult<Rendered> {
    let report = impact_report(state, &user.auth).await?;
    Ok(Rendered::csv(match table {
        Some("commitments") => report_csv::impact_commitments(&report),
        None | Some("departments") => report_csv::impact_departments(&report),
        Some(_) => {
            return Err(ApiError::field("table", "must be departments or commitments").into());
        }
    }))
}

/// One endangered promise on the dashboard, with who puts it in danger.
#[derive(Serialize)]
struct Endangered {
    id: i64,
    what: String,
    risk: String,
    promised_at: String,
    slip_minutes: i64,
    because: Vec<String>,
}

/// The dashboard: the internal service in figures over the period (by
/// providing department, worst first), the promises to outside customers
/// that are late or at risk with the departments whose delay causes it,
/// and the departments ranked by the delay they put on those promises.
#[get("/reports")]
async fn dashboard(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
) -> PageResult<(Status, RawHtml<String>)> {
    let picked = Picked::new(&query);
    let viewer = Viewer::of(&user.auth);
    let now = Utc::now();
    let mut page = context(&user, "How the internal service stands", None);
    let window = match picked
        .window(state, &viewer, Some(DASHBOARD_DAYS), now)
        .await
    {
        Ok(window) => window,
        Err(error @ ApiError::Validation { .. }) => {
            page.insert("picker", &picker(&user, None, &picked));
            page.insert(
                "problem",
                &format!("This period cannot be shown: {}.", refusal_words(&error)),
            );
            page.insert("period", &picked.period_query());
            page.insert("report", "overview");
            return Ok(html(
                Status::UnprocessableEntity,
                state.views.render("pages/reports.html", &page)?,
            ));
        }
        Err(error) => return Err(error.into()),
    };
    let health =
        reports::health::health(state.db(), &viewer, window, GroupBy::Provider, now).await?;
    let impact = impact_report(state, &user.auth).await?;
    let names = department_names(state, &user).await?;
    let zone = user.zone;

    let mut total = (0i64, 0i64, 0i64, 0i64);
    let mut providers: Vec<_> = health
        .rows
        .iter()
        .map(|row| {
            let f = &row.figures;
            total = (total.0 + f.delivered, total.1 + f.on_time, total.2 + f.open, total.3 + f.overdue);
            json!({
                "label": row.label, "delivered": f.delivered, "on_time": f.on_time,
                "late": f.late, "open": f.open, "overdue": f.overdue,
                "pct": f.on_time_pct, "target": f.target_pct,
                "tone": match f.meets_target { Some(true) => "good", Some(false) => "bad", None => "neutral" },
                "trend": report_pages::key_query(GroupBy::Provider, row.key),
            })
        })
        .collect();
    // Worst first: below target before meeting it, then by on-time share.
    providers.sort_by(|a, b| {
        let pct = |v: &serde_json::Value| v["pct"].as_f64().unwrap_or(101.0);
        pct(a).total_cmp(&pct(b))
    });
    let on_time_pct =
        (total.0 > 0).then(|| (total.1 as f64 * 1000.0 / total.0 as f64).round() / 10.0);
    page.insert(
        "totals",
        &json!({"delivered": total.0, "on_time": total.1, "open": total.2, "overdue": total.3, "pct": on_time_pct}),
    );
    page.insert("providers", &providers);

    let department = |id: i64| {
        names
            .get(&DepartmentId(id))
            .cloned()
            .unwrap_or_else(|| "a department".to_owned())
    };
    let endangered: Vec<Endangered> = impact
        .commitments
        .iter()
        .filter(|commitment| commitment.risk != "on_track")
        .take(10)
        .map(|commitment| Endangered {
            id: commitment.commitment_id.0,
            what: format!("{} for {}", commitment.title, commitment.customer_name),
            risk: commitment.risk.clone(),
            promised_at: super::local(commitment.promised_at, zone),
            slip_minutes: commitment.slip_minutes,
            because: commitment
                .root_causes
                .iter()
                .map(|cause| match cause.kind {
                    RootCauseKind::OwnSlip => format!(
                        "{}'s own delay: {}",
                        department(cause.department_id),
                        crate::views::span(cause.minutes, 24 * 60)
                    ),
                    RootCauseKind::CustomerWait => format!(
                        "waiting on {} as the customer: {}",
                        department(cause.department_id),
                        crate::views::span(cause.minutes, 24 * 60)
                    ),
                })
                .collect(),
        })
        .collect();
    page.insert("by_risk", &impact.by_risk);
    page.insert("endangered", &endangered);
    let culprits: Vec<_> = impact
        .departments
        .iter()
        .take(5)
        .map(|d| json!({"id": d.department_id, "name": d.name, "own_slip_minutes": d.own_slip_minutes,
                         "customer_wait_minutes": d.customer_wait_minutes, "commitments": d.commitments.len()}))
        .collect();
    page.insert("culprits", &culprits);
    page.insert("picker", &picker(&user, Some(window), &picked));
    page.insert("period", &picked.period_query());
    page.insert("report", "overview");
    Ok(html(
        Status::Ok,
        state.views.render("pages/reports.html", &page)?,
    ))
}
