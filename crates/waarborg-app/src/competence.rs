//! The competence register (AI Act Art. 4 and 14(4); ENFSI BPM-DI-01): each examiner's and
//! verifier's qualifications, AI-literacy training and authorisations, kept by the
//! competence administrator. Every change is in the ledger before it is kept; the gate and
//! the verification steps read the register ([`waarborg_govern::competence`]).

use serde::{Deserialize, Serialize};
use waarborg_govern::competence::{self, Change, CompetenceRecord, Lack, Qualification};
use waarborg_govern::{Actor, Role, Timestamp};
use waarborg_store::{AccountStore, DocumentStore};

use crate::{App, AppError, Result};

const KIND: &str = "competence";

/// How many days ahead an expiry is shown.
pub const EXPIRY_NOTICE_DAYS: i64 = 60;

/// `person`'s record, if the register holds one, and its version.
fn load(app: &App, person: &str) -> Result<Option<(CompetenceRecord, u64)>> {
    app.store
        .document(KIND, person)?
        .map(|(doc, version)| {
            serde_json::from_value(doc)
                .map(|r| (r, version))
                .map_err(|e| {
                    AppError::internal(format!(
                        "the competence record of {person} does not decode: {e}"
                    ))
                })
        })
        .transpose()
}

/// `person`'s record (empty when the register holds none).
pub fn record(app: &App, person: &str) -> Result<CompetenceRecord> {
    Ok(load(app, person)?
        .map(|(r, _)| r)
        .unwrap_or_else(|| CompetenceRecord::new(person)))
}

/// Whether `person` is competent to act as `role` under `deployment` now.
pub fn current(
    app: &App,
    person: &str,
    role: Role,
    deployment: &str,
) -> Result<std::result::Result<(), Lack>> {
    let r = load(app, person)?.map(|(r, _)| r);
    Ok(competence::current(
        person,
        r.as_ref(),
        role,
        deployment,
        app.now(),
    ))
}

/// A change as the administrator enters it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum ChangeBody {
    /// A qualification obtained.
    Qualify {
        /// `facial_comparison` or `ai_literacy`.
        subject: String,
        /// Its name.
        title: String,
        /// Who issued it.
        issuer: String,
        /// When obtained (RFC 3339 or a date).
        obtained: String,
        /// When it expires (RFC 3339 or a date).
        expires: String,
    },
    /// An authorisation granted.
    Authorise {
        /// `examiner` or `verifier`.
        role: String,
        /// The deployment.
        deployment: String,
    },
    /// An authorisation withdrawn.
    Withdraw {
        /// `examiner` or `verifier`.
        role: String,
        /// The deployment.
        deployment: String,
    },
}

impl ChangeBody {
    /// The domain's change, its values checked.
    fn parse(&self) -> Result<Change> {
        let time = |what: &str, t: &str| {
            Timestamp::parse(t.trim())
                .map_err(|e| AppError::invalid(format!("the {what} date: {e}")))
        };
        let authorisation = |role: &str, deployment: &str| -> Result<_> {
            waarborg_govern::ids::check(waarborg_govern::ids::Kind::Deployment, deployment)?;
            Ok(competence::Authorisation {
                role: Role::parse(role).ok_or_else(|| {
                    AppError::invalid(format!("{role:?} is not a role; use examiner or verifier"))
                })?,
                deployment: deployment.into(),
            })
        };
        Ok(match self {
            ChangeBody::Qualify {
                subject,
                title,
                issuer,
                obtained,
                expires,
            } => Change::Qualify(Qualification {
                subject: competence::Subject::parse(subject).ok_or_else(|| {
                    AppError::invalid(format!(
                        "{subject:?} is not a subject; use facial_comparison or ai_literacy"
                    ))
                })?,
                title: crate::short(title.trim()),
                issuer: crate::short(issuer.trim()),
                obtained: time("obtained", obtained)?,
                expires: time("expiry", expires)?,
            }),
            ChangeBody::Authorise { role, deployment } => {
                Change::Authorise(authorisation(role, deployment)?)
            }
            ChangeBody::Withdraw { role, deployment } => {
                Change::Withdraw(authorisation(role, deployment)?)
            }
        })
    }
}

