//! The request list for every role: a search box, the API's filters, the
//! person's saved views, pages of results, and the same set as CSV. The
//! query string is read by `services::requests::query`, as the API reads
//! it, so a link from here, a saved view and an API call mean one thing.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::request::FlashMessage;
use rocket::response::content::RawHtml;
use rocket::{Route, State, get, post, routes};
use serde::Serialize;
use serde_json::json;

use super::{
    FormReply, PageResult, PageUser, Posted, carries_csrf, context, department_choices,
    department_names, html, local,
};
use crate::entities::Named;
use crate::entities::request::RequestStatus;
use crate::error::ApiError;
use crate::http::QueryPairs;
use crate::http::csv::RequestsCsv;
use crate::pagination::{Page, PageRequest, Ranked};
use crate::services::requests::query::{FILTER_KEYS, filter_of, query_string};
use crate::services::requests::{self, RequestFilter};
use crate::services::{users, views};
use crate::state::AppState;

pub fn routes() -> Vec<Route> {
    routes![list, export, save_view, delete_view]
}

/// Rows per page.
const PAGE_ROWS: &str = "50";

/// The filter parameters of the query, without paging, as a query string.
fn filter_query(query: &QueryPairs) -> String {
    let pairs: Vec<(String, String)> = query
        .pairs()
        .iter()
        .filter(|(key, value)| FILTER_KEYS.contains(&key.as_str()) && !value.is_empty())
        .cloned()
        .collect();
    query_string(&pairs)
}

#[get("/requests")]
async fn list(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<(Status, RawHtml<String>)> {
    let me = &user.auth;
    let zone = user.zone;
    let names = department_names(state, &user).await?;
    let mut page = context(&user, "Requests", flash);
    let value = |key: &str| query.get(key).unwrap_or("").to_owned();
    page.insert(
        "filters",
        &json!({
            "q": value("q"), "status": value("status"), "provider": value("provider"),
            "customer": value("customer"), "assignee": value("assignee"),
            "overdue": value("overdue"),
        }),
    );
    let statuses: Vec<_> = RequestStatus::members()
        .into_iter()
        .map(|status| json!({"value": status.as_str(), "label": status.words()}))
        .collect();
    page.insert("statuses", &statuses);
    page.insert("departments", &department_choices(&names, None));
    let filter_text = filter_query(&query);
    page.insert("filter_query", &filter_text);

    let found = match filter_of(me, |key| query.get(key).filter(|v| !v.is_empty())) {
        Ok(filter) => {
            let limit = Some(query.get("limit").unwrap_or(PAGE_ROWS));
            one_page(state, &user, filter, limit, query.get("cursor")).await
        }
        Err(error) => Err(error),
    };
    let status = match found {
        Ok(found) => {
            let people = users::names(
                state.db(),
                me.organisation_id,
                found.items.iter().filter_map(|row| row.assignee_user_id),
            )
            .await?;
            let now = chrono::Utc::now();
            let rows: Vec<_> = found
                .items
                .iter()
                .map(|row| {
                    json!({
                        "id": row.id, "title": row.title, "status": row.status.words(),
                        "provider": names.get(&row.provider_department_id),
                        "provider_id": row.provider_department_id,
                        "customer": names.get(&row.customer_department_id),
                        "customer_id": row.customer_department_id,
                        "assignee": row.assignee_user_id.and_then(|p| people.get(&p)),
                        "due_at": local(row.due_at, zone), "due_in": super::relative(row.due_at, now),
                        "overdue": row.status.is_undelivered() && row.due_at < now,
                        "open": row.status.is_undelivered(),
                    })
                })
                .collect();
            page.insert("rows", &rows);
            if let Some(cursor) = &found.next_cursor {
                let mut next = filter_text.clone();
                if !next.is_empty() {
                    next.push('&');
                }
                next.push_str(&query_string(&[("cursor".into(), cursor.clone())]));
                page.insert("next_query", &next);
            }
            Status::Ok
        }
        Err(error @ ApiError::Validation { .. }) => {
            page.insert("rows", &Vec::<()>::new());
            page.insert(
                "problem",
                &format!("These filters cannot be read: {}", refusal_words(&error)),
            );
            Status::UnprocessableEntity
        }
        Err(error) => return Err(error.into()),
    };
    Ok(html(
        status,
        state.views.render("pages/requests.html", &page)?,
    ))
}

/// One page of the list: best match first for a search, by id otherwise.
async fn one_page(
    state: &AppState,
    user: &PageUser,
    filter: RequestFilter,
    limit: Option<&str>,
    cursor: Option<&str>,
) -> Result<Page<crate::entities::request::Model>, ApiError> {
    let me = &user.auth;
    Ok(match &filter.search {
        Some(search) => {
            let ranked = Ranked::parse(limit, cursor)?;
            let rows = requests::search(state.db(), me, ranked, search, &filter).await?;
            Page::ranked(rows, ranked, |row| row)
        }
        None => {
            let page = PageRequest::parse(limit, cursor)?;
            let rows = requests::list(state.db(), me, page, &filter).await?;
            Page::from_rows(rows, page, |row| row.id, |row| row)
        }
    })
}

/// The filtered set as CSV, for a link a browser follows with its session.
#[get("/requests/export.csv")]
async fn export(
    state: &State<AppState>,
    user: PageUser,
    query: QueryPairs,
) -> PageResult<RequestsCsv> {
    let filter = filter_of(&user.auth, |key| query.get(key).filter(|v| !v.is_empty()))?;
    Ok(RequestsCsv::new(state.db().detached(), user.auth, filter))
}

#[derive(FromForm, Serialize)]
struct ViewForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
    #[field(default = "")]
    name: String,
    #[field(default = "")]
    query: String,
}

#[derive(FromForm, Serialize)]
struct DeleteForm {
    #[serde(skip)]
    #[field(default = "")]
    _csrf: String,
}

carries_csrf!(ViewForm, DeleteForm);

/// Saves the list's current filters under a name; back to the list either
/// way, with what happened said at the top.
#[post("/views", data = "<posted>")]
async fn save_view(state: &State<AppState>, posted: Posted<ViewForm>) -> PageResult<FormReply> {
    let genuine = posted.genuine();
    let Posted { user, form, .. } = posted;
    let back = format!("/requests?{}", form.query);
    let outcome = match genuine {
        Ok(()) => views::save(state.db(), &user.auth, &form.name, &form.query)
            .await
            .map(|_| ()),
        Err(error) => Err(error),
    };
    Ok(match outcome {
        Ok(()) => FormReply::done(back, "View saved."),
        Err(error) => FormReply::Done(rocket::response::Flash::error(
            rocket::response::Redirect::to(back),
            format!("The view was not saved: {}", refusal_words(&error)),
        )),
    })
}

#[post("/views/<id>/delete", data = "<posted>")]
async fn delete_view(
    state: &State<AppState>,
    id: i64,
    posted: Posted<DeleteForm>,
) -> PageResult<FormReply> {
    posted.genuine()?;
    views::delete(state.db(), &posted.user.auth, id).await?;
    Ok(FormReply::done("/requests".into(), "View deleted."))
}

/// A refusal in one sentence, its field messages included.
fn refusal_words(error: &ApiError) -> String {
    match error {
        ApiError::Validation { errors, .. } => errors
            .iter()
            .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field} {m}")))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
