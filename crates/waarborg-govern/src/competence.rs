//! Who is competent to examine and to verify (AI Act Art. 4 and 14(4)–(5); ENFSI
//! BPM-DI-01: facial comparison by trained, proficiency-tested people).
//!
//! A person's competence record holds their qualifications — facial-comparison training
//! and AI-literacy training, each with its issuing body, date and expiry — and their
//! authorisations to act as examiner or verifier under named deployments. A person is
//! competent for a role under a deployment when, at that moment:
//!
//! | needs                                             | refused as (code)              |
//! |---------------------------------------------------|--------------------------------|
//! | a facial-comparison qualification                 | `no_qualification`             |
//! | … that has not expired                            | `qualification_expired`        |
//! | an AI-literacy training (Art. 4)                  | `no_ai_literacy`               |
//! | … that has not expired                            | `ai_literacy_expired`          |
//! | an authorisation for the role under the deployment| `no_competence_authorisation`  |
//!
//! The gate asks this for every examiner's search ([`crate::gate`]); the identification
//! workflow asks it for every verifier's step ([`crate::identification`]). Only a
//! competence administrator changes a record, never their own, and every change is an event
//! for the ledger.

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role, Timestamp};
use crate::rule::Rule;
use crate::GovernError;

/// What a qualification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Forensic facial image comparison (examiner and verifier training).
    FacialComparison,
    /// AI literacy: the system's capabilities, limits and risks (AI Act Art. 4).
    AiLiteracy,
}

impl Subject {
    /// Both subjects.
    pub const ALL: [Subject; 2] = [Subject::FacialComparison, Subject::AiLiteracy];

    /// The stable name (`facial_comparison`, `ai_literacy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::FacialComparison => "facial_comparison",
            Subject::AiLiteracy => "ai_literacy",
        }
    }

    /// Parses [`Subject::as_str`]'s names.
    pub fn parse(name: &str) -> Option<Subject> {
        Subject::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// One completed training or qualification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualification {
    /// What it qualifies for.
    pub subject: Subject,
    /// Its name (e.g. `FISWG facial comparison, level 2`).
    pub title: String,
    /// Who issued it.
    pub issuer: String,
    /// When it was obtained.
    pub obtained: Timestamp,
    /// When it expires (exclusive).
    pub expires: Timestamp,
}

/// Permission to act in a role under a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorisation {
    /// `examiner` or `verifier`.
    pub role: Role,
    /// The deployment.
    pub deployment: String,
}

/// A person's competence record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CompetenceRecord {
    /// The person (user id).
    pub person: String,
    /// Qualifications, oldest first (expired ones stay: the record is a history).
    pub qualifications: Vec<Qualification>,
    /// Authorisations held now.
    pub authorisations: Vec<Authorisation>,
}

/// Why a person is not competent for a step now. Each is a distinct refusal code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "lack")]
pub enum Lack {
    /// No facial-comparison qualification was ever recorded.
    #[error("{0} holds no facial-comparison qualification")]
    NoQualification(String),
    /// The latest facial-comparison qualification expired.
    #[error("{person}'s facial-comparison qualification expired at {at}")]
    QualificationExpired {
        /// The person.
        person: String,
        /// When.
        at: Timestamp,
    },
    /// No AI-literacy training was ever recorded.
    #[error("{0} has no recorded AI-literacy training (AI Act Art. 4)")]
    NoAiLiteracy(String),
    /// The latest AI-literacy training expired.
    #[error("{person}'s AI-literacy training expired at {at}")]
    AiLiteracyExpired {
        /// The person.
        person: String,
        /// When.
        at: Timestamp,
    },
    /// Not authorised for the role under the deployment.
    #[error("{person} is not authorised as {} under deployment {deployment}", .role.as_str())]
    NotAuthorised {
        /// The person.
        person: String,
        /// The role.
        role: Role,
        /// The deployment.
        deployment: String,
    },
}

impl Lack {
    /// Every code.
    pub const CODES: [&'static str; 5] = [
        "no_qualification",
        "qualification_expired",
        "no_ai_literacy",
        "ai_literacy_expired",
        "no_competence_authorisation",
    ];

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Lack::NoQualification(_) => "no_qualification",
            Lack::QualificationExpired { .. } => "qualification_expired",
            Lack::NoAiLiteracy(_) => "no_ai_literacy",
            Lack::AiLiteracyExpired { .. } => "ai_literacy_expired",
            Lack::NotAuthorised { .. } => "no_competence_authorisation",
        }
    }
}

impl Lack {
    /// The values it names, by the names its translations use (`$person`, `$at`, …).
    pub fn args(&self) -> Vec<(&'static str, crate::rule::Arg)> {
        use crate::rule::Arg;
        let text = |s: &str| Arg::Text(s.to_string());
        match self {
            Lack::NoQualification(person) | Lack::NoAiLiteracy(person) => {
                vec![("person", text(person))]
            }
            Lack::QualificationExpired { person, at } | Lack::AiLiteracyExpired { person, at } => {
                vec![("person", text(person)), ("at", text(&at.to_string()))]
            }
            Lack::NotAuthorised {
                person,
                role,
                deployment,
            } => vec![
                ("person", text(person)),
                ("role", Arg::Role(*role)),
                ("deployment", text(deployment)),
            ],
        }
    }
}

