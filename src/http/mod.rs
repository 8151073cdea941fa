//! HTTP plumbing shared by every API module: the JSON body guard (size, media
//! type, unknown fields → problem+json), `If-Match`, and the responder that
//! adds status and `ETag`.

use rocket::data::{Data, FromData, Outcome, ToByteUnit};
use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Header, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder};
use rocket::serde::json::Json;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::services::ExpectedVersion;
pub use crate::validate::query_id;

pub mod csv;
pub mod files;
pub mod guards;
pub mod problem;
pub mod reads;
pub mod telemetry;

pub use guards::{Admin, AgreementWriter, RequestActor, ReviewWriter, SESSION_COOKIE};
pub use problem::{stash, take_stashed};

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
        return Err(ApiError::PayloadTooLarge {
            what: "the request body",
            limit_bytes: BODY_LIMIT_BYTES,
        });
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
        // A JSON `null` is the body left out, said explicitly.
        match read_json::<Option<T>>(request, data).await {
            Ok(value) => Outcome::Success(OptionalBody(value)),
            Err(error) => Outcome::Error((stash(request, error), ())),
        }
    }
}

/// Strict JSON parsing with the path of the offending field.
///
/// Syntax is checked on its own first: serde reports some shape errors as
/// syntax (three items where a pair is expected is "trailing characters"),
/// and well-formed JSON of the wrong shape is a 422, never a 400.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let document: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::BadRequest(format!("the body is not valid JSON: {error}")))?;
    serde_path_to_error::deserialize(document)
        .map_err(|error| shape_error(error.path().to_string(), error.into_inner()))
}

fn shape_error(path: String, error: serde_json::Error) -> ApiError {
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

/// `If-Match: "<version>"` gives the version a client read; absent (or `*`)
/// means the write is accepted unconditionally (SPEC §7).
#[rocket::async_trait]
impl<'r> FromRequest<'r> for ExpectedVersion {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let Some(raw) = request.headers().get_one("If-Match") else {
            return request::Outcome::Success(ExpectedVersion(None));
        };
        match parse_if_match(raw) {
            Some(version) => request::Outcome::Success(ExpectedVersion(version)),
            None => request::Outcome::Error((
                stash(
                    request,
                    ApiError::BadRequest("If-Match must be an ETag such as \"3\"".into()),
                ),
                (),
            )),
        }
    }
}

/// `*` (any version: `None`), or a version as an ETag: `"3"`, `W/"3"` or a
/// bare `3` (clients that drop the quotes). Anything else, a sign or a
/// number past nine digits included, is malformed: exactly the pattern the
/// OpenAPI document gives (`routes::docs::parameters::IF_MATCH_PATTERN`).
fn parse_if_match(raw: &str) -> Option<Option<i32>> {
    let raw = raw.trim();
    if raw == "*" {
        return Some(None);
    }
    let tag = raw.strip_prefix("W/").unwrap_or(raw);
    let digits = match tag.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None => tag,
    };
    let well_formed = (1..=9).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| digits.parse().ok()).flatten().map(Some)
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

    /// 202: taken, with the outcome to follow elsewhere (a mail, say).
    pub fn accepted(body: T) -> Self {
        Reply {
            status: Status::Accepted,
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

/// A typed id as a path segment (`/departments/<id>`) or a query value
/// (`?provider=3`): the number it is.
macro_rules! id_params {
    ($($id:ty),* $(,)?) => {$(
        impl<'a> rocket::request::FromParam<'a> for $id {
            type Error = std::num::ParseIntError;

            fn from_param(param: &'a str) -> Result<Self, Self::Error> {
                param.parse::<i64>().map(<$id>::from)
            }
        }

        impl<'v> rocket::form::FromFormField<'v> for $id {
            fn from_value(field: rocket::form::ValueField<'v>) -> rocket::form::Result<'v, Self> {
                <i64 as rocket::form::FromFormField<'v>>::from_value(field).map(<$id>::from)
            }
        }
    )*};
}

id_params!(
    crate::entities::ids::DepartmentId,
    crate::entities::ids::UserId,
    crate::entities::ids::AgreementId,
    crate::entities::ids::CommitmentId,
    crate::entities::ids::RequestId,
    crate::entities::ids::WebhookId,
    crate::entities::ids::WebhookDeliveryId,
);

/// Rocket reads a query parameter given twice (`?limit=5&limit=x`) as if it
/// were absent, so the request would silently get the default. The API
/// refuses it instead: the error is stashed and the request sent to a path
/// no route has, where the catcher answers with the stashed 422.
pub struct RepeatedQueryParameters;

#[rocket::async_trait]
impl Fairing for RepeatedQueryParameters {
    fn info(&self) -> Info {
        Info {
            name: "repeated query parameters",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _: &mut Data<'_>) {
        // The HTML pages keep Rocket's reading (their forms may repeat a name).
        if !request.uri().path().starts_with("/api/") {
            return;
        }
        let Some(query) = request.uri().query() else {
            return;
        };
        let mut seen: Vec<&str> = Vec::new();
        let mut repeated = None;
        for (name, _) in query.segments() {
            if seen.contains(&name) {
                repeated = Some(name.to_owned());
                break;
            }
            seen.push(name);
        }
        if let Some(name) = repeated {
            stash(request, ApiError::field(name, "must be given at most once"));
            // Nothing is mounted there.
            request.set_uri(rocket::uri!("/api/v1/.repeated-query-parameter"));
        }
    }
}

/// The query string's parameters, decoded, in order; for a list whose
/// filters are read by a service (`services::requests::query`).
pub struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for QueryPairs {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let pairs = request
            .uri()
            .query()
            .map(|query| {
                query
                    .segments()
                    .map(|(key, value)| (key.to_owned(), value.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        request::Outcome::Success(QueryPairs(pairs))
    }
}
