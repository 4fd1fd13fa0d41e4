//! `waarborg report …`: figures computed from the verified ledger, and their verification
//! by anyone with a copy of it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use waarborg_report::{Period, Report};

use crate::audit::DataArgs;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The figures of a period, overall and per deployment revision, from the ledger's own
    /// entries (the ledger is verified first; the report states the size and root it covers).
    Figures {
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Day after the last (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// Write the report (JSON) here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also write it as an HTML page (with a chart per month) here.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// The HTML page's language: en or nl.
        #[arg(long, default_value = "en")]
        lang: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Recompute a report from a ledger copy: every figure must match (exit 1 lists those
    /// that do not).
    Verify {
        /// The report (JSON, as `report figures` writes it).
        report: PathBuf,
        /// The ledger directory to recompute from (default: the data directory's ledger).
        #[arg(long, value_name = "DIR")]
        ledger: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub fn run(command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Figures {
            from,
            to,
            out,
            html,
            lang,
            data,
        } => {
            let period = Period::new(&from, &to)?;
            let lang = match lang.as_str() {
                "en" => waarborg_report::html::Lang::En,
                "nl" => waarborg_report::html::Lang::Nl,
                other => anyhow::bail!("--lang {other:?}: en or nl"),
            };
            let report = waarborg_report::figures_of_verified(&data.ledger_dir(), &period)?;
            if let Some(file) = html {
                std::fs::write(&file, waarborg_report::html::render(&report, lang))
                    .with_context(|| format!("writing {}", file.display()))?;
            }
            let json = serde_json::to_string_pretty(&report)?;
            match out {
                Some(file) => {
                    std::fs::write(&file, format!("{json}\n"))
                        .with_context(|| format!("writing {}", file.display()))?;
                    eprintln!(
                        "report for {from} – {to} over ledger entries 0..{} (root {}) written to {}",
                        report.ledger.size,
                        report.ledger.root,
                        file.display()
                    );
                }
                None => println!("{json}"),
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
            let report: Report = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a Waarborg report", report.display()))?;
            let dir = ledger.unwrap_or_else(|| data.ledger_dir());
            let (snapshot, _) = waarborg_report::verified_snapshot(&dir)?;
            let mismatches = waarborg_report::verify(&report, &snapshot)?;
            if mismatches.is_empty() {
                println!(
                    "every figure matches the ledger (entries 0..{}, root {})",
                    report.ledger.size, report.ledger.root
                );
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
