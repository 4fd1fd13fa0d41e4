//! `waarborg framework|deployment|case|gate …`: the governance domain for operators, before
//! the web UI. Every decision is checked by `waarborg-govern`, appended to the audit ledger
//! and only then committed to the store (log first).
//!
//! Until accounts exist (the server), the acting person is named with
//! `--as USER:ROLE:UNIT[:PORTFOLIO]`; the ledger records who acted in which role.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use waarborg_app::{cases, governance, App, AppError};
use waarborg_govern::framework::Framework;
use waarborg_govern::gate::Action;
use waarborg_govern::revision::{AdviceOutcome, Command, Judgement, RevisionContent, Weighing};
use waarborg_govern::{Actor, Portfolio, Role, Timestamp};
use waarborg_ledger::Ledger;
use waarborg_store::{SqliteStore, Store};

use crate::audit::{DataArgs, KeyArgs};

/// Name of the store file in the data directory.
pub const STORE_FILE: &str = "waarborg.sqlite";

/// Where the data is, the signing key, and the time to act at.
#[derive(Debug, Args)]
pub struct Env {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Act at this time (RFC 3339) instead of now — for rehearsals and tests.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

/// Who acts when a command is run at the command line (an installation's operator, with
/// the administrator's role): how the ledger names it.
pub fn operator() -> Actor {
    Actor::new("operator", Role::Administrator, "operations")
}

impl Env {
    pub fn now(&self) -> anyhow::Result<Timestamp> {
        match &self.at {
            Some(t) => Timestamp::parse(t).map_err(anyhow::Error::msg),
            None => Ok(Timestamp(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
            )),
        }
    }

    pub fn store(&self) -> anyhow::Result<SqliteStore> {
        let dir = self.data.dir();
        crate::audit::private_dir(&dir)?;
        let store = SqliteStore::open(&dir.join(STORE_FILE))?;
        // A new store starts with the shipped template framework.
        if store.frameworks()?.is_empty() {
            store.import_framework(&Framework::default_template())?;
        }
        Ok(store)
    }

    /// The ledger, reconciled with `store` before anything is written to either.
    pub fn ledger(&self, store: &SqliteStore) -> anyhow::Result<Ledger> {
        let signer = self.key.signer(&self.data.dir(), true)?;
        let (ledger, _) = Ledger::open(&self.data.ledger_dir(), signer)?;
        crate::serve::reconciled(store, &ledger)?;
        Ok(ledger)
    }

    /// [`app`](Self::app) with the reference database's index and image vault (a retention
    /// run).
    pub fn app_with_references(&self) -> anyhow::Result<App> {
        self.app_of(true)
    }

    /// The application for a governance command: store, ledger and probe vault (no engine,
    /// no index), at `--at` or now.
    pub fn app(&self) -> anyhow::Result<App> {
        self.app_of(false)
    }

