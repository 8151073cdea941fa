//! HTTP plumbing shared by every API module: the JSON body guard (size, media
//! type, unknown fields → problem+json), `If-Match`, and the responder that
//! adds status and `ETag`.

use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, stash};

/// Largest accepted request body (SPEC §7).
pub const BODY_LIMIT_BYTES: u64 = 1024 * 1024;

/// A JSON request body, parsed strictly: wrong media type 415, over 1 MiB
/// 413, broken JSON 400, wrong shape (unknown field, wrong type) 422 naming
/// the field.
pub struct Body<T>(pub T);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for Body<T> {
    type Error = ();

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> Outcome<'r, Self, ()> {
        match read_json(request, data).await {
            Ok(value) => Outcome::Success(Body(value)),
            Err(error) => Outcome::Error((stash(request, error), ())),
        }
    }
}

async fn read_json<T: DeserializeOwned>(
    request: &Request<'_>,
    data: Data<'_>,
) -> Result<T, ApiError> {
    let is_json = request
        .content_type()
        .is_some_and(|media| media.is_json() || media.sub().as_str().ends_with("+json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "the body must be JSON, sent with Content-Type: application/json".into(),
        ));
    }
    let bytes = data
        .open(BODY_LIMIT_BYTES.bytes())
        .into_bytes()
        .await
        .map_err(|_| ApiError::BadRequest("the body could not be read".into()))?;
    if !bytes.is_complete() {
        return Err(ApiError::PayloadTooLarge);
    }
    parse_json(&bytes)
}

/// A JSON body that may be left out entirely (transitions whose body only
/// carries an optional `at`): no body gives `None`; a body that is sent is
/// parsed as strictly as [`Body`].
pub struct OptionalBody<T>(pub Option<T>);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for OptionalBody<T> {
    type Error = ();

    async fn from_data(request: &'r Request<'_>, mut data: Data<'r>) -> Outcome<'r, Self, ()> {
        if data.peek(1).await.is_empty() {
            return Outcome::Success(OptionalBody(None));
        }
        match read_json(request, data).await {
            Ok(value) => Outcome::Success(OptionalBody(Some(value))),
            Err(error) => Outcome::Error((stash(request, error), ())),
        }
    }
}

/// Strict JSON parsing with the path of the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| shape_error(error.path().to_string(), error.into_inner()))?;
    deserializer
        .end()
        .map_err(|error| shape_error(String::new(), error))?;
    Ok(value)
}

fn shape_error(path: String, error: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let message = error.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            // The path already ends in the unknown field's name when there is one.
            let field = if path.is_empty() || path == "." {
                "body".to_owned()
            } else {
                path
            };
            ApiError::field(field, message)
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::BadRequest(format!("the body is not valid JSON: {error}"))
        }
    }
}

/// The version a client read, from `If-Match: "<version>"`; absent means the
/// write is accepted unconditionally (SPEC §7).
pub struct IfMatch(pub Option<i32>);

impl IfMatch {
    /// 412 when the client's version is not the current one.
    pub fn check(&self, current: i32) -> Result<(), ApiError> {
        match self.0 {
            Some(expected) if expected != current => Err(ApiError::Stale),
            _ => Ok(()),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfMatch {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let Some(raw) = request.headers().get_one("If-Match") else {
            return request::Outcome::Success(IfMatch(None));
        };
        let tag = raw.trim().trim_start_matches("W/").trim_matches('"');
        if tag == "*" {
            return request::Outcome::Success(IfMatch(None));
        }
        match tag.parse::<i32>() {
            Ok(version) => request::Outcome::Success(IfMatch(Some(version))),
            Err(_) => request::Outcome::Error((
                stash(
                    request,
                    ApiError::BadRequest("If-Match must be an ETag such as \"3\"".into()),
                ),
                (),
            )),
        }
    }
}

/// A JSON response with a status and, for versioned resources, an `ETag`.
pub struct Reply<T> {
    status: Status,
    body: T,
    version: Option<i32>,
}

impl<T: Serialize> Reply<T> {
    pub fn ok(body: T) -> Self {
        Reply {
            status: Status::Ok,
            body,
            version: None,
        }
    }

    pub fn created(body: T) -> Self {
        Reply {
            status: Status::Created,
            body,
            version: None,
        }
    }

    /// Adds `ETag: "<version>"`.
    pub fn versioned(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }
}

impl<'r, T: Serialize> Responder<'r, 'static> for Reply<T> {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Json(self.body).respond_to(request)?;
        response.set_status(self.status);
        response.set_header(ContentType::JSON);
        if let Some(version) = self.version {
            response.set_header(Header::new("ETag", format!("\"{version}\"")));
        }
        Ok(response)
    }
}

/// A numeric id from the query string: absent is `None`, anything but an
/// integer is a 422 naming the parameter (Rocket would silently drop it).
pub fn query_id(name: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value
        .map(|text| {
            text.parse::<i64>()
                .map_err(|_| ApiError::field(name, "must be an integer id"))
        })
        .transpose()
}
