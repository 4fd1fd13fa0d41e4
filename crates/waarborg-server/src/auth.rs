//! The session cookie and the CSRF header: how a session travels over HTTP. Accounts,
//! passwords, sessions and the second factor are use cases in `waarborg_app::account`.

pub use waarborg_app::account::*;

/// Session cookie name.
pub const COOKIE: &str = "waarborg_session";
/// CSRF header.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session cookie for `token` (`Secure` when served over TLS).
pub fn cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Reads the session token from a `Cookie` header.
pub fn token_from_cookies(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// Where a request comes from, for login throttling: the peer's IP address (the service
/// serves with connection info); `local` when there is none (tests calling the router).
/// Behind a reverse proxy this is the proxy's address: forwarded headers are not trusted.
#[derive(Debug, Clone)]
pub struct Source(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Source, Self::Rejection> {
        Ok(Source(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "local".to_string(), |c| c.0.ip().to_string()),
        ))
    }
}
