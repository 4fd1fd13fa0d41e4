//! `waarborg`: the command-line program.
//!
//! Thin: each subcommand parses its arguments, calls an engine crate and prints. Errors
//! reach the user through `anyhow` with the engine's message, which says what to do.

mod audit;
mod bench;
mod bench_http;
mod bench_search;
mod config;
mod demo_org;
mod evaluate;
mod face;
mod govern;
mod models;
mod refdb;
mod report;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use waarborg_models::ModelCache;

/// Waarborg: governed retrospective facial identification.
#[derive(Debug, Parser)]
#[command(name = "waarborg", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install, add, choose, verify and evaluate ONNX Runtime and the face models.
    #[command(alias = "model")]
    Models {
        #[command(subcommand)]
        command: models::ModelsCommand,
    },
    /// Detect, assess and compare faces in image files.
    Face {
        #[command(subcommand)]
        command: face::FaceCommand,
    },
    /// Verify the audit ledger, print checkpoints and proofs, manage its signing key.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Deployment frameworks: list, show, import a new version.
    Framework {
        #[command(subcommand)]
        command: govern::FrameworkCommand,
    },
    /// The register of face-recognition uses and the review chain of each revision.
    Deployment {
        #[command(subcommand)]
        command: govern::DeploymentCommand,
    },
    /// Case authorisations (AI Act Art. 26(10)).
    Case {
        #[command(subcommand)]
        command: govern::CaseCommand,
    },
    /// The competence register: examiners' and verifiers' qualifications and authorisations.
    Competence {
        #[command(subcommand)]
        command: govern::CompetenceCommand,
    },
    /// Ask the gate whether a biometric operation may run.
    Gate {
        #[command(subcommand)]
        command: govern::GateCommand,
    },
    /// The reference database: enrol, import, list, flags, person events, vault keys.
    Refdb {
        #[command(subcommand)]
        command: refdb::RefdbCommand,
    },
    /// Retention: plan and apply the erasures the rules require.
    Retention {
        #[command(subcommand)]
        command: refdb::RetentionCommand,
    },
    /// Reports whose every figure is computed from the verified ledger, and their check.
    Report {
        #[command(subcommand)]
        command: report::ReportCommand,
    },
    /// Run the web service.
    Serve(serve::ServeArgs),
    /// Accounts: create the first administrator, list accounts.
    Admin {
        #[command(subcommand)]
        command: serve::AdminCommand,
    },
    /// Measure speed (see bench/ for side-by-side comparisons).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// Set up the model cache if needed, analyse the sample photos, record every analysis
    /// in the audit ledger and verify it.
    Demo {
        #[command(flatten)]
        engine: face::EngineArgs,
        #[command(flatten)]
        data: audit::DataArgs,
        #[command(flatten)]
        key: audit::KeyArgs,
        /// Set everything up but do not start the server.
        #[arg(long)]
        no_serve: bool,
        /// Where the demo server listens (loopback only by default).
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: std::net::SocketAddr,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logs();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Operational logs on standard error: `WAARBORG_LOG` filters them (`info` by default, e.g.
/// `waarborg_server=debug` for every answered request), `WAARBORG_LOG_FORMAT=json` writes one
/// JSON object per line for a log collector. Never biometric data: the code logs codes,
/// counts and route patterns only.
fn logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("WAARBORG_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::env::var("WAARBORG_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Models { command } => models::run(command),
        Command::Face { command } => face::run(command),
        Command::Bench { command } => bench::run(command),
        Command::Audit { command } => audit::run(command),
        Command::Framework { command } => govern::framework(command),
        Command::Deployment { command } => govern::deployment(command),
        Command::Case { command } => govern::case(command),
        Command::Competence { command } => govern::competence(command),
        Command::Gate { command } => govern::gate(command),
        Command::Refdb { command } => refdb::run(command),
        Command::Retention { command } => refdb::retention(command),
        Command::Report { command } => report::run(command),
        Command::Serve(args) => serve::serve(args),
        Command::Admin { command } => serve::admin(command),
        Command::Demo {
            engine,
            data,
            key,
            no_serve,
            bind,
        } => {
            ModelCache::from_env().install(&mut |line| eprintln!("{line}"))?;
            let code = face::demo(&engine, &data, &key)?;
            evaluate::evaluate_for_demo(&data.dir())?;
            let app = serve::open_app(&data, &key, &config::Config::load(None)?)?;
            let samples = ModelCache::from_env().require()?.samples;
            demo_org::set_up(&app, &data.dir(), &samples)?;
            let accounts = data.dir().join(demo_org::PASSWORDS_FILE);
            println!("\nThe demo organisation is ready: deployment {} is active, the reference database holds {} templates, case OM-DEMO-0001 went from probe to identification.", demo_org::DEPLOYMENT, app.index.as_ref().map_or(0, |i| i.stats().templates));
            // Passwords never go to standard output (terminal scrollback, CI logs): the file
            // is readable by its owner only.
            let names: Vec<String> = std::fs::read_to_string(&accounts)?
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .filter_map(|l| {
                    let mut cols = l.split_whitespace();
                    Some(format!("{} ({})", cols.next()?, cols.next()?))
                })
                .collect();
            println!("Accounts: {}.", names.join(", "));
            println!(
                "Their passwords are in {} (readable only by you).",
                accounts.display()
            );
            if no_serve {
                return Ok(code);
            }
            println!("Log in with one of these accounts (POST /api/login); public register: /api/public/register; API: /api/openapi.json");
            serve::run(app, bind, false)?;
            Ok(code)
        }
    }
}
