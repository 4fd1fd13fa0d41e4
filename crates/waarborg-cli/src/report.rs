//! `waarborg report …`: figures computed from the verified ledger, and their verification
//! by anyone with a copy of it; the AI Act yearly report, the framework's half-yearly
//! overview, the Algoritmeregister export and the EU database registration data; the texts
//! they are made from.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use waarborg_app::publication;
use waarborg_govern::Timestamp;
use waarborg_report::{Period, Report};

use crate::audit::DataArgs;
use crate::govern::Env;

/// Where a report goes and in what form.
#[derive(Debug, Args)]
pub struct Output {
    /// Write the report (JSON) here instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write it as an HTML page (with charts) here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Also print it to PDF here (needs Debian's `chromium`).
    #[arg(long, value_name = "FILE")]
    pdf: Option<PathBuf>,
    /// The page's language: en or nl.
    #[arg(long, default_value = "en")]
    lang: String,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The figures of a period — overall, per deployment revision, per month and per
    /// offence category; case authorisations and the erasures that followed; reference
    /// databases; the framework at work — from the ledger's own entries (the ledger is
    /// verified first; the report states the size and root it covers).
    Figures {
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Day after the last (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The half-yearly overview of the deployment framework's working (proposals, advice by
    /// outcome, ratifications, authority decisions, deployments in use, reviews done and
    /// overdue, evaluations), for the ministry's report to Parliament.
    Framework {
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Day after the last (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The AI Act Art. 26(10) yearly report to the market surveillance and data protection
    /// authorities (figures only, no sensitive operational data).
    Annual {
        /// The calendar year.
        #[arg(long)]
        year: i32,
        #[command(flatten)]
        output: Output,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The Algoritmeregister export of every registered use (publication standard 1.0.0),
    /// checked first: a missing or too-long field stops the export and is named.
    Register {
        /// Write the JSON export here.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Write the CSV export here.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// The EU database registration data of every deployment (AI Act Annex VIII, Section C),
    /// checked first.
    EuRegistration {
        /// Write the JSON here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Write a deployment's published texts (JSON: `{"register": {...}, "eu": {...}}`), as
    /// an applicant or the privacy officer; without --file, print the current ones.
    Publication {
        /// The deployment.
        deployment: String,
        /// The texts to write.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Who writes: USER:ROLE:UNIT.
        #[arg(long = "as", value_name = "USER:ROLE:UNIT")]
        actor: Option<String>,
        #[command(flatten)]
        env: Env,
    },
    /// Write the organisation's details (JSON: `{"deployer": {...}, "submitter": {...}}`),
    /// as the privacy officer or an administrator; without --file, print them.
    Organisation {
        /// The details to write.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Who writes: USER:ROLE:UNIT.
        #[arg(long = "as", value_name = "USER:ROLE:UNIT")]
        actor: Option<String>,
        #[command(flatten)]
        env: Env,
    },
    /// Who consulted which records, and why (LED art. 25): the reads in the ledger that
    /// answer the question, the unusual ones flagged; asking is logged as the operator's
    /// read.
    Consultations {
        /// A record, with its kind (`reference-image:7`, `case:OM-2026-0042`, `search:S-…`).
        #[arg(long)]
        subject: Option<String>,
        /// A reader's user id.
        #[arg(long)]
        user: Option<String>,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Day after the last (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        env: Env,
    },
    /// Recompute a report (figures, framework or yearly report, as JSON) from a ledger copy:
    /// every figure must match (exit 1 lists those that do not).
    Verify {
        /// The report (JSON, as `report figures` or `report annual` writes it).
        report: PathBuf,
        /// The ledger directory to recompute from (default: the data directory's ledger).
        #[arg(long, value_name = "DIR")]
        ledger: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub(crate) fn lang(code: &str) -> anyhow::Result<waarborg_report::html::Lang> {
    match code {
        "en" => Ok(waarborg_report::html::Lang::En),
        "nl" => Ok(waarborg_report::html::Lang::Nl),
        other => bail!("--lang {other:?}: en or nl"),
    }
}

fn write(file: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(file, text).with_context(|| format!("writing {}", file.display()))
}

/// Writes `json` and the page `html` where `output` asks.
fn emit(
    output: &Output,
    json: String,
    html: impl Fn() -> String,
    summary: &str,
) -> anyhow::Result<()> {
    if let Some(file) = &output.html {
        write(file, &html())?;
    }
    if let Some(file) = &output.pdf {
        waarborg_report::pdf::print(&html(), file)?;
        eprintln!("PDF written to {}", file.display());
    }
    match &output.out {
        Some(file) => {
            write(file, &format!("{json}\n"))?;
            eprintln!("{summary}; written to {}", file.display());
        }
        None => println!("{json}"),
    }
    Ok(())
}

fn store(data: &DataArgs) -> anyhow::Result<waarborg_store::SqliteStore> {
    let file = data.dir().join(crate::govern::STORE_FILE);
    if !file.exists() {
        bail!("no store at {}: nothing registered yet", file.display());
    }
    Ok(waarborg_store::SqliteStore::open(&file)?)
}

fn now() -> Timestamp {
    Timestamp((waarborg_app::system_clock())())
}

fn point(report: &Report) -> String {
    format!(
        "over ledger entries 0..{} (root {})",
        report.ledger.size, report.ledger.root
    )
}

/// The figures of a period from the verified ledger, written as `output` asks, the page
/// made by `render`.
fn period_report(
    from: &str,
    to: &str,
    output: &Output,
    data: &DataArgs,
    render: fn(&Report, waarborg_report::html::Lang) -> String,
    what: &str,
) -> anyhow::Result<ExitCode> {
    let page_lang = lang(&output.lang)?;
    let report = publication::figures(&data.ledger_dir(), &Period::new(from, to)?)?;
    emit(
        output,
        serde_json::to_string_pretty(&report)?,
        || render(&report, page_lang),
        &format!("{what} for {from} – {to} {}", point(&report)),
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Figures {
            from,
            to,
            output,
            data,
        } => period_report(
            &from,
            &to,
            &output,
            &data,
            waarborg_report::html::render,
            "report",
        ),
        ReportCommand::Framework {
            from,
            to,
            output,
            data,
        } => period_report(
            &from,
            &to,
            &output,
            &data,
            waarborg_report::html::render_framework,
            "framework overview",
        ),
        ReportCommand::Annual { year, output, data } => {
            let page_lang = lang(&output.lang)?;
            let report = publication::annual(&store(&data)?, &data.ledger_dir(), year, now())?;
            emit(
                &output,
                serde_json::to_string_pretty(&report)?,
                || waarborg_report::html::render_annual(&report, page_lang),
                &format!("yearly report {year} {}", point(&report.figures)),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Register { json, csv, data } => {
            let checked = publication::registrations(&store(&data)?, now())?;
            let regs = publication::all_valid(checked)?;
            if json.is_none() && csv.is_none() {
                println!("{}", serde_json::to_string_pretty(&regs)?);
            }
            if let Some(file) = json {
                write(&file, &serde_json::to_string_pretty(&regs)?)?;
            }
            if let Some(file) = csv {
                write(&file, &waarborg_report::register::to_csv(&regs)?)?;
            }
            eprintln!("{} registrations exported", regs.len());
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::EuRegistration { out, data } => {
            let checked = publication::eu_registrations(&store(&data)?, now())?;
            let regs = publication::all_valid(checked)?;
            let json = serde_json::to_string_pretty(&regs)?;
            match out {
                Some(file) => write(&file, &json)?,
                None => println!("{json}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Publication {
            deployment,
            file,
            actor,
            env,
        } => {
            let app = env.app()?;
            let (current, version) = publication::publication(&app.store, &deployment)?;
            let Some(file) = file else {
                println!("{}", serde_json::to_string_pretty(&current)?);
                return Ok(ExitCode::SUCCESS);
            };
            let text: publication::Publication = read_json(&file)?;
            let actor = crate::govern::parse_actor(
                actor
                    .as_deref()
                    .context("--as USER:ROLE:UNIT is needed to write")?,
            )?;
            let version = publication::save_publication(&app, &actor, &deployment, &text, version)?;
            println!("{deployment}: published texts written (version {version})");
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Organisation { file, actor, env } => {
            let app = env.app()?;
            let (current, version) = publication::organisation(&app.store)?;
            let Some(file) = file else {
                println!("{}", serde_json::to_string_pretty(&current)?);
                return Ok(ExitCode::SUCCESS);
            };
            let org: waarborg_report::annual::Organisation = read_json(&file)?;
            let actor = crate::govern::parse_actor(
                actor
                    .as_deref()
                    .context("--as USER:ROLE:UNIT is needed to write")?,
            )?;
            let version = publication::save_organisation(&app, &actor, &org, version)?;
            println!("organisation details written (version {version})");
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Consultations {
            subject,
            user,
            from,
            to,
            json,
            env,
        } => {
            let ask = waarborg_app::consult::Ask {
                subject,
                user,
                from,
                to,
                lang: None,
            };
            let found = match waarborg_app::consult::consultations(
                &env.app()?,
                &crate::govern::operator(),
                &ask,
            ) {
                Ok(found) => found,
                Err(e) => return crate::govern::refused_or_error(e),
            };
            if json {
                println!("{}", serde_json::to_string(&found)?);
            } else {
                for r in &found.reads {
                    println!(
                        "{}  {} ({}, {})  {} {}  {}{}  {}",
                        r.time,
                        r.user,
                        r.role,
                        r.unit,
                        r.record_kind,
                        r.records.join(","),
                        r.purpose,
                        r.case
                            .as_ref()
                            .map_or(String::new(), |c| format!(" case {c}")),
                        r.flags.join(",")
                    );
                }
                println!(
                    "{} reads, {} flagged, of {} ledger entries",
                    found.reads.len(),
                    found.flagged,
                    found.size
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Verify {
            report,
            ledger,
            data,
        } => {
            let text = std::fs::read_to_string(&report)
                .with_context(|| format!("reading {}", report.display()))?;
            let report = Report::from_json(&text)
                .with_context(|| format!("reading {}", report.display()))?;
            let dir = ledger.unwrap_or_else(|| data.ledger_dir());
            let mismatches = publication::verify_report(&dir, &report)?;
            if mismatches.is_empty() {
                println!("every figure matches the ledger ({})", point(&report));
                return Ok(ExitCode::SUCCESS);
            }
            for m in &mismatches {
                println!(
                    "MISMATCH {}: the report says {}, the ledger gives {}",
                    m.figure, m.reported, m.recomputed
                );
            }
            Ok(ExitCode::from(1))
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(file: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} does not hold the expected JSON", file.display()))
}