    /// The application, with the reference database's index and vault when `references`;
    /// the data keys loaded once for all the parts.
    fn app_of(&self, references: bool) -> anyhow::Result<App> {
        let dir = self.data.dir();
        let keys = crate::refdb::keyring(&dir)?;
        let clock = match &self.at {
            Some(_) => waarborg_app::fixed_clock(self.now()?),
            None => waarborg_app::system_clock(),
        };
        let store = self.store()?;
        let ledger = self.ledger(&store)?;
        let config = crate::config::Config::load(None)?;
        Ok(App {
            store,
            ledger,
            clock,
            engine: None,
            index: match references {
                true => Some(std::sync::Arc::new(crate::refdb::open_index(&dir, &keys)?)),
                false => None,
            },
            probes: crate::refdb::open_probes(&dir, &keys)?,
            references: match references {
                true => Some(crate::refdb::open_vault(&dir, &keys)?),
                false => None,
            },
            caches: Default::default(),
            reserve: config.reserve(&dir),
            read_flags: config.read_flags(),
            model_licences: crate::models::model_licences(),
            model_evaluations: crate::models::model_evaluations(),
        })
    }
}

/// An application error at the command line's edge: a refusal by the rules is exit code 3
/// (after its message), anything else an error.
pub fn refused_or_error(e: AppError) -> anyhow::Result<ExitCode> {
    if e.is_refusal() {
        eprintln!("error: {e}");
        Ok(ExitCode::from(3))
    } else {
        Err(e.into())
    }
}

/// `--as USER:ROLE:UNIT[:PORTFOLIO|:AUTHORITY]` (a portfolio holder's portfolio; a
/// competent authority's kind: `public_prosecutor` or `investigating_judge`).
pub fn parse_actor(spec: &str) -> anyhow::Result<Actor> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (user, role, unit) = match parts[..] {
        [u, r, n] | [u, r, n, _] => (u, r, n),
        _ => bail!("--as {spec:?}: expected USER:ROLE:UNIT[:PORTFOLIO|:AUTHORITY]"),
    };
    let role = Role::parse(role).with_context(|| {
        format!(
            "unknown role {role:?}; roles: {}",
            Role::ALL
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let authority = parts
        .get(3)
        .and_then(|k| waarborg_govern::case::AuthorityKind::parse(k));
    let portfolio = match parts.get(3) {
        _ if authority.is_some() => None,
        None => None,
        Some(&"digitalisation") => Some(Portfolio::Digitalisation),
        Some(&"ethics_and_privacy") => Some(Portfolio::EthicsAndPrivacy),
        Some(p) => bail!(
            "unknown portfolio or authority {p:?}; digitalisation, ethics_and_privacy, public_prosecutor or investigating_judge"
        ),
    };
    Ok(Actor {
        portfolio,
        authority,
        ..Actor::new(user, role, unit)
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Framework `id`, or the latest version of the shipped framework's name.
fn framework_or_latest(store: &dyn Store, id: Option<String>) -> anyhow::Result<Framework> {
    match id {
        Some(id) => store.framework(&id)?.with_context(|| {
            format!("no framework {id} in the store; see `waarborg framework list`")
        }),
        None => store
            .latest_framework(&Framework::default_template().name)?
            .context("no framework imported"),
    }
}

#[derive(Debug, Subcommand)]
pub enum FrameworkCommand {
    /// List the imported framework versions.
    List {
        #[command(flatten)]
        env: Env,
    },
    /// Show a framework version (default: the latest of the shipped template) as JSON.
    Show {
        #[command(flatten)]
        env: Env,
        /// `name@version`.
        id: Option<String>,
        /// As TOML instead.
        #[arg(long)]
        toml: bool,
    },
    /// Import a new framework version from a JSON or TOML file (versions are immutable).
    Import {
        #[command(flatten)]
        env: Env,
        /// The file, `.json` or `.toml` (start from `waarborg framework show [--toml]`).
        file: PathBuf,
    },
}

pub fn framework(command: FrameworkCommand) -> anyhow::Result<ExitCode> {
    match command {
        FrameworkCommand::List { env } => {
            for f in env.store()?.frameworks()? {
                println!(
                    "{}  {} factors, {} preconditions{}  {}",
                    f.id(),
                    f.factors.len(),
                    f.preconditions.len(),
                    if f.template { "  [TEMPLATE]" } else { "" },
                    f.title
                );
            }
        }
        FrameworkCommand::Show { env, id, toml } => {
            let store = env.store()?;
            let f = framework_or_latest(&store, id)?;
            if toml {
                print!("{}", toml::to_string_pretty(&f)?);
            } else {
                print_json(&f)?;
            }
        }
        FrameworkCommand::Import { env, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let f = if file.extension().is_some_and(|e| e == "toml") {
                Framework::from_toml(&text)
            } else {
                Framework::from_json(&text)
            }
            .with_context(|| format!("{} is not a framework", file.display()))?;
            let operator = operator();
            match governance::import_framework(&env.app()?, &operator, &f) {
                Ok(true) => println!("imported {}", f.id()),
                Ok(false) => println!("{} is already imported (the same text)", f.id()),
                Err(e) => return refused_or_error(e),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The revision acted on, by whom and why.
#[derive(Debug, Args)]
pub struct Act {
    /// The deployment.
    id: String,
    /// The revision (default: the latest).
    #[arg(long)]
    revision: Option<u32>,
    /// Who acts: USER:ROLE:UNIT[:PORTFOLIO].
    #[arg(long = "as", value_name = "WHO")]
    actor: String,
    /// Why (required for decisions).
    #[arg(long, default_value = "")]
    reason: String,
    #[command(flatten)]
    env: Env,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AdviceArg {
    Positive,
    PositiveWithConditions,
    Negative,
}

#[derive(Debug, Subcommand)]
pub enum DeploymentCommand {
    /// Print a revision content template (JSON) to fill in.
    Template,
    /// Register a new use of face recognition with its first revision as a draft.
    Propose {
        /// Key of the deployment (e.g. `retro-search`).
        #[arg(long)]
        id: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// The revision content (JSON; see `waarborg deployment template`).
        #[arg(long)]
        content: PathBuf,
        /// Who proposes: USER:applicant:UNIT.
        #[arg(long = "as", value_name = "WHO")]
        actor: String,
        #[command(flatten)]
        env: Env,
    },
    /// Propose a new revision (a change of technology or scope).
    Revise {
        /// The deployment.
        id: String,
        /// The new content.
        #[arg(long)]
        content: PathBuf,
        /// Who proposes.
        #[arg(long = "as", value_name = "WHO")]
        actor: String,
        #[command(flatten)]
        env: Env,
    },
    /// The register: every deployment and the state of its revisions.
    List {
        #[command(flatten)]
        env: Env,
    },
    /// One deployment, whole, as JSON.
    Show {
        /// The deployment.
        id: String,
        #[command(flatten)]
        env: Env,
    },
    /// An assessment skeleton (JSON) with every factor and precondition to judge.
    AssessmentTemplate {
        /// The deployment.
        id: String,
        #[command(flatten)]
        env: Env,
    },
    /// Replace a draft's content.
    Edit {
        #[command(flatten)]
        act: Act,
        /// The new content.
        #[arg(long)]
        content: PathBuf,
    },
    /// Submit a draft for review.
    Submit(Act),
    /// Declare a conflict of interest (committee member).
    DeclareConflict(Act),
    /// Record an assessment of every factor and precondition (committee member).
    Assess {
        #[command(flatten)]
        act: Act,
        /// The judgements (JSON; see `assessment-template`).
        #[arg(long)]
        judgements: PathBuf,
    },
    /// Write a draft's fundamental-rights impact assessment (applicant or privacy officer):
    /// a JSON file with `processes`, `period_and_frequency`, `persons_affected`, `risks`,
    /// `oversight_measures`, `measures_and_complaints` and `up_to_date`.
    WriteFria {
        #[command(flatten)]
        act: Act,
        /// The assessment (JSON).
        #[arg(long)]
        file: PathBuf,
    },
    /// Record that the market surveillance authority was notified of the fundamental-rights
    /// impact assessment (applicant or privacy officer; before use).
    RecordFriaNotification {
        #[command(flatten)]
        act: Act,
        /// The day it was notified (YYYY-MM-DD).
        #[arg(long)]
        notified_on: String,
        /// The notification's reference.
        #[arg(long)]
        reference: String,
    },
    /// Record the use's registration in the EU database (applicant or privacy officer;
    /// before use).
    RecordRegistration {
        #[command(flatten)]
        act: Act,
        /// The registration's reference.
        #[arg(long)]
        reference: String,
    },
    /// Attest a precondition.
    Attest {
        #[command(flatten)]
        act: Act,
        /// The precondition's key.
        #[arg(long)]
        precondition: String,
    },
    /// Give the committee's advice.
    Advise {
        #[command(flatten)]
        act: Act,
        /// The advice.
        #[arg(long, value_enum)]
        outcome: AdviceArg,
    },
    /// Ratify (chief of police).
    Ratify(Act),
    /// Refuse ratification (chief of police).
    RefuseRatification(Act),
    /// Approve an experiment for your portfolio.
    ApproveExperiment(Act),
    /// The competent authority approves.
    AuthorityApprove(Act),
    /// The competent authority declines.
    AuthorityDecline(Act),
    /// Start use within the validity window.
    Activate(Act),
    /// Review during use: continue.
    ReviewContinue(Act),
    /// Review during use: suspend.
    ReviewSuspend(Act),
    /// Suspend at once.
    Suspend(Act),
    /// End use.
    End(Act),
    /// Evaluate after use.
    Evaluate(Act),
    /// Withdraw before advice.
    Withdraw(Act),
}

fn act(a: Act, command: Command) -> anyhow::Result<ExitCode> {
    let actor = parse_actor(&a.actor)?;
    let step = governance::Step {
        deployment: &a.id,
        version: None,
        revision: a.revision,
        command,
        reason: &a.reason,
    };
    let events = match governance::apply_step(&a.env.app()?, &actor, step) {
        Ok((_, events)) => events,
        Err(e) => return refused_or_error(e),
    };
    for e in &events {
        println!(
            "{} revision {}: {} by {} ({}) — {} -> {}",
            e.deployment,
            e.revision,
            e.decision.action,
            e.decision.actor,
            e.decision.role.as_str(),
            e.decision.from.as_str(),
            e.decision.to.as_str()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn deployment(command: DeploymentCommand) -> anyhow::Result<ExitCode> {
    use DeploymentCommand as D;
    match command {
        D::Template => {
            print_json(&template_content())?;
            Ok(ExitCode::SUCCESS)
        }
        D::Propose {
            id,
            name,
            content,
            actor,
            env,
        } => {
            let actor = parse_actor(&actor)?;
            if actor.role != Role::Applicant {
                bail!("a deployment is proposed by an applicant (--as USER:applicant:UNIT)");
            }
            let content: RevisionContent = read_json(&content)?;
            governance::propose(&env.app()?, &actor, &id, &name, content)?;
            println!("registered {id} with revision 1 as a draft");
            Ok(ExitCode::SUCCESS)
        }
        D::Revise {
            id,
            content,
            actor,
            env,
        } => {
            let actor = parse_actor(&actor)?;
            let number = governance::revise(&env.app()?, &actor, &id, read_json(&content)?)?;
            println!("{id}: revision {number} drafted");
            Ok(ExitCode::SUCCESS)
        }
        D::List { env } => {
            let now = env.now()?;
            for d in env.store()?.deployments()? {
                let revisions: Vec<String> = d
                    .revisions
                    .iter()
                    .map(|r| format!("r{} {}", r.number, r.effective_state(now).as_str()))
                    .collect();
                let system = d.revisions.last().map_or("", |r| r.content.system.as_str());
                println!(
                    "{:<24} {:<10} {}  ({})",
                    d.id,
                    system,
                    revisions.join(", "),
                    d.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        D::Show { id, env } => {
            let (d, version) = env
                .store()?
                .deployment(&id)?
                .with_context(|| format!("no deployment {id}"))?;
            print_json(&serde_json::json!({"version": version, "deployment": d}))?;
            Ok(ExitCode::SUCCESS)
        }
        D::AssessmentTemplate { id, env } => {
            let store = env.store()?;
            let (d, _) = store
                .deployment(&id)?
                .with_context(|| format!("no deployment {id}"))?;
            let fid = d
                .revisions
                .last()
                .and_then(|r| r.framework.clone())
                .context("the latest revision is not submitted")?;
            let f = store.framework(&fid)?.context("its framework is missing")?;
            let judgements: Vec<Judgement> = f
                .factors
                .iter()
                .map(|x| (x.key.clone(), x.question.clone()))
                .chain(
                    f.preconditions
                        .iter()
                        .map(|p| (p.key.clone(), p.text.clone())),
                )
                .map(|(key, q)| Judgement {
                    key,
                    weighing: Weighing::Favourable,
                    reasons: format!("TO FILL IN: {q}"),
                })
                .collect();
            print_json(&judgements)?;
            Ok(ExitCode::SUCCESS)
        }
        D::Edit { act: a, content } => {
            let content = read_json(&content)?;
            act(
                a,
                Command::Edit {
                    content: Box::new(content),
                },
            )
        }
        D::Submit(a) => act(a, Command::Submit),
        D::DeclareConflict(a) => act(a, Command::DeclareConflict),
        D::Assess { act: a, judgements } => {
            let judgements: Vec<Judgement> = read_json(&judgements)?;
            if judgements
                .iter()
                .any(|j| j.reasons.starts_with("TO FILL IN"))
            {
                bail!("the assessment still holds template text; give your own reasons for every judgement");
            }
            act(a, Command::Assess { judgements })
        }
        D::Attest {
            act: a,
            precondition,
        } => act(a, Command::Attest { precondition }),
        D::WriteFria { act: a, file } => {
            let fria: waarborg_govern::revision::Fria = read_json(&file)?;
            act(
                a,
                Command::WriteFria {
                    parts: Box::new(fria.parts().map(|(_, text)| text.to_string())),
                    up_to_date: fria.up_to_date,
                },
            )
        }
        D::RecordFriaNotification {
            act: a,
            notified_on,
            reference,
        } => act(
            a,
            Command::RecordFriaNotification {
                notified_on,
                reference,
            },
        ),
        D::RecordRegistration { act: a, reference } => {
            act(a, Command::RecordRegistration { reference })
        }
        D::Advise { act: a, outcome } => act(
            a,
            Command::Advise {
                outcome: match outcome {
                    AdviceArg::Positive => AdviceOutcome::Positive,
                    AdviceArg::PositiveWithConditions => AdviceOutcome::PositiveWithConditions,
                    AdviceArg::Negative => AdviceOutcome::Negative,
                },
            },
        ),
        D::Ratify(a) => act(a, Command::Ratify),
        D::RefuseRatification(a) => act(a, Command::RefuseRatification),
        D::ApproveExperiment(a) => act(a, Command::ApproveExperiment),
        D::AuthorityApprove(a) => act(a, Command::AuthorityDecision { approve: true }),
        D::AuthorityDecline(a) => act(a, Command::AuthorityDecision { approve: false }),
        D::Activate(a) => act(a, Command::Activate),
        D::ReviewContinue(a) => act(a, Command::Review { continue_use: true }),
        D::ReviewSuspend(a) => act(
            a,
            Command::Review {
                continue_use: false,
            },
        ),
        D::Suspend(a) => act(a, Command::Suspend),
        D::End(a) => act(a, Command::End),
        D::Evaluate(a) => act(a, Command::Evaluate),
        D::Withdraw(a) => act(a, Command::Withdraw),
    }
}

/// A filled-in example of revision content, for operators to adapt.
fn template_content() -> RevisionContent {
    RevisionContent::template(crate::models::active_pair_hashes())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AuthorityArg {
    PublicProsecutor,
    InvestigatingJudge,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// The case report for the police file and the court: what each search did and
    /// concluded, and every ledger entry of the case with its inclusion proof against a
    /// freshly signed checkpoint (check it with `tools/auditor/waarborg_verify.py report`).
    /// Making it is a logged disclosure.
    Report {
        /// Case number.
        number: String,
        /// Where to write the report as JSON.
        #[arg(long)]
        json: PathBuf,
        /// Also print it as a document for the file to PDF here (needs Debian's `chromium`).
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
        /// The PDF's language: en or nl.
        #[arg(long, default_value = "en")]
        lang: String,
        /// Who makes it: USER:ROLE:UNIT (an examiner, a coordinator, an auditor or a privacy
        /// officer).
        #[arg(long = "as", value_name = "WHO")]
        actor: String,
        #[command(flatten)]
        env: Env,
    },
    /// Request authorisation to search for a case (requester).
    Request {
        /// Case number.
        #[arg(long = "case")]
        case_number: String,
        /// The deployment.
        #[arg(long)]
        deployment: String,
        /// The offence, in words.
        #[arg(long)]
        offence: String,
        /// Its category.
        #[arg(long)]
        category: String,
        /// Its maximum sentence in years.
        #[arg(long)]
        max_sentence: u32,
        /// Who decides.
        #[arg(long, value_enum)]
        authority: AuthorityArg,
        /// Search before the decision (only where the revision allows; 48 hours).
        #[arg(long)]
        urgent: bool,
        /// Why face recognition is needed in this case, for the authority to weigh.
        #[arg(long)]
        justification: String,
        /// Who requests: USER:requester:UNIT.
        #[arg(long = "as", value_name = "WHO")]
        actor: String,
        #[command(flatten)]
        env: Env,
    },
    /// The authority's decision.
    Decide {
        /// Case number.
        #[arg(long = "case")]
        case_number: String,
        /// Grant (otherwise refuse).
        #[arg(long)]
        grant: bool,
        /// Refuse.
        #[arg(long, conflicts_with = "grant")]
        refuse: bool,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Who decides: USER:competent_authority:UNIT.
        #[arg(long = "as", value_name = "WHO")]
        actor: String,
        #[command(flatten)]
        env: Env,
    },
    /// Set a legal hold (competent authority): the case's probes and results are kept past
    /// their periods until it is released.
    Hold(HoldArgs),
    /// Release a legal hold (competent authority): the periods apply again.
    Release(HoldArgs),
    /// One case, as JSON.
    Show {
        /// Case number.
        case_number: String,
        #[command(flatten)]
        env: Env,
    },
}

/// A legal hold's case, reasons and decider.
#[derive(Debug, Args)]
pub struct HoldArgs {
    /// Case number.
    #[arg(long = "case")]
    case_number: String,
    /// Why.
    #[arg(long)]
    reason: String,
    /// Who decides: USER:competent_authority:UNIT.
    #[arg(long = "as", value_name = "WHO")]
    actor: String,
    #[command(flatten)]
    env: Env,
}

/// `case hold|release`: a legal hold set or released (refused: exit 3, logged).
fn legal_hold(a: &HoldArgs, hold: bool) -> anyhow::Result<ExitCode> {
    let actor = parse_actor(&a.actor)?;
    if let Err(e) = cases::legal_hold(&a.env.app()?, &actor, &a.case_number, hold, &a.reason) {
        return refused_or_error(e);
    }
    println!(
        "case {}: legal hold {}",
        a.case_number,
        if hold { "set" } else { "released" }
    );
    Ok(ExitCode::SUCCESS)
}

pub fn case(command: CaseCommand) -> anyhow::Result<ExitCode> {
    match command {
        CaseCommand::Request {
            case_number,
            deployment,
            offence,
            category,
            max_sentence,
            authority,
            urgent,
            justification,
            actor,
            env,
        } => {
            let actor = parse_actor(&actor)?;
            let request = cases::CaseRequest {
                case_number: case_number.clone(),
                deployment,
                offence,
                offence_category: category,
                max_sentence_years: max_sentence,
                authority: match authority {
                    AuthorityArg::PublicProsecutor => "public_prosecutor",
                    AuthorityArg::InvestigatingJudge => "investigating_judge",
                }
                .into(),
                urgent: urgent.then(|| "on".into()),
                justification,
            };
            cases::request(&env.app()?, &actor, &request)?;
            println!(
                "case {case_number}: authorisation requested{}",
                if urgent { " (urgent use)" } else { "" }
            );
        }
        CaseCommand::Decide {
            case_number,
            grant,
            refuse,
            reason,
            actor,
            env,
        } => {
            if grant == refuse {
                bail!("give exactly one of --grant and --refuse");
            }
            let actor = parse_actor(&actor)?;
            if let Err(e) =
                cases::record_decision(&env.app()?, &actor, &case_number, grant, &reason)
            {
                return refused_or_error(e);
            }
            println!(
                "case {case_number}: {}",
                if grant { "authorised" } else { "refused" }
            );
        }
        CaseCommand::Hold(args) => return legal_hold(&args, true),
        CaseCommand::Release(args) => return legal_hold(&args, false),
        CaseCommand::Report {
            number,
            json,
            pdf,
            lang,
            actor,
            env,
        } => {
            let actor = parse_actor(&actor)?;
            let lang = crate::report::lang(&lang)?;
            let app = env.app()?;
            let report = match waarborg_app::case_report::report(&app, &actor, &number) {
                Ok(report) => report,
                Err(e) => return refused_or_error(e),
            };
            std::fs::write(&json, serde_json::to_string_pretty(&report)?)
                .with_context(|| format!("writing {}", json.display()))?;
            if let Some(pdf) = &pdf {
                let document = waarborg_server::cases::case_document(&app, lang, &report)?;
                let html = waarborg_report::case::render(lang, &document)?;
                waarborg_report::pdf::print(&html, pdf)?;
                println!("case {number}: printed to {}", pdf.display());
            }
            println!(
                "case {number}: report written to {} ({} searches, {} ledger entries proved at size {})",
                json.display(),
                report.searches.len(),
                report.ledger.entries.len(),
                report.ledger.tree_size
            );
        }
        CaseCommand::Show { case_number, env } => {
            let (c, version) = cases::read(&env.app()?, &operator(), &case_number)?;
            print_json(
                &serde_json::json!({"version": version, "case": c, "status": c.status(true, env.now()?)}),
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum CompetenceCommand {
    /// Record a qualification (competence administrator): facial comparison or AI literacy.
    Qualify {
        /// The person (user name).
        person: String,
        /// `facial_comparison` or `ai_literacy`.
        #[arg(long)]
        subject: String,
        /// Its name.
        #[arg(long)]
        title: String,
        /// Who issued it.
        #[arg(long)]
        issuer: String,
        /// When obtained (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        obtained: String,
        /// When it expires (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        expires: String,
        /// Who records it: USER:competence_administrator:UNIT.
        #[arg(long = "as", value_name = "WHO")]
        actor: String,
        #[command(flatten)]
        env: Env,
    },
    /// Authorise as examiner or verifier under a deployment (competence administrator).
    Authorise(CompetenceAuthorisation),
    /// Withdraw an authorisation (competence administrator).
    Withdraw(CompetenceAuthorisation),
    /// One person's record, as JSON.
    Show {
        /// The person (user name).
        person: String,
        #[command(flatten)]
        env: Env,
    },
}

/// An authorisation to grant or withdraw.
#[derive(Debug, Args)]
pub struct CompetenceAuthorisation {
    /// The person (user name).
    person: String,
    /// `examiner` or `verifier`.
    #[arg(long)]
    role: String,
    /// The deployment.
    #[arg(long)]
    deployment: String,
    /// Who decides: USER:competence_administrator:UNIT.
    #[arg(long = "as", value_name = "WHO")]
    actor: String,
    #[command(flatten)]
    env: Env,
}

/// `competence …`: a change to a person's competence record (refused: exit 3, logged).
pub fn competence(command: CompetenceCommand) -> anyhow::Result<ExitCode> {
    use waarborg_app::competence::{self, ChangeBody};
    let (person, body, actor, env) = match command {
        CompetenceCommand::Show { person, env } => {
            print_json(&competence::record(&env.app()?, &person)?)?;
            return Ok(ExitCode::SUCCESS);
        }
        CompetenceCommand::Qualify {
            person,
            subject,
            title,
            issuer,
            obtained,
            expires,
            actor,
            env,
        } => (
            person,
            ChangeBody::Qualify {
                subject,
                title,
                issuer,
                obtained,
                expires,
            },
            actor,
            env,
        ),
        CompetenceCommand::Authorise(a) => (
            a.person,
            ChangeBody::Authorise {
                role: a.role,
                deployment: a.deployment,
            },
            a.actor,
            a.env,
        ),
        CompetenceCommand::Withdraw(a) => (
            a.person,
            ChangeBody::Withdraw {
                role: a.role,
                deployment: a.deployment,
            },
            a.actor,
            a.env,
        ),
    };
    let actor = parse_actor(&actor)?;
    match competence::change(&env.app()?, &actor, &person, &body) {
        Ok(r) => {
            println!(
                "competence record of {person}: {} qualification(s), authorised as {}",
                r.qualifications.len(),
                match r.authorisations.is_empty() {
                    true => "nothing yet".to_string(),
                    false => r
                        .authorisations
                        .iter()
                        .map(|a| format!("{} under {}", a.role.as_str(), a.deployment))
                        .collect::<Vec<_>>()
                        .join(", "),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refused_or_error(e),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ActionArg {
    Detect,
    Extract,
    Search,
    Enrol,
}

#[derive(Debug, Subcommand)]
pub enum GateCommand {
    /// Ask the gate whether an operation may run now; a refusal is recorded in the ledger.
    Check {
        /// The deployment.
        #[arg(long)]
        deployment: String,
        /// The case (searches).
        #[arg(long = "case")]
        case_number: Option<String>,
        /// The operation.
        #[arg(long, value_enum, default_value = "search")]
        action: ActionArg,
        /// Reference databases touched.
        #[arg(long, value_delimiter = ',', default_value = "criminal")]
        databases: Vec<String>,
        /// The probe's source kind.
        #[arg(long)]
        probe_source: Option<String>,
        /// Model hashes the engine presents (default: the pinned models of the installed cache).
        #[arg(long, value_delimiter = ',')]
        models: Option<Vec<String>>,
        /// Who: USER:ROLE:UNIT.
        #[arg(long = "as", value_name = "WHO")]
        actor: String,
        #[command(flatten)]
        env: Env,
    },
}

pub fn gate(command: GateCommand) -> anyhow::Result<ExitCode> {
    let GateCommand::Check {
        deployment,
        case_number,
        action,
        databases,
        probe_source,
        models,
        actor,
        env,
    } = command;
    let actor = parse_actor(&actor)?;
    let models = models.unwrap_or_else(crate::models::active_pair_hashes);
    let action = match action {
        ActionArg::Detect => Action::DetectForSearch,
        ActionArg::Extract => Action::Extract,
        ActionArg::Search => Action::Search,
        ActionArg::Enrol => Action::Enrol,
    };
    let answer = waarborg_app::gate::check(
        &env.app()?,
        &actor,
        &waarborg_app::gate::Ask {
            action,
            deployment: &deployment,
            case_number: case_number.as_deref(),
            databases: Some(databases),
            probe_source: probe_source.as_deref(),
            models: &models,
        },
    )?;
    match answer.decision {
        Ok(permit) => {
            println!(
                "PERMIT {} {} by {}: threshold {}, at most {} candidates, {} verifications{}",
                action.as_str(),
                permit.revision,
                actor.user,
                permit.score_threshold,
                permit.candidate_list_length,
                permit.verifiers_required,
                permit
                    .urgent_until
                    .map(|t| format!(", urgent use: authorisation due by {t}"))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(refusal) => {
            println!("REFUSED ({}): {refusal}", refusal.code());
            Ok(ExitCode::from(3))
        }
    }
}