/// Changes `person`'s record by `actor` (the competence administrator): the rules first (a
/// refusal is logged, nothing changed), then the ledger entry, then the record.
pub fn change(
    app: &App,
    actor: &Actor,
    person: &str,
    body: &ChangeBody,
) -> Result<CompetenceRecord> {
    // A record may precede the person's account (the command line names people by id).
    waarborg_govern::ids::check(waarborg_govern::ids::Kind::User, person)?;
    let change = body.parse()?;
    let held = load(app, person)?;
    let mut r = held
        .as_ref()
        .map(|(r, _)| r.clone())
        .unwrap_or_else(|| CompetenceRecord::new(person));
    let done = r.apply(actor, change.clone());
    app.logged_refusal(
        actor,
        &format!("{} on the competence record of {person}", change.as_str()),
        done,
    )?;
    let entry = waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: format!("competence_{}", change.as_str()),
        subject: format!("competence record of {person}"),
        reason: crate::short(&describe(&change)),
        framework_version: None,
        about: None,
    });
    let doc = serde_json::to_value(&r).map_err(|e| AppError::internal(e.to_string()))?;
    app.commit(&[entry], |log| match &held {
        Some((_, version)) => app
            .store
            .save_document(KIND, person, &doc, *version, log)
            .map(|_| ()),
        None => app
            .store
            .create_document(KIND, person, person, &doc, log)
            .map(|_| ()),
    })?;
    Ok(r)
}

/// Records `person` as trained — facial comparison until `expires[0]`, AI literacy until
/// `expires[1]`, each obtained a year before now or before it expired — and authorised as `role` under `deployment`,
/// by `actor`: three changes through [`change`]. For set-ups (the demo) and tests.
pub fn qualify(
    app: &App,
    actor: &Actor,
    person: &str,
    role: Role,
    deployment: &str,
    expires: [Timestamp; 2],
) -> Result<CompetenceRecord> {
    let titles = [
        (
            "facial_comparison",
            "Forensic facial image comparison (FISWG level 2)",
            "Police Academy",
        ),
        (
            "ai_literacy",
            "AI literacy for face-recognition users (AI Act Art. 4)",
            "National biometrics centre",
        ),
    ];
    for ((subject, title, issuer), expires) in titles.into_iter().zip(expires) {
        change(
            app,
            actor,
            person,
            &ChangeBody::Qualify {
                subject: subject.into(),
                title: title.into(),
                issuer: issuer.into(),
                obtained: expires
                    .min(app.now())
                    .plus(-365 * Timestamp::DAY)
                    .to_string(),
                expires: expires.to_string(),
            },
        )?;
    }
    change(
        app,
        actor,
        person,
        &ChangeBody::Authorise {
            role: role.as_str().into(),
            deployment: deployment.into(),
        },
    )
}

/// The change in words, for the ledger.
fn describe(change: &Change) -> String {
    match change {
        Change::Qualify(q) => format!(
            "{} \"{}\" by {}, obtained {}, expires {}",
            q.subject.as_str(),
            q.title,
            q.issuer,
            q.obtained,
            q.expires
        ),
        Change::Authorise(a) | Change::Withdraw(a) => {
            format!("{} under deployment {}", a.role.as_str(), a.deployment)
        }
    }
}

/// One person's line in the register.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// The person.
    pub person: String,
    /// Their roles (examiner, verifier).
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// Their unit.
    pub unit: String,
    /// The record.
    #[schema(value_type = Object)]
    pub record: CompetenceRecord,
    /// Qualifications that expire within [`EXPIRY_NOTICE_DAYS`] days.
    #[schema(value_type = Vec<Object>)]
    pub expiring: Vec<Qualification>,
    /// Qualifications expired and not renewed (`facial_comparison`, `ai_literacy`).
    pub lapsed: Vec<String>,
}

/// The register: every examiner and verifier, with their record and what expires soon.
/// For the competence administrator, the coordinator and oversight.
pub fn register(app: &App, actor: &Actor) -> Result<Vec<Entry>> {
    if !matches!(
        actor.role,
        Role::CompetenceAdministrator | Role::Coordinator | Role::Auditor
    ) {
        return Err(AppError::forbidden(
            "the competence register is kept by the competence administrator",
        ));
    }
    let now = app.now();
    let mut out = Vec::new();
    for a in app.store.accounts()? {
        let roles: Vec<Role> = a
            .roles
            .iter()
            .copied()
            .filter(|r| matches!(r, Role::Examiner | Role::Verifier))
            .collect();
        if roles.is_empty() {
            continue;
        }
        let record = record(app, &a.user)?;
        let expiring = record
            .expiring(now, EXPIRY_NOTICE_DAYS)
            .into_iter()
            .cloned()
            .collect();
        let lapsed = competence::Subject::ALL
            .into_iter()
            .filter(|s| record.latest(*s, now).is_some_and(|q| q.expires <= now))
            .map(|s| s.as_str().to_string())
            .collect();
        out.push(Entry {
            person: a.user,
            roles,
            unit: a.unit,
            record,
            expiring,
            lapsed,
        });
    }
    Ok(out)
}
