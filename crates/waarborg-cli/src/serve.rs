//! `waarborg serve` and `waarborg admin create`.

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use waarborg_govern::Role;
use waarborg_server::{auth, AppState};
use waarborg_store::{Account, AccountStore, SqliteStore};

use crate::audit::{DataArgs, KeyArgs};
use crate::govern::STORE_FILE;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Mark cookies `Secure` (set when a TLS proxy sits in front).
    #[arg(long)]
    secure_cookies: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    key: KeyArgs,
}

fn open_store(data: &DataArgs) -> anyhow::Result<SqliteStore> {
    let dir = data.dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let store = SqliteStore::open(&dir.join(STORE_FILE))?;
    if waarborg_store::Store::frameworks(&store)?.is_empty() {
        waarborg_store::Store::import_framework(
            &store,
            &waarborg_govern::framework::Framework::default_template(),
        )?;
    }
    Ok(store)
}

/// The service's state on the data directory: store, ledger, engine (if installed), index.
pub fn state(
    data: &DataArgs,
    key: &KeyArgs,
    secure_cookies: bool,
) -> anyhow::Result<Arc<AppState>> {
    let store = open_store(data)?;
    // Without models the service still runs its governance routes and answers biometric
    // ones with 503.
    let engine = match waarborg_models::ModelCache::from_env().require() {
        Ok(paths) => Some(Arc::new(waarborg_face::FaceEngine::load(
            &waarborg_face::EnginePaths {
                runtime_library: paths.runtime_library,
                detector: paths.detector,
                recognizer: paths.recognizer,
            },
            waarborg_face::EngineConfig::default(),
        )?)),
        Err(e) => {
            eprintln!("face engine not loaded ({e}); biometric routes will answer 503");
            None
        }
    };
    let keys = crate::refdb::keyring(&data.dir())?;
    let index = crate::refdb::open_index(&data.dir(), &keys)?;
    let signer = key.signer(&data.dir(), true)?;
    let (ledger, _) = waarborg_ledger::Ledger::open(&data.ledger_dir(), signer)?;
    Ok(Arc::new(AppState {
        store,
        ledger,
        secure_cookies,
        clock: waarborg_server::system_clock,
        engine,
        index: Some(Arc::new(index)),
        probes: crate::refdb::open_probes(&data.dir(), &keys)?,
        references: Some(crate::refdb::open_vault(&data.dir(), &keys)?),
    }))
}

/// How often the running service signs a checkpoint (when entries were added).
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// How often the running service applies the retention rules to the reference database.
pub const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Brings the reference database into agreement (after a crash) and applies the retention
/// rules; called at start and every [`RETENTION_EVERY`].
fn retention_run(state: &AppState) -> anyhow::Result<()> {
    let (Some(index), Some(vault)) = (state.index.as_deref(), state.references.as_ref()) else {
        return Ok(());
    };
    let db = waarborg_refdb::ReferenceDb {
        store: &state.store,
        index,
        vault,
        ledger: &state.ledger,
    };
    db.reconcile()?;
    let now = waarborg_govern::Timestamp(state.now());
    let report = waarborg_refdb::retention::apply(&db, &Default::default(), now)?;
    if report.erased > 0 {
        eprintln!(
            "retention: {} reference images erased, each with a deletion receipt",
            report.erased
        );
    }
    Ok(())
}

/// Erases the results of searches no case authorisation covers any more (refused, or an
/// urgent use past its 48 hours): every case at start (`all`), then every
/// [`CHECKPOINT_EVERY`] the urgent uses whose deadline passed in the last day.
fn erase_uncovered(state: &AppState, all: bool) -> anyhow::Result<()> {
    let now = waarborg_govern::Timestamp(state.now());
    let erased = waarborg_server::cases::erase_uncovered_searches(
        &state.store,
        &state.ledger,
        &state.probes,
        now,
        (!all).then(|| now.plus(-waarborg_govern::Timestamp::DAY)),
    )
    .map_err(|p| anyhow::anyhow!(p.detail))?;
    if erased > 0 {
        eprintln!("erased the results of {erased} searches no authorisation covers, each with a deletion receipt");
    }
    Ok(())
}

