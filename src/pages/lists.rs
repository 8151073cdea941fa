//! The lists of agreements, commitments and reviews: the API's filters as a
//! form, a page of rows in people's words, and the next page by the API's
//! cursor. What each role may list is the services' rule, as in the API.
//! (The request list, with its search, lives in `request_list`.)

use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, routes};
use serde_json::{Value, json};
use tera::Context;

use super::{PageResult, PageUser, context, department_names, html, local};
use crate::entities::Named;
use crate::entities::agreement::AgreementStatus;
use crate::entities::commitment::{CommitmentStatus, StoredRisk};
use crate::entities::ids::DepartmentId;
use crate::entities::review::ReviewStatus;
use crate::error::ApiError;
use crate::http::{QueryPairs, query_id};
use crate::pagination::{Page, PageRequest};
use crate::services::agreements::{self, AgreementFilter};
use crate::services::commitments::{self, CommitmentFilter};
use crate::services::reviews::{self, ReviewFilter};
use crate::state::AppState;
use crate::validate::query_named;
use crate::views::words;

pub fn routes() -> Vec<Route> {
    routes![agreement_list, commitment_list, review_list]
}

/// Rows per page.
const PAGE_ROWS: &str = "50";

/// A value of the query, an empty input counting as none.
fn value<'q>(query: &'q QueryPairs, key: &str) -> Option<&'q str> {
    query.get(key).filter(|value| !value.is_empty())
}

/// The choices of a status (or risk) select, in people's words.
fn choices<E: Named>() -> Vec<Value> {
    E::members()
        .into_iter()
        .map(|member| json!({"value": member.name(), "label": words(member.name())}))
        .collect()
}

/// The filters as typed, for the form and for the next page's link.
fn filters(query: &QueryPairs, keys: &[&str]) -> (Value, String) {
    let mut shown = serde_json::Map::new();
    let mut pairs = Vec::new();
    for key in keys {
        let typed = value(query, key).unwrap_or_default();
        shown.insert((*key).to_owned(), json!(typed));
        if !typed.is_empty() {
            pairs.push((key.to_string(), typed.to_owned()));
        }
    }
    (
        Value::Object(shown),
        crate::services::requests::query::query_string(&pairs),
    )
}

/// The departments, by name, as select choices.
async fn department_choices(
    state: &AppState,
    user: &PageUser,
) -> Result<(crate::services::departments::Names, Vec<Value>), ApiError> {
    let names = department_names(state, user).await?;
    let mut sorted: Vec<_> = names.iter().collect();
    sorted.sort_by(|a, b| a.1.cmp(b.1));
    let choices = sorted
        .into_iter()
        .map(|(id, name)| json!({"value": id.to_string(), "label": name}))
        .collect();
    Ok((names, choices))
}

/// A list page: its rows and next page, or the filters' refusal said above
/// an empty list (422).
fn render<T>(
    state: &AppState,
    mut page: Context,
    template: &str,
    filter_query: &str,
    found: Result<Page<T>, ApiError>,
    row: impl Fn(&T) -> Value,
) -> PageResult<(Status, RawHtml<String>)> {
    page.insert("filter_query", filter_query);
    let status = match found {
        Ok(found) => {
            let rows: Vec<Value> = found.items.iter().map(row).collect();
            page.insert("rows", &rows);
            if let Some(cursor) = &found.next_cursor {
                let mut next = filter_query.to_owned();
                if !next.is_empty() {
                    next.push('&');
                }
                next.push_str(&crate::services::requests::query::query_string(&[(
                    "cursor".into(),
                    cursor.clone(),
                )]));
                page.insert("next_query", &next);
            }
            Status::Ok
        }
        Err(ApiError::Validation { errors, .. }) => {
            page.insert("rows", &Vec::<Value>::new());
            let said: Vec<String> = errors
                .iter()
                .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field} {m}")))
                .collect();
            page.insert(
                "problem",
                &format!("These filters cannot be read: {}.", said.join("; ")),
            );
            Status::UnprocessableEntity
        }
        Err(error) => return Err(error.into()),
    };
    Ok(html(status, state.views.render(template, &page)?))
}

