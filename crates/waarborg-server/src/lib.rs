//! The Waarborg service: the application layer (`waarborg-app`) over HTTP.
//!
//! * [`routes::ROUTES`] is the one table of routes: method, path and who may call it. The
//!   router is built from it, and the authorisation test walks it with every role — a route
//!   without an entry in the test's expectations fails the build.
//! * [`auth`]: the session cookie and the CSRF header (accounts and sessions themselves are
//!   `waarborg_app::account`).
//! * Handlers only translate: they parse, call one use case of `waarborg-app` (through
//!   [`blocking`] when it touches the disk, the engine or the ledger), and answer — errors
//!   as `application/problem+json` by one `From<AppError>` ([`problem`]).
//!
//! Architecture invariant: only the route table grants access by role; object-level rules
//! (no self-verification, conflicts, the gate) live in `waarborg-govern` and are applied by
//! `waarborg-app`; a handler never holds a rule.

pub mod account;
pub mod api;
pub mod auth;
pub mod cases;
pub mod compare;
pub mod competence;
pub mod consultations;
pub mod governance;
mod handlers;
pub mod i18n;
pub mod incidents;
pub mod monitoring;
pub mod problem;
pub mod proficiency;
pub mod publication;
pub mod reference;
pub mod routes;
pub mod search;
pub mod subject;
pub mod ui;

use std::sync::Arc;

pub use waarborg_app::App;

/// Largest request body accepted (probe uploads are the largest legitimate bodies).
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// What every handler can reach: the application, and how cookies are sent.
pub struct AppState {
    /// The application layer: every use case goes through it.
    pub app: Arc<App>,
    /// Whether cookies get `Secure` (served behind TLS).
    pub secure_cookies: bool,
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// Runs `f` on the blocking pool — the one way a handler does anything that touches the
/// disk, the engine or the ledger, so that no async worker waits on them.
pub async fn pool<T, F>(f: F) -> Result<T, problem::Problem>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| problem::Problem::internal(format!("the work stopped: {e}")))
}

/// Runs use case `f` of the application layer on the blocking pool ([`pool`]).
pub async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, problem::Problem>
where
    T: Send + 'static,
    F: FnOnce(&App) -> waarborg_app::Result<T> + Send + 'static,
{
    let app = state.app.clone();
    pool(move || f(&app)).await?.map_err(problem::Problem::from)
}

/// Builds a page on the blocking pool ([`pool`]): for the pages that still read the store
/// while they are built (until each has its own use case).
pub async fn page_blocking<F>(state: &Arc<AppState>, f: F) -> axum::response::Response
where
    F: FnOnce(&AppState) -> axum::response::Response + Send + 'static,
{
    use axum::response::IntoResponse;
    let state = state.clone();
    pool(move || f(&state))
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The application, ready to serve.
pub fn app(state: Arc<AppState>) -> axum::Router {
    routes::router(state)
}

/// Serves `app` on `listener` until Ctrl-C or SIGTERM, with the scheduled duties
/// (`waarborg_app::jobs`) running beside it. On shutdown the requests under way are
/// finished, the duties stop, and a final checkpoint is signed, so that the ledger's last
/// entries are covered by a signature when the service is down.
pub fn run(
    app: Arc<App>,
    listener: std::net::TcpListener,
    secure_cookies: bool,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let jobs = waarborg_app::jobs::Jobs::start(app.clone())?;
    let state = Arc::new(AppState {
        app: app.clone(),
        secure_cookies,
    });
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        serve(
            listener,
            routes::router(state),
            ServerLimits::default(),
            shutdown_signal(),
        )
        .await
    });
    jobs.stop();
    if let Err(e) = app.flush_refusals(true) {
        tracing::error!(error = %e, "held refusal counts could not be logged");
    }
    match app.ledger.checkpoint() {
        Ok(cp) => tracing::info!(size = cp.checkpoint.size, "final checkpoint signed"),
        Err(e) => tracing::error!(error = %e, "the final checkpoint could not be signed"),
    }
    served
}

/// The HTTP server's own limits (issue 23): how long a client may take to send a request's
/// headers (a connection that dawdles is closed, so slow clients cannot hold connections),
/// and how many connections are served at once (the rest wait in the kernel's backlog).
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Time to send a request's headers.
    pub header_read_timeout: std::time::Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            header_read_timeout: std::time::Duration::from_secs(10),
            max_connections: 512,
        }
    }
}

/// Serves `router` on `listener` over HTTP/1.1 within `limits` until `shutdown`; then
/// stops accepting, lets the requests under way finish (30 s at most) and returns. Each
/// request carries its peer's address (`ConnectInfo`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, a connection reset before accept: wait a
                    // moment and go on, never end the service for it.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(req)
            });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(std::time::Duration::from_secs(30)) => {
            tracing::warn!("connections still open 30 s after shutdown began; stopping");
        }
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM (how a service manager stops the service).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests under way");
}
