//! The one file that maps errors to the wire: every error becomes a TAXII error message
//! (TAXII 2.1 section 3.6.1) with the TAXII media type.
//!
//! Handlers return [`ApiError`]; nothing else in the server picks a status code for an error
//! or writes an error body. The table in [`ApiError::parts`] gives each kind its HTTP status,
//! its stable `error_code` and its title.
//!
//! What a client never sees: a stack trace, a driver message, a file path, a SQL fragment, or
//! the text of another principal's object. Internal failures ([`ApiError::Internal`], store
//! backend errors) answer a generic 500 with an `error_id`; the real error, with its source
//! chain, is logged once here under the same `error_id`, so an operator can find it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_taxii::{ErrorMessage, TAXII_JSON};

/// Everything a TAXII request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The request is malformed (query parameters, JSON, identifiers, `next` token).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// No credentials were sent.
    #[error("authentication required")]
    MissingCredentials,
    /// Credentials were sent but are wrong, malformed or unknown.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The principal may see the resource but not do this to it.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The resource does not exist, or the principal may not learn that it exists.
    #[error("not found: {0}")]
    NotFound(String),
    /// The route exists but not for this HTTP method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The `Accept` header admits no TAXII 2.1 response.
    #[error("not acceptable")]
    NotAcceptable,
    /// The request body is larger than the API root's `max_content_length`.
    #[error("payload too large (max {max} bytes)")]
    PayloadTooLarge {
        /// The limit in bytes (0 when not known, e.g. from an outer layer).
        max: u64,
    },
    /// The request body is not `application/taxii+json;version=2.1`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body is well-formed JSON but not something this endpoint can process.
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    /// The client took too long to send its request.
    #[error("request timeout")]
    RequestTimeout,
    /// Something broke on our side. The source is logged, never sent.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// Wraps an internal failure.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> ApiError {
        ApiError::Internal(e.into())
    }

    /// The table: HTTP status, stable `error_code`, title.
    pub fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            ApiError::MissingCredentials => (
                StatusCode::UNAUTHORIZED,
                "authentication-required",
                "Authentication required",
            ),
            ApiError::InvalidCredentials => (
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Invalid credentials",
            ),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            ApiError::NotAcceptable => (
                StatusCode::NOT_ACCEPTABLE,
                "not-acceptable",
                "Not acceptable",
            ),
            ApiError::PayloadTooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            ApiError::Unprocessable(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable-content",
                "Unprocessable content",
            ),
            ApiError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "Request timeout",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal server error",
            ),
        }
    }

    fn description(&self) -> String {
        match self {
            ApiError::BadRequest(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::Unprocessable(m) => m.clone(),
            ApiError::MissingCredentials => {
                "send HTTP Basic credentials or an `Authorization: Bearer` token".into()
            }
            ApiError::InvalidCredentials => "the credentials were not accepted".into(),
            ApiError::MethodNotAllowed => {
                "this resource does not support that HTTP method (see the Allow header)".into()
            }
            ApiError::NotAcceptable => format!(
                "the Accept header admits no TAXII 2.1 response; send `Accept: {TAXII_JSON}`"
            ),
            ApiError::PayloadTooLarge { max: 0 } => "the request body is too large".into(),
            ApiError::PayloadTooLarge { max } => format!(
                "the request body exceeds this API root's max_content_length of {max} bytes"
            ),
            ApiError::UnsupportedMediaType => {
                format!("the request body must be sent as `Content-Type: {TAXII_JSON}`")
            }
            ApiError::RequestTimeout => "the request body was not received in time".into(),
            ApiError::Internal(_) => {
                "the server failed to process the request; quote the error_id to the operator"
                    .into()
            }
        }
    }

    /// The TAXII error message for this error, with a fresh `error_id`.
    pub fn message(&self) -> ErrorMessage {
        let (status, code, title) = self.parts();
        ErrorMessage {
            title: title.into(),
            description: Some(self.description()),
            error_id: Some(uuid::Uuid::new_v4().to_string()),
            error_code: Some(code.into()),
            http_status: Some(status.as_u16().to_string()),
            external_details: None,
            details: None,
        }
    }
}

/// Maps store errors without ever passing a driver message to the client.
impl From<entente_store::Error> for ApiError {
    fn from(e: entente_store::Error) -> ApiError {
        match e {
            entente_store::Error::NotFound(_) => ApiError::NotFound("no such resource".into()),
            entente_store::Error::Invalid(m) => ApiError::BadRequest(m),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, _) = self.parts();
        let message = self.message();
        let error_id = message.error_id.clone().unwrap_or_default();
        match &self {
            ApiError::Internal(source) => {
                // Log the whole chain once, under the id the client received.
                let mut chain = source.to_string();
                let mut cur = source.source();
                while let Some(s) = cur {
                    chain.push_str(": ");
                    chain.push_str(&s.to_string());
                    cur = s.source();
                }
                tracing::error!(error_id = %error_id, error = %chain, "internal error");
            }
            other => {
                tracing::debug!(error_id = %error_id, code, status = status.as_u16(), error = %other, "request refused");
            }
        }
        let body =
            serde_json::to_vec(&message).unwrap_or_else(|_| b"{\"title\":\"Error\"}".to_vec());
        let mut resp = (status, body).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_JSON));
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"entente\""),
            );
        }
        resp
    }
}

/// The response for a handler that panicked: a generic 500 TAXII error, never the panic text.
pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

