//! The error answers of the OpenAPI document, added in one place after the
//! document is built rather than in every handler's attribute.
//!
//! A handler's `#[utoipa::path]` says what is particular to it (403 for a
//! role, 409 for a state it refuses). What follows from the shape of an
//! operation — a bearer token, a JSON body, an id in the path, `If-Match` —
//! the server answers the same way everywhere (guards, the body parser, the
//! catcher), so the document says it the same way everywhere too. Every
//! error the server sends is an [`ApiError`](crate::error::ApiError) rendered
//! as `application/problem+json`, so every error response is documented as
//! exactly that, whatever content a handler's attribute named.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{Content, Header, OpenApi, Ref, RefOr};

/// The media type of every error answer (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                for (status, description) in implied_errors(operation) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(Response::new(description)));
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && is_error(status)
                    {
                        as_problem(status, response);
                    }
                }
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The errors an operation can give because of its shape, each with the
/// description used when its attribute did not name the status itself.
fn implied_errors(operation: &Operation) -> Vec<(&'static str, &'static str)> {
    let mut errors = Vec::new();
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_parameter_in = |place: ParameterIn| {
        parameters
            .iter()
            .any(|parameter| parameter.parameter_in == place)
    };
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    if secured {
        errors.push((
            "401",
            "No valid bearer token: missing, malformed, expired, or its user deactivated",
        ));
    }
    if operation.request_body.is_some() {
        errors.extend([
            ("400", "The body is not valid JSON"),
            ("413", "The body is larger than 1 MiB"),
            ("415", "The body is not sent as application/json"),
            (
                "422",
                "A field is missing, unknown, of the wrong type or has an invalid value",
            ),
        ]);
    }
    if has_parameter_in(ParameterIn::Path) {
        errors.push(("404", "No such resource in your organisation"));
    }
    if has_parameter_in(ParameterIn::Path) || has_parameter_in(ParameterIn::Query) {
        errors.push((
            "422",
            "A path or query parameter is missing, of the wrong type or invalid",
        ));
    }
    let takes_if_match = parameters.iter().any(|parameter| {
        parameter.parameter_in == ParameterIn::Header
            && parameter.name.eq_ignore_ascii_case("If-Match")
    });
    if takes_if_match {
        errors.extend([
            ("400", "If-Match is not an ETag such as \"3\""),
            (
                "412",
                "The resource has changed since the version named in If-Match",
            ),
        ]);
    }
    errors
}

fn is_error(status: &str) -> bool {
    status == "default" || status.starts_with('4') || status.starts_with('5')
}

/// Every error is a problem document, whatever the attribute said, with the
/// headers the server adds to it.
fn as_problem(status: &str, response: &mut Response) {
    response.content.clear();
    response.content.insert(
        PROBLEM_JSON.to_owned(),
        Content::new(Some(Ref::from_schema_name("Problem"))),
    );
    if response.description.is_empty() {
        response.description = default_description(status).to_owned();
    }
    let header = match status {
        "401" => Some((
            "WWW-Authenticate",
            "`Bearer`: the scheme the token is expected in",
        )),
        "429" => Some(("Retry-After", "Seconds until the next attempt is allowed")),
        _ => None,
    };
    if let Some((name, description)) = header {
        let schema = match name {
            "Retry-After" => Object::with_type(Type::Integer),
            _ => Object::with_type(Type::String),
        };
        let mut header = Header::new(schema);
        header.description = Some(description.to_owned());
        response.headers.insert(name.to_owned(), header);
    }
}

fn default_description(status: &str) -> &'static str {
    match status {
        "400" => "The request is malformed",
        "401" => "No valid bearer token",
        "403" => "Your role or department may not do this",
        "404" => "No such resource in your organisation",
        "409" => "The request conflicts with the resource's current state",
        "412" => "The resource has changed since the version named in If-Match",
        "413" => "The body is larger than 1 MiB",
        "415" => "The body is not sent as application/json",
        "422" => "Some values are invalid",
        "429" => "Too many attempts",
        _ => "An error, as a problem document",
    }
}
