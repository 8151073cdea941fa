//! CSV answers (RFC 4180: comma-separated, CRLF line ends, fields quoted
//! when they hold a comma, quote or line break). Text a spreadsheet would
//! run as a formula (starting with `=`, `+`, `-`, `@`) is prefixed with `'`.
//! The request list is streamed a batch at a time, for the whole filtered
//! set, whatever its size.

use std::pin::Pin;

use rocket::futures::Stream;
use rocket::http::{ContentType, Header};
use rocket::request::Request;
use rocket::response::stream::TextStream;
use rocket::response::{self, Responder};
use sea_orm::DatabaseConnection;

use crate::entities::ids::RequestId;
use crate::identity::AuthUser;
use crate::services::requests::RequestFilter;
use crate::services::requests::export::{EXPORT_BATCH, ExportRow, export_batch};

/// A text cell, quoted when needed and defused against formulas.
pub fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

const REQUEST_COLUMNS: &str = "id,title,status,provider,customer,assignee,requested_at,due_at,delivered_at,lateness_minutes,rating\r\n";

fn request_line(row: &ExportRow) -> String {
    let optional = |value: Option<String>| value.unwrap_or_default();
    let cells = [
        row.id.to_string(),
        cell(&row.title),
        row.status.to_string(),
        cell(&row.provider),
        cell(&row.customer),
        optional(row.assignee.as_deref().map(cell)),
        row.requested_at.to_rfc3339(),
        row.due_at.to_rfc3339(),
        optional(row.delivered_at.map(|at| at.to_rfc3339())),
        optional(row.lateness_minutes.map(|m| m.to_string())),
        optional(row.rating.map(|r| r.to_string())),
    ];
    let mut line = cells.join(",");
    line.push_str("\r\n");
    line
}

type Lines = Pin<Box<dyn Stream<Item = String> + Send>>;

/// The filtered request list as a CSV download, streamed.
pub struct RequestsCsv {
    body: TextStream<Lines>,
    content_type: ContentType,
    disposition: Header<'static>,
    vary: Header<'static>,
}

impl<'r> Responder<'r, 'r> for RequestsCsv {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'r> {
        let mut response = self.body.respond_to(request)?;
        response.set_header(self.content_type);
        response.set_header(self.disposition);
        response.set_header(self.vary);
        Ok(response)
    }
}

impl RequestsCsv {
    pub fn new(db: DatabaseConnection, actor: AuthUser, filter: RequestFilter) -> RequestsCsv {
        let lines: Lines = Box::pin(rocket::async_stream::stream! {
            yield REQUEST_COLUMNS.to_owned();
            let mut after = RequestId(0);
            loop {
                let rows = match export_batch(&db, &actor, &filter, after).await {
                    Ok(rows) => rows,
                    Err(error) => {
                        // The status line is gone by now: the file ends short.
                        tracing::error!(%error, "request export stopped");
                        break;
                    }
                };
                let Some(last) = rows.last() else { break };
                after = last.id;
                let text: String = rows.iter().map(request_line).collect();
                yield text;
                if (rows.len() as u64) < EXPORT_BATCH {
                    break;
                }
            }
        });
        RequestsCsv {
            body: TextStream(lines),
            content_type: ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            disposition: Header::new(
                "Content-Disposition",
                "attachment; filename=\"requests.csv\"",
            ),
            vary: Header::new("Vary", "Accept"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_is_quoted_when_it_must_be_and_never_runs_as_a_formula() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a, b"), "\"a, b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("@x,y"), "\"'@x,y\"");
    }
}