#[get("/agreements")]
async fn agreement_list(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let me = &user.auth;
    let (names, departments) = department_choices(state, &user).await?;
    let (shown, filter_query) = filters(&query, &["provider", "customer", "status"]);
    let mut page = context(&user, "Agreements", flash);
    page.insert("filters", &shown);
    page.insert("departments", &departments);
    page.insert("statuses", &choices::<AgreementStatus>());
    let found = async {
        let page = PageRequest::parse(Some(PAGE_ROWS), value(&query, "cursor"))?;
        let filter = AgreementFilter {
            provider_department_id: query_id("provider", value(&query, "provider"))?,
            customer_department_id: query_id("customer", value(&query, "customer"))?,
            status: query_named("status", value(&query, "status"))?,
        };
        let rows = agreements::list(state.db(), me, page, filter).await?;
        Ok::<_, ApiError>(Page::from_rows(rows, page, |row| row.id, |row| row))
    }
    .await;
    let name = |id: DepartmentId| names.get(&id).cloned().unwrap_or_default();
    render(
        state,
        page,
        "pages/agreements.html",
        &filter_query,
        found,
        |row| {
            let turnaround =
                agreements::turnaround_of(row.turnaround_unit, row.turnaround_quantity)
                    .map(agreements::describe)
                    .unwrap_or_default();
            json!({
                "id": row.id, "title": row.title,
                "provider": name(row.provider_department_id), "provider_id": row.provider_department_id,
                "customer": name(row.customer_department_id), "customer_id": row.customer_department_id,
                "turnaround": turnaround, "target": row.on_time_target_pct,
                "status": words(row.status.name()),
                "pending": row.pending_turnaround_unit.is_some(),
            })
        },
    )
}

#[get("/commitments")]
async fn commitment_list(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let me = &user.auth;
    let zone = user.zone;
    let (names, departments) = department_choices(state, &user).await?;
    let (shown, filter_query) = filters(&query, &["owner", "status", "risk"]);
    let mut page = context(&user, "Commitments", flash);
    page.insert("filters", &shown);
    page.insert("departments", &departments);
    page.insert("statuses", &choices::<CommitmentStatus>());
    page.insert("risks", &choices::<StoredRisk>());
    let found = async {
        let page = PageRequest::parse(Some(PAGE_ROWS), value(&query, "cursor"))?;
        let filter = CommitmentFilter {
            risk: query_named("risk", value(&query, "risk"))?,
            status: query_named("status", value(&query, "status"))?,
            owner_department_id: query_id("owner", value(&query, "owner"))?,
        };
        let rows = commitments::list(state.db(), me, page, filter).await?;
        Ok::<_, ApiError>(Page::from_rows(rows, page, |row| row.id, |row| row))
    }
    .await;
    render(
        state,
        page,
        "pages/commitments.html",
        &filter_query,
        found,
        |row| {
            let open = row.status == CommitmentStatus::Open;
            json!({
                "id": row.id, "title": row.title, "customer": row.customer_name,
                "owner": names.get(&row.owner_department_id), "owner_id": row.owner_department_id,
                "promised_at": local(row.promised_at, zone),
                "status": words(row.status.name()),
                "risk": if open { row.risk.map(|risk| risk.name()) } else { None },
                "projected_at": if open { row.projected_at.map(|at| local(at, zone)) } else { None },
                "fulfilled_at": row.fulfilled_at.map(|at| local(at, zone)),
            })
        },
    )
}

#[get("/reviews")]
async fn review_list(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let me = &user.auth;
    let zone = user.zone;
    let (names, departments) = department_choices(state, &user).await?;
    let (shown, filter_query) = filters(&query, &["department", "status"]);
    let mut page = context(&user, "Reviews", flash);
    page.insert("filters", &shown);
    page.insert("departments", &departments);
    page.insert("statuses", &choices::<ReviewStatus>());
    let found = async {
        let page = PageRequest::parse(Some(PAGE_ROWS), value(&query, "cursor"))?;
        let filter = ReviewFilter {
            department_id: query_id("department", value(&query, "department"))?,
            status: query_named("status", value(&query, "status"))?,
        };
        let rows = reviews::list(state.db(), me, page, filter).await?;
        Ok::<_, ApiError>(Page::from_rows(rows, page, |row| row.id, |row| row))
    }
    .await;
    render(
        state,
        page,
        "pages/reviews.html",
        &filter_query,
        found,
        |row| {
            json!({
                "id": row.id,
                "a": names.get(&row.department_a_id), "a_id": row.department_a_id,
                "b": names.get(&row.department_b_id), "b_id": row.department_b_id,
                "scheduled_at": local(row.scheduled_at, zone),
                "held_at": row.held_at.map(|at| local(at, zone)),
                "status": words(row.status.name()),
                "every_weeks": row.every_weeks,
            })
        },
    )
}
