//! The error responses that every operation can give because of the middleware and the
//! extractors, rather than because of its handler, added once to the generated document instead
//! of being pasted on each handler. A status an operation documents itself is left as it is.
//!
//! What can come back, by what the operation has (see `app::router` and `error.rs`):
//! - bearer security: 401 `unauthorized` (the `AuthUser` extractor);
//! - a JSON request body (`ApiJson`): 400 `malformed_json`, 413 `body_too_large` (the body
//!   limit), 415 `unsupported_media_type`, 422 `invalid_body` (well-formed JSON of the wrong shape);
//! - query parameters (`ApiQuery`): 400 `invalid_query`;
//! - path parameters (`ApiPath`): 404 `not_found` (a malformed id names nothing);
//! - every operation: 429 `rate_limited` with `Retry-After` (the rate limiters: per subject or
//!   client IP, `/v1/auth/*` per client IP, and login attempts per account);
//! - every operation: 500 `internal` (a fault, or a handler that panicked) and 503 `unavailable`
//!   (the database is unreachable) or `timeout` (the request ran out of time; not the document
//!   upload, which has an idle timeout on its body instead and documents its own 503).

use utoipa::Modify;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the middleware's and extractors' error responses to every operation (see the module).
#[derive(Debug)]
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                add_common(op);
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
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

fn add_common(op: &mut Operation) {
    let bearer = op
        .security
        .as_ref()
        .is_some_and(|reqs| reqs.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("bearer").is_some())));
    let json_body =
        op.request_body.as_ref().is_some_and(|b| b.content.keys().any(|c| c.starts_with("application/json")));
    let params = op.parameters.as_deref().unwrap_or_default();
    let query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);

    let bad_request = match (json_body, query) {
        (true, true) => {
            Some("`malformed_json`: the body is not JSON; `invalid_query`: a query parameter is malformed or unknown")
        }
        (true, false) => Some("`malformed_json`: the body is not JSON"),
        (false, true) => Some("`invalid_query`: a query parameter is malformed or unknown"),
        (false, false) => None,
    };
    let mut add = |status: &str, description: &str| {
        op.responses.responses.entry(status.to_owned()).or_insert_with(|| error_response(description));
    };
    if let Some(description) = bad_request {
        add("400", description);
    }
    if bearer {
        add("401", "`unauthorized`: no valid access token, or its session has ended");
    }
    if path {
        add("404", "`not_found`: nothing there, or nothing the caller may see");
    }
    if json_body {
        add("413", "`body_too_large`: the body is larger than the server's limit");
        add("415", "`unsupported_media_type`: the body is not sent as `application/json`");
        add("422", "`invalid_body`: the JSON does not have the request's shape");
    }
    add("500", "`internal`: a fault on the server (the cause is logged under the request id)");
    add("503", "`unavailable`: the database is unreachable; `timeout`: the request took longer than the server allows");
    op.responses.responses.entry("429".to_owned()).or_insert_with(rate_limited_response);
}

fn rate_limited_response() -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1));
    let mut retry_after = Header::new(seconds);
    retry_after.description = Some("whole seconds to wait before a request can succeed again".to_owned());
    RefOr::T(
        ResponseBuilder::new()
            .description(
                "`rate_limited`: too many requests from this caller (per subject, else per client IP; \
                 `/v1/auth/*` per client IP, and login attempts per account); retry after `Retry-After` seconds",
            )
            .header("Retry-After", retry_after)
            .content("application/json", content)
            .build(),
    )
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
}