/// Whether `person` (their record, if any) is competent to act as `role` under
/// `deployment` at `now`.
pub fn current(
    person: &str,
    record: Option<&CompetenceRecord>,
    role: Role,
    deployment: &str,
    now: Timestamp,
) -> Result<(), Lack> {
    let empty = CompetenceRecord::default();
    let r = record.unwrap_or(&empty);
    let held = |subject| r.latest(subject, now).map(|q| q.expires);
    match held(Subject::FacialComparison) {
        None => return Err(Lack::NoQualification(person.into())),
        Some(at) if at <= now => {
            return Err(Lack::QualificationExpired {
                person: person.into(),
                at,
            })
        }
        Some(_) => {}
    }
    match held(Subject::AiLiteracy) {
        None => return Err(Lack::NoAiLiteracy(person.into())),
        Some(at) if at <= now => {
            return Err(Lack::AiLiteracyExpired {
                person: person.into(),
                at,
            })
        }
        Some(_) => {}
    }
    if !r
        .authorisations
        .iter()
        .any(|a| a.role == role && a.deployment == deployment)
    {
        return Err(Lack::NotAuthorised {
            person: person.into(),
            role,
            deployment: deployment.into(),
        });
    }
    Ok(())
}

/// A change to a competence record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum Change {
    /// A qualification obtained.
    Qualify(Qualification),
    /// An authorisation granted.
    Authorise(Authorisation),
    /// An authorisation withdrawn.
    Withdraw(Authorisation),
}

impl Change {
    /// The stable name (`qualify`, `authorise`, `withdraw`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Change::Qualify(_) => "qualify",
            Change::Authorise(_) => "authorise",
            Change::Withdraw(_) => "withdraw",
        }
    }
}

impl CompetenceRecord {
    /// An empty record for `person`.
    pub fn new(person: &str) -> CompetenceRecord {
        CompetenceRecord {
            person: person.into(),
            ..CompetenceRecord::default()
        }
    }

    /// Applies `change` by `actor`: a competence administrator, never on their own record;
    /// a qualification with its title and issuer, expiring after it was obtained; an
    /// authorisation for examiner or verifier, granted once and withdrawn only when held.
    pub fn apply(&mut self, actor: &Actor, change: Change) -> Result<(), GovernError> {
        let refuse = |rule| Err(GovernError::Refused(rule));
        if actor.role != Role::CompetenceAdministrator {
            return refuse(Rule::WrongRole {
                role: actor.role,
                step: "change a competence record",
                needs: &[Role::CompetenceAdministrator],
            });
        }
        if actor.user == self.person {
            return refuse(Rule::OwnCompetence);
        }
        match change {
            Change::Qualify(q) => {
                if q.title.trim().is_empty() || q.issuer.trim().is_empty() {
                    return Err(GovernError::Invalid(
                        "a qualification needs its title and issuing body".into(),
                    ));
                }
                if q.expires <= q.obtained {
                    return Err(GovernError::Invalid(format!(
                        "a qualification obtained at {} must expire after it, not at {}",
                        q.obtained, q.expires
                    )));
                }
                self.qualifications.push(q);
            }
            Change::Authorise(a) => {
                if !matches!(a.role, Role::Examiner | Role::Verifier) {
                    return Err(GovernError::Invalid(format!(
                        "competence authorises examiners and verifiers, not {}",
                        a.role.as_str()
                    )));
                }
                if self.authorisations.contains(&a) {
                    return refuse(Rule::AlreadyAuthorised {
                        deployment: a.deployment,
                    });
                }
                self.authorisations.push(a);
            }
            Change::Withdraw(a) => {
                let before = self.authorisations.len();
                self.authorisations.retain(|held| *held != a);
                if self.authorisations.len() == before {
                    return refuse(Rule::NotAuthorisedToWithdraw {
                        deployment: a.deployment,
                    });
                }
            }
        }
        Ok(())
    }

    /// The qualification in `subject` obtained by `now` that runs longest (expired or not):
    /// the one the gate judges, and the register shows.
    pub fn latest(&self, subject: Subject, now: Timestamp) -> Option<&Qualification> {
        self.qualifications
            .iter()
            .filter(|q| q.subject == subject && q.obtained <= now)
            .max_by_key(|q| q.expires)
    }

    /// The qualifications, current at `now`, that expire within `days` days: shown ahead of
    /// time so that training is renewed before the person is refused.
    pub fn expiring(&self, now: Timestamp, days: i64) -> Vec<&Qualification> {
        let horizon = now.plus(days * Timestamp::DAY);
        self.qualifications
            .iter()
            .filter(|q| q.expires > now && q.expires <= horizon)
            // Renewed already: a later one of the same subject outlives it.
            .filter(|q| {
                !self
                    .qualifications
                    .iter()
                    .any(|o| o.subject == q.subject && o.expires > horizon)
            })
            .collect()
    }
}