/// Serves `state` on `bind` until Ctrl-C, printing the address first; signs a checkpoint
/// every [`CHECKPOINT_EVERY`] (and erases the results of searches no authorisation covers
/// any more); reconciles the reference database and applies the retention
/// rules at start and every [`RETENTION_EVERY`].
pub fn run(state: Arc<AppState>, bind: SocketAddr) -> anyhow::Result<()> {
    retention_run(&state)?;
    erase_uncovered(&state, true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("listening on {bind}"))?;
        let addr = listener.local_addr()?;
        // Signed checkpoints on a schedule (and on demand, `waarborg audit checkpoint`): a
        // supervisor who keeps them can later prove any rewrite of history.
        let ticker = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            loop {
                every.tick().await;
                let state = ticker.clone();
                // A failure is recorded in the ledger's state and refuses appends; retried next time.
                let result = tokio::task::spawn_blocking(move || {
                    let erased = erase_uncovered(&state, false);
                    let _ = state.ledger.checkpoint();
                    erased
                })
                .await;
                if let Ok(Err(e)) = result {
                    eprintln!("erasing uncovered searches failed (retried in {CHECKPOINT_EVERY:?}): {e:#}");
                }
            }
        });
        let keeper = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(RETENTION_EVERY);
            every.tick().await; // the first tick is now; the run at start was above
            loop {
                every.tick().await;
                let state = keeper.clone();
                let result = tokio::task::spawn_blocking(move || retention_run(&state)).await;
                if let Ok(Err(e)) = result {
                    eprintln!("retention run failed (retried at the next run): {e:#}");
                }
            }
        });
        println!("listening on http://{addr}");
        use std::io::Write;
        std::io::stdout().flush()?;
        axum::serve(listener, waarborg_server::app(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        anyhow::Ok(())
    })
}

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let state = state(&args.data, &args.key, args.secure_cookies)?;
    if !state
        .store
        .accounts()?
        .iter()
        .any(|a| a.roles.contains(&Role::Administrator))
    {
        eprintln!("no administrator yet: create one with `waarborg admin create --user NAME --role administrator --unit UNIT`");
    }
    run(state, args.bind)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account. The password is generated and printed once, or read from stdin.
    Create {
        /// Login name (pseudonymous id).
        #[arg(long)]
        user: String,
        /// Name shown in the interface (default: the login name).
        #[arg(long)]
        name: Option<String>,
        /// Roles, comma-separated (e.g. `administrator`).
        #[arg(long, value_delimiter = ',', required = true)]
        role: Vec<String>,
        /// Organisational unit.
        #[arg(long)]
        unit: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

pub fn admin(command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::Create {
            user,
            name,
            role,
            unit,
            password_stdin,
            data,
        } => {
            let roles = role
                .iter()
                .map(|r| Role::parse(r).with_context(|| format!("unknown role {r:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let password = if password_stdin {
                let mut p = String::new();
                std::io::stdin().read_to_string(&mut p)?;
                p.trim_end_matches(['\r', '\n']).to_string()
            } else {
                auth::generate_password().map_err(|p| anyhow::anyhow!(p.detail))?
            };
            let account = Account {
                display_name: name.unwrap_or_else(|| user.clone()),
                ..Account::new(&user, roles, &unit)
            };
            let store = open_store(&data)?;
            if let Err(p) = auth::create_account(&store, &account, &password) {
                bail!("{}", p.detail);
            }
            if password_stdin {
                println!("created {user}");
            } else {
                println!("created {user}; password (shown once): {password}");
            }
        }
        AdminCommand::List { data } => {
            for a in open_store(&data)?.accounts()? {
                let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:<24} {:<40} {}{}",
                    a.user,
                    roles.join(","),
                    a.unit,
                    if a.disabled { " (disabled)" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
