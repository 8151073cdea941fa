//! Content negotiation for reports: JSON by default, CSV for
//! `Accept: text/csv`, an HTML page for `Accept: text/html`; the media type
//! the client weighs highest wins, ties go to the one listed first.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use serde::Serialize;

use crate::error::ApiError;

/// The representation a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Html,
}

impl Format {
    fn of_media(top: &str, sub: &str) -> Option<Format> {
        match (top, sub) {
            ("application", "json") => Some(Format::Json),
            ("text", "csv") => Some(Format::Csv),
            ("text", "html") | ("application", "xhtml+xml") => Some(Format::Html),
            _ => None,
        }
    }

    /// The format for an `Accept` header value (absent or nothing we
    /// serve: JSON).
    pub fn negotiate(accept: Option<&rocket::http::Accept>) -> Format {
        let Some(accept) = accept else {
            return Format::Json;
        };
        let mut best: Option<(f32, Format)> = None;
        for media in accept.iter() {
            let weight = media.weight_or(1.0);
            let Some(format) = Format::of_media(media.top().as_str(), media.sub().as_str()) else {
                continue;
            };
            if weight > 0.0 && best.is_none_or(|(best_weight, _)| weight > best_weight) {
                best = Some((weight, format));
            }
        }
        best.map_or(Format::Json, |(_, format)| format)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Format {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Format::negotiate(request.accept()))
    }
}

/// A report in the representation asked for.
pub struct Rendered {
    content_type: ContentType,
    body: Vec<u8>,
}

impl Rendered {
    pub fn json(value: &impl Serialize) -> Result<Rendered, ApiError> {
        Ok(Rendered {
            content_type: ContentType::JSON,
            body: serde_json::to_vec(value)
                .map_err(|error| ApiError::Internal(format!("report JSON: {error}")))?,
        })
    }

    pub fn csv(text: String) -> Rendered {
        Rendered {
            content_type: ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            body: text.into_bytes(),
        }
    }

    pub fn html(text: String) -> Rendered {
        Rendered {
            content_type: ContentType::HTML,
            body: text.into_bytes(),
        }
    }
}

impl<'r> Responder<'r, 'static> for Rendered {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::Ok)
            .header(self.content_type)
            // Caches must keep the three representations apart.
            .header(Header::new("Vary", "Accept"))
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::http::Accept;

    fn of(header: &str) -> Format {
        Format::negotiate(Some(&header.parse::<Accept>().unwrap()))
    }

    #[test]
    fn the_highest_weighted_known_type_wins() {
        assert_eq!(Format::negotiate(None), Format::Json);
        assert_eq!(of("text/csv"), Format::Csv);
        assert_eq!(
            of("text/html,application/xhtml+xml,*/*;q=0.8"),
            Format::Html
        );
        assert_eq!(of("text/csv;q=0.5, application/json"), Format::Json);
        assert_eq!(of("application/xml"), Format::Json);
        assert_eq!(of("*/*"), Format::Json);
    }
}
