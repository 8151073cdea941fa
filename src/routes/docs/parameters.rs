//! Parameters that mean the same everywhere, described once: the handlers'
//! attributes name their type (`Option<u64>`, `Option<String>`), this adds
//! the bounds the server enforces, so that a client (or a fuzzer) reading
//! the document knows which values are refused without trying them.

use utoipa::Modify;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, RefOr, Schema};

use crate::pagination::MAX_LIMIT;

/// What [`crate::http::ExpectedVersion`] accepts: `*`, or a version as an ETag,
/// quoted or not, weak or not.
pub const IF_MATCH_PATTERN: &str = r#"^(\*|(W/)?"[0-9]{1,9}"|[0-9]{1,9})$"#;

pub struct ParameterBounds;

impl Modify for ParameterBounds {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    bound(parameter);
                }
            }
        }
    }
}

fn bound(parameter: &mut Parameter) {
    let schema = match (&parameter.parameter_in, parameter.name.as_str()) {
        (ParameterIn::Query, "limit") => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT as f64))
            .build(),
        (ParameterIn::Header, name) if name.eq_ignore_ascii_case("If-Match") => {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(IF_MATCH_PATTERN))
                .description(Some(
                    "The `ETag` of the version read, e.g. `\"3\"`; `*` for any",
                ))
                .build()
        }
        _ => return,
    };
    parameter.schema = Some(RefOr::T(Schema::Object(schema)));
}