/// Rewrites an error response that is not already a TAXII error message (for example the
/// bare 408 of a timeout layer, a 413 from a body-limit layer, or the 405 of a non-TAXII
/// route) into one with the same status. Meant for `axum::middleware::map_response` on the
/// whole application, outside the timeout layer.
pub async fn errors_as_taxii(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    // TAXII errors pass as they are, and so do JSON bodies of non-TAXII routes (`/health`
    // answers 503 with its own JSON). What is rewritten: empty, plain-text and HTML bodies.
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/taxii+json") || ct.starts_with("application/json")
        });
    if is_json {
        return resp;
    }
    let err = match status {
        StatusCode::BAD_REQUEST => ApiError::BadRequest("malformed request".into()),
        StatusCode::UNAUTHORIZED => ApiError::MissingCredentials,
        StatusCode::FORBIDDEN => ApiError::Forbidden("not allowed".into()),
        StatusCode::NOT_FOUND => ApiError::NotFound("no such resource".into()),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::NOT_ACCEPTABLE => ApiError::NotAcceptable,
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { max: 0 },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        StatusCode::REQUEST_TIMEOUT => ApiError::RequestTimeout,
        _ => {
            // Another status (502, 503, ...): keep it, in a TAXII body of its own.
            tracing::warn!(
                status = status.as_u16(),
                "error response without a TAXII body"
            );
            let message = ErrorMessage {
                title: status.canonical_reason().unwrap_or("Error").into(),
                description: None,
                error_id: Some(uuid::Uuid::new_v4().to_string()),
                error_code: Some("error".into()),
                http_status: Some(status.as_u16().to_string()),
                external_details: None,
                details: None,
            };
            let body = serde_json::to_vec(&message).unwrap_or_default();
            let mut out = (status, body).into_response();
            out.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII_JSON));
            copy_meaningful_headers(&resp, &mut out);
            return out;
        }
    };
    let mut out = err.into_response();
    *out.status_mut() = status;
    copy_meaningful_headers(&resp, &mut out);
    out
}

/// Keeps headers that carry meaning for the status (Allow on 405, Retry-After on 503).
fn copy_meaningful_headers(from: &Response, to: &mut Response) {
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = from.headers().get(&name) {
            to.headers_mut().insert(name, v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_code_and_a_string_status() {
        let all = [
            ApiError::BadRequest("x".into()),
            ApiError::MissingCredentials,
            ApiError::InvalidCredentials,
            ApiError::Forbidden("x".into()),
            ApiError::NotFound("x".into()),
            ApiError::MethodNotAllowed,
            ApiError::NotAcceptable,
            ApiError::PayloadTooLarge { max: 1 },
            ApiError::UnsupportedMediaType,
            ApiError::Unprocessable("x".into()),
            ApiError::RequestTimeout,
            ApiError::internal("boom"),
        ];
        let mut codes: Vec<_> = all.iter().map(|e| e.parts().1).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for e in &all {
            let m = e.message();
            assert_eq!(m.http_status.unwrap(), e.parts().0.as_u16().to_string());
        }
    }

    #[tokio::test]
    async fn bare_error_responses_become_taxii_errors_and_others_pass() {
        use axum::routing::get;
        use tower::ServiceExt as _;
        let app = axum::Router::new()
            .route("/timeout", get(|| async { StatusCode::REQUEST_TIMEOUT }))
            .route(
                "/html",
                get(|| async { (StatusCode::BAD_GATEWAY, "<html>x</html>") }),
            )
            .route("/ok", get(|| async { "fine" }))
            .route(
                "/json",
                get(|| async {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(serde_json::json!({"status": "unavailable"})),
                    )
                }),
            )
            .route(
                "/taxii",
                get(|| async { ApiError::Forbidden("kept as it is".into()) }),
            )
            .layer(axum::middleware::map_response(errors_as_taxii));
        let call = |path: &'static str| {
            let app = app.clone();
            async move {
                let req = axum::http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .unwrap();
                let resp = app.oneshot(req).await.unwrap();
                let status = resp.status();
                let ct = resp.headers().get(header::CONTENT_TYPE).cloned();
                let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
                    .await
                    .unwrap();
                (status, ct, String::from_utf8(body.to_vec()).unwrap())
            }
        };
        for (path, status) in [("/timeout", 408), ("/html", 502)] {
            let (s, ct, body) = call(path).await;
            assert_eq!(s.as_u16(), status);
            assert_eq!(ct.unwrap(), TAXII_JSON);
            let m: ErrorMessage = serde_json::from_str(&body).unwrap();
            assert_eq!(m.http_status.unwrap(), status.to_string());
            assert!(!body.contains("html"), "{body}");
        }
        let (s, _, body) = call("/json").await;
        assert_eq!(s.as_u16(), 503);
        assert_eq!(body, r#"{"status":"unavailable"}"#);
        let (s, _, body) = call("/ok").await;
        assert_eq!((s.as_u16(), body.as_str()), (200, "fine"));
        let (s, _, body) = call("/taxii").await;
        assert_eq!(s.as_u16(), 403);
        assert!(body.contains("kept as it is"), "{body}");
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_a_generic_taxii_500() {
        use axum::routing::get;
        use tower::ServiceExt as _;
        async fn boom() -> &'static str {
            panic!("secret detail in a panic")
        }
        let app = axum::Router::new().route("/boom", get(boom)).layer(
            tower_http::catch_panic::CatchPanicLayer::custom(panic_response),
        );
        let req = axum::http::Request::get("/boom")
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], TAXII_JSON);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("secret"), "{text}");
        let m: ErrorMessage = serde_json::from_str(&text).unwrap();
        assert_eq!(m.error_code.as_deref(), Some("internal-error"));
    }

    #[test]
    fn internal_errors_hide_their_source() {
        let m = ApiError::internal("disk /var/secret failed").message();
        let text = serde_json::to_string(&m).unwrap();
        assert!(!text.contains("secret"), "{text}");
    }
}
