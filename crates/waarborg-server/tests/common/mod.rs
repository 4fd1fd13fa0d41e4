//! Helpers shared by the server's integration tests.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;
use waarborg_server::auth;

/// Sends a JSON request (with the session's cookie and CSRF token, if any) through the
/// router; the status and the body as text.
pub async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    session: Option<&(String, String)>,
    body: &str,
) -> (StatusCode, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some((cookie, csrf)) = session {
        req = req
            .header(header::COOKIE, cookie.as_str())
            .header(auth::CSRF_HEADER, csrf.as_str());
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).to_string())
}
