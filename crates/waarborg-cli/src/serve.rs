//! `waarborg serve` and `waarborg admin create`.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use waarborg_app::{account, jobs, App};
use waarborg_govern::Role;
use waarborg_store::{Account, AccountStore, SqliteStore};

use crate::audit::{DataArgs, KeyArgs};
use crate::config::Config;
use crate::govern::STORE_FILE;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed at start) [default:
    /// 127.0.0.1:8080, or the configuration's `bind`].
    #[arg(long)]
    bind: Option<SocketAddr>,
    /// Mark cookies `Secure` (set when a TLS proxy sits in front).
    #[arg(long)]
    secure_cookies: bool,
    /// Configuration file (TOML; see docs/configuration.md) [default: $WAARBORG_CONFIG].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the configuration in effect and exit.
    #[arg(long)]
    print_config: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    key: KeyArgs,
}

impl ServeArgs {
    /// The configuration: the file's, the environment's, then these flags.
    fn config(&self) -> anyhow::Result<Config> {
        let mut c = Config::load(self.config.as_deref())?;
        if let Some(d) = self.data.explicit() {
            c.data = Some(d.to_path_buf());
        }
        if let Some(b) = self.bind {
            c.bind = b;
        }
        c.secure_cookies |= self.secure_cookies;
        Ok(c)
    }
}

fn open_store(data: &DataArgs) -> anyhow::Result<SqliteStore> {
    let dir = data.dir();
    crate::audit::private_dir(&dir)?;
    let store = SqliteStore::open(&dir.join(STORE_FILE))?;
    if waarborg_store::Store::frameworks(&store)?.is_empty() {
        waarborg_store::Store::import_framework(
            &store,
            &waarborg_govern::framework::Framework::default_template(),
        )?;
    }
    Ok(store)
}

/// Reconciles the store and the ledger (`waarborg_app::consistency`) before anything
/// writes to either; says what it repaired.
pub fn reconciled(store: &SqliteStore, ledger: &waarborg_ledger::Ledger) -> anyhow::Result<()> {
    let r = waarborg_app::consistency::reconcile(store, ledger)?;
    if !r.voided.is_empty() {
        eprintln!(
            "reconciliation: ledger entries {:?} belonged to a change the store never committed (the service stopped in between); a void entry now says so",
            r.voided
        );
    }
    Ok(())
}

/// The application on the data directory: store, ledger, engine (if installed), index,
/// vaults, with the system clock.
pub fn open_app(data: &DataArgs, key: &KeyArgs, config: &Config) -> anyhow::Result<Arc<App>> {
    let store = open_store(data)?;
    // Without models the service still runs its governance routes and answers biometric
    // ones with 503.
    let engine = match waarborg_models::ModelCache::from_env().require() {
        Ok(paths) => Some(Arc::new(waarborg_face::FaceEngine::load(
            &crate::models::engine_paths(paths),
            config.engine_config(),
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
    reconciled(&store, &ledger)?;
    Ok(Arc::new(App {
        store,
        ledger,
        clock: waarborg_app::system_clock(),
        engine,
        index: Some(Arc::new(index)),
        probes: crate::refdb::open_probes(&data.dir(), &keys)?,
        references: Some(crate::refdb::open_vault(&data.dir(), &keys)?),
        caches: waarborg_app::Caches {
            ledger: match &config.ledger_public_key {
                Some(key) => waarborg_app::audit::Watch::pinned(
                    waarborg_ledger::NoteVerifier::parse(key)
                        .context("ledger_public_key is not a ledger public key")?,
                ),
                None => Default::default(),
            },
            ..Default::default()
        },
        reserve: config.reserve(&data.dir()),
        read_flags: config.read_flags(),
        model_licences: crate::models::model_licences(),
        model_evaluations: crate::models::model_evaluations(),
    }))
}

/// Serves `app` on `bind` until Ctrl-C or SIGTERM, printing the address first. Before it
/// listens, the scheduled duties run once: the reference database is reconciled and its
/// retention rules applied, and the results of searches no authorisation covers are erased;
/// then they run on their schedule (`waarborg_app::jobs`).
pub fn run(app: Arc<App>, bind: SocketAddr, secure_cookies: bool) -> anyhow::Result<()> {
    let applied = jobs::retention(&app)?;
    if applied.erased_any() {
        eprintln!("retention: {}", applied.describe());
    }
    let erased = jobs::erase_uncovered(&app, true)?;
    if erased > 0 {
        eprintln!("erased the results of {erased} searches no authorisation covers, each with a deletion receipt");
    }
    let orphans = waarborg_app::search::remove_orphan_probes(&app)?;
    if orphans > 0 {
        eprintln!(
            "removed {orphans} probe images no kept search holds, each with a deletion receipt"
        );
    }
    let listener =
        std::net::TcpListener::bind(bind).with_context(|| format!("listening on {bind}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    use std::io::Write;
    std::io::stdout().flush()?;
    waarborg_server::run(app, listener, secure_cookies)?;
    Ok(())
}

pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    if args.print_config {
        print!("{}", config.to_toml()?);
        return Ok(ExitCode::SUCCESS);
    }
    let data = DataArgs::at(config.data.clone());
    let app = open_app(&data, &args.key, &config)?;
    if !app
        .store
        .accounts()?
        .iter()
        .any(|a| a.roles.contains(&Role::Administrator))
    {
        eprintln!("no administrator yet: create one with `waarborg admin create --user NAME --role administrator --unit UNIT`");
    }
    run(app, config.bind, config.secure_cookies)?;
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
        /// For a competent authority: which authority the person is, `public_prosecutor`
        /// or `investigating_judge` (a case is decided by the kind it asks for).
        #[arg(long)]
        authority: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        env: crate::govern::Env,
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
            authority,
            password_stdin,
            env,
        } => {
            let authority = match authority.as_deref() {
                None => None,
                Some(k) => Some(waarborg_govern::case::AuthorityKind::parse(k).with_context(
                    || format!("unknown authority {k:?}: public_prosecutor or investigating_judge"),
                )?),
            };
            let roles = role
                .iter()
                .map(|r| Role::parse(r).with_context(|| format!("unknown role {r:?}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let password = if password_stdin {
                let mut p = String::new();
                std::io::stdin().read_to_string(&mut p)?;
                p.trim_end_matches(['\r', '\n']).to_string()
            } else {
                account::generate_password()?
            };
            let account = Account {
                display_name: name.unwrap_or_else(|| user.clone()),
                authority,
                ..Account::new(&user, roles, &unit)
            };
            // Logged like every account: the operator at the command line creates it.
            account::create_account(&env.app()?, &crate::govern::operator(), account, &password)?;
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
                    "{:<24} {:<40} {}{}{}",
                    a.user,
                    roles.join(","),
                    a.unit,
                    a.authority
                        .map(|k| format!(" ({})", k.as_str()))
                        .unwrap_or_default(),
                    if a.disabled { " (disabled)" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
