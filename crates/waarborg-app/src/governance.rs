//! Governance of a deployment: registering a proposal, and every step of the review chain
//! (submission, conflicts, assessment, advice, ratification, the authority's decision,
//! activation, reviews, suspension, end, evaluation) through one path — the domain decides
//! under the revision's framework, the events are in the ledger before the store keeps the
//! result, and a refused step is itself in the ledger.

use waarborg_govern::framework::Framework;
use waarborg_govern::revision::{
    AdviceOutcome, Command, Deployment, Judgement, RevisionContent, Weighing,
};
use waarborg_govern::{Actor, GovernError, Role};
use waarborg_store::Store;

use crate::{entries, short, App, AppError, Result};

/// The framework a revision is reviewed under (the latest default before submission).
pub fn framework_of(store: &dyn Store, d: &Deployment, number: u32) -> Result<Framework> {
    match d.revision(number)?.framework.clone() {
        Some(id) => store.framework(&id)?,
        None => store.latest_framework(&Framework::default_template().name)?,
    }
    .ok_or_else(|| {
        AppError::internal("no framework in the store; import one with `waarborg framework import`")
    })
}

/// One step on a deployment's revision.
pub struct Step<'a> {
    /// The deployment.
    pub deployment: &'a str,
    /// The version the step is based on (optimistic concurrency); `None`: the current one.
    pub version: Option<u64>,
    /// The revision (default: the latest).
    pub revision: Option<u32>,
    /// What is done.
    pub command: Command,
    /// Why.
    pub reason: &'a str,
}

/// Applies `step` by `actor` now — the one path for the web, the API and the CLI: the
/// domain decides under the revision's framework, the events are appended to the ledger,
/// and the store keeps the result only if the deployment is still at `step.version`. A step
/// the rules refuse is logged as a refusal (who tried what, and why not) and changes nothing.
/// Returns the new version and the events.
pub fn apply_step(
    app: &App,
    actor: &Actor,
    step: Step,
) -> Result<(u64, Vec<waarborg_govern::revision::Event>)> {
    let now = app.now();
    let id = step.deployment;
    let (mut d, stored) = app
        .store
        .deployment(id)?
        .ok_or_else(|| AppError::not_found(format!("no deployment {id} in the register")))?;
    if let Some(v) = step.version.filter(|v| *v != stored) {
        return Err(AppError::conflict(format!(
            "deployment {id} is at version {stored}, not {v}: someone decided meanwhile; reload and decide again"
        )));
    }
    let number = step
        .revision
        .unwrap_or_else(|| d.revisions.last().map_or(1, |r| r.number));
    let command = match step.command {
        Command::Edit { content } => Command::Edit {
            content: Box::new(with_model_facts(app, *content)),
        },
        other => other,
    };
    let step = Step { command, ..step };
    // The review applies the framework version recorded at submission; a draft is
    // submitted under the latest version of the framework it will be reviewed under.
    let framework = framework_of(&app.store, &d, number)?;
    let events = match d.apply(
        number,
        actor,
        step.command.clone(),
        step.reason,
        &framework,
        now,
    ) {
        Ok(events) => events,
        Err(GovernError::Refused(rule)) => {
            app.log_refusal(refusal(actor, &step.command, id, number, &rule))?;
            return Err(GovernError::Refused(rule).into());
        }
        Err(e) => return Err(e.into()),
    };
    let entries: Vec<waarborg_ledger::Event> = events
        .iter()
        .map(|e| entries::governance_entry(&d, e))
        .collect();
    let version = app.commit(&entries, |log| app.store.save_deployment(&d, stored, log))?;
    Ok((version, events))
}

/// `content` with what the model cache knows of the pinned models: each one's licence and
/// the accuracy evaluation made with exactly these models (the one on the most mated pairs,
/// then the latest). What the applicant wrote there is replaced, so the licence and
/// evaluation checks read the cache's word, not the applicant's.
pub fn with_model_facts(app: &App, mut content: RevisionContent) -> RevisionContent {
    let pinned = &content.technology.model_sha256;
    content.technology.licences = pinned
        .iter()
        .filter_map(|h| app.model_licences.iter().find(|l| &l.sha256 == h).cloned())
        .collect();
    content.technology.evaluation = app
        .model_evaluations
        .iter()
        .filter(|e| e.measured(pinned))
        .max_by(|a, b| (a.mated_pairs, &a.evaluated_at).cmp(&(b.mated_pairs, &b.evaluated_at)))
        .cloned();
    content
}

/// The ledger entry for a governance step the rules refused.
fn refusal(
    actor: &Actor,
    command: &Command,
    deployment: &str,
    revision: u32,
    rule: &waarborg_govern::rule::Rule,
) -> waarborg_ledger::Event {
    entries::rule_refusal(
        actor,
        &format!(
            "{} on deployment {deployment} revision {revision}",
            command.name()
        ),
        rule,
        Some(format!("{deployment}/{revision}")),
        None,
    )
}

/// Registers deployment `id` with its first revision, `content`, as a draft proposed by
/// `actor` — an applicant who is the content's applicant. The proposal is in the ledger
/// before it is in the register.
pub fn propose(
    app: &App,
    actor: &Actor,
    id: &str,
    name: &str,
    content: RevisionContent,
) -> Result<()> {
    if actor.role != Role::Applicant {
        return Err(AppError::forbidden(
            "a deployment is proposed by an applicant",
        ));
    }
    if content.applicant != actor.user {
        return Err(AppError::invalid(format!(
            "the content names applicant {:?}, but {} proposes it",
            content.applicant, actor.user
        )));
    }
    if app.store.deployment(id)?.is_some() {
        return Err(AppError::conflict(format!(
            "deployment {id} already exists"
        )));
    }
    let d = Deployment::new(id, name, with_model_facts(app, content))?;
    let entry = entries::draft_entry(actor, "propose", id, 1, name);
    app.commit(&[entry], |log| app.store.create_deployment_logged(&d, log))
}

/// Drafts a new revision of deployment `id` with `content`, by `actor` (the domain decides
/// who may: a change of technology or scope needs a new review). In the ledger before it is
/// kept; returns the new revision's number.
pub fn revise(app: &App, actor: &Actor, id: &str, content: RevisionContent) -> Result<u32> {
    let (mut d, version) = app
        .store
        .deployment(id)?
        .ok_or_else(|| AppError::not_found(format!("no deployment {id} in the register")))?;
    let number = d.new_revision(actor, with_model_facts(app, content))?;
    let entry = entries::draft_entry(
        actor,
        "revise",
        id,
        number,
        "a change of technology or scope",
    );
    app.commit(&[entry], |log| app.store.save_deployment(&d, version, log))?;
    Ok(number)
}

/// Imports framework version `f`, by `actor` (an administrator: the framework is the
/// organisation's, adopted outside Waarborg; importing it is an operator's act). A new
/// version is in the ledger before it is kept; the same text again changes nothing and logs
/// nothing; a different text under a version that exists is a conflict. Whether it was new.
pub fn import_framework(app: &App, actor: &Actor, f: &Framework) -> Result<bool> {
    if actor.role != Role::Administrator {
        return Err(AppError::forbidden(
            "a framework is imported by an administrator",
        ));
    }
    f.validate()?;
    let entry = waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: "import_framework".into(),
        subject: f.id(),
        reason: short(&f.title),
        framework_version: Some(f.id()),
        about: None,
    });
    app.commit(&[entry], |log| app.store.import_framework_logged(f, log))
}

/// The steps a role may offer on a deployment's page (the domain still decides whether
/// each is allowed now).
pub fn steps_for(role: Role) -> &'static [&'static str] {
    match role {
        Role::Applicant => &[
            "submit",
            "write_fria",
            "record_fria_notification",
            "record_registration",
            "activate",
            "end",
            "withdraw",
        ],
        Role::ReviewCommitteeMember => &[
            "declare_conflict",
            "advise_positive",
            "advise_positive_with_conditions",
            "advise_negative",
            "review_continue",
            "review_suspend",
            "evaluate",
        ],
        Role::ChiefOfPolice => &["ratify", "refuse_ratification", "suspend", "end"],
        Role::PortfolioHolder => &["approve_experiment"],
        Role::CompetentAuthority => &["authority_approve", "authority_decline"],
        Role::PrivacyOfficer => &[
            "write_fria",
            "record_fria_notification",
            "record_registration",
            "suspend",
        ],
        _ => &[],
    }
}

/// One step a person could take on a revision now, or why not.
#[derive(Debug, Clone)]
pub struct StepOption {
    /// The form's key (`ratify`, `attest:KEY`, `assess`).
    pub step: String,
    /// `Ok`: the rules allow it now; `Err`: why not (mostly the rule that refuses it).
    pub now: std::result::Result<(), GovernError>,
}

/// The steps `actor` could take on revision `number` of `d` under `framework` at `now`: each
/// step of their role ([`steps_for`]), each attestation theirs to give, and for a committee
/// member the assessment — each tried on a copy by the domain itself, so a page offers only
/// what would be taken and names the rule for the rest (issue 19 item 7). A step whose
/// reasons are still to be written is tried with reasons given.
pub fn step_options(
    d: &Deployment,
    number: u32,
    actor: &Actor,
    framework: &Framework,
    now: waarborg_govern::Timestamp,
) -> Vec<StepOption> {
    use waarborg_govern::framework::Establishment;
    // The records are tried with a day and a reference given.
    let today: String = now.to_string().chars().take(10).collect();
    let written = d
        .revision(number)
        .map(|r| r.content.fria.parts().map(|(_, text)| text.to_string()))
        .unwrap_or_default();
    let tried = |s: &str| match s {
        "write_fria" => Some(Command::WriteFria {
            parts: Box::new(written.clone()),
            up_to_date: true,
        }),
        "record_fria_notification" => Some(Command::RecordFriaNotification {
            notified_on: today.clone(),
            reference: "tried".into(),
        }),
        "record_registration" => Some(Command::RecordRegistration {
            reference: "tried".into(),
        }),
        other => command_of(other),
    };
    let mut steps: Vec<(String, Command)> = steps_for(actor.role)
        .iter()
        .filter_map(|s| tried(s).map(|c| (s.to_string(), c)))
        .collect();
    for pc in &framework.preconditions {
        if matches!(pc.established, Establishment::Attested { role } if role == actor.role) {
            steps.push((
                format!("attest:{}", pc.key),
                Command::Attest {
                    precondition: pc.key.clone(),
                },
            ));
        }
    }
    if actor.role == Role::ReviewCommitteeMember {
        let judgements = framework
            .keys()
            .map(|key| Judgement {
                key: key.clone(),
                weighing: Weighing::Concerns,
                reasons: "tried for the page".into(),
            })
            .collect();
        steps.push(("assess".into(), Command::Assess { judgements }));
    }
    steps
        .into_iter()
        .map(|(step, command)| {
            let tried = d.clone().apply(
                number,
                actor,
                command,
                "tried for the page: the reasons are written when the step is taken",
                framework,
                now,
            );
            StepOption {
                step,
                now: tried.map(|_| ()),
            }
        })
        .collect()
}

/// The command a step key names (`advise_positive`, `attest:KEY`); `None` for a key that
/// names none (refused by the caller, never defaulted).
pub fn command_of(step: &str) -> Option<Command> {
    Some(match step {
        "submit" => Command::Submit,
        "activate" => Command::Activate,
        "end" => Command::End,
        "withdraw" => Command::Withdraw,
        "declare_conflict" => Command::DeclareConflict,
        "advise_positive" => Command::Advise {
            outcome: AdviceOutcome::Positive,
        },
        "advise_positive_with_conditions" => Command::Advise {
            outcome: AdviceOutcome::PositiveWithConditions,
        },
        "advise_negative" => Command::Advise {
            outcome: AdviceOutcome::Negative,
        },
        "review_continue" => Command::Review { continue_use: true },
        "review_suspend" => Command::Review {
            continue_use: false,
        },
        "evaluate" => Command::Evaluate,
        "ratify" => Command::Ratify,
        "refuse_ratification" => Command::RefuseRatification,
        "suspend" => Command::Suspend,
        "approve_experiment" => Command::ApproveExperiment,
        "authority_approve" => Command::AuthorityDecision { approve: true },
        "authority_decline" => Command::AuthorityDecision { approve: false },
        _ => {
            let key = step.strip_prefix("attest:")?;
            Command::Attest {
                precondition: key.to_string(),
            }
        }
    })
}

/// The step a deployment page's form asks for, by a person in `role`: `step` names it (one
/// of [`steps_for`] the role, an attestation `attest:KEY`, or `assess` with a weighing
/// `weigh:FACTOR` and reasons `why:FACTOR` per factor). Anything else — a step the role does
/// not offer, an unknown weighing — is refused, never defaulted.
pub fn command_from_form(role: Role, fields: &[(String, String)]) -> Result<Command> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let step = field("step").unwrap_or_default();
    if step == "assess" {
        let mut judgements = Vec::new();
        for (k, v) in fields {
            let Some(key) = k.strip_prefix("weigh:") else {
                continue;
            };
            let weighing = match v.as_str() {
                "favourable" => Weighing::Favourable,
                "concerns" => Weighing::Concerns,
                "unfavourable" => Weighing::Unfavourable,
                "" => {
                    return Err(AppError::invalid(format!(
                        "{key} is not weighed: choose favourable, concerns or unfavourable — nothing is preset"
                    )))
                }
                other => {
                    return Err(AppError::invalid(format!(
                        "{other:?} is no weighing of {key}; favourable, concerns or unfavourable"
                    )))
                }
            };
            judgements.push(Judgement {
                key: key.to_string(),
                weighing,
                reasons: field(&format!("why:{key}")).unwrap_or_default().to_string(),
            });
        }
        return Ok(Command::Assess { judgements });
    }
    let text = |name: &str| field(name).unwrap_or_default().to_string();
    if steps_for(role).contains(&step) {
        match step {
            "write_fria" => {
                return Ok(Command::WriteFria {
                    parts: Box::new(waarborg_govern::revision::Fria::FIELDS.map(&text)),
                    up_to_date: field("fria_up_to_date").is_some(),
                })
            }
            "record_fria_notification" => {
                return Ok(Command::RecordFriaNotification {
                    notified_on: text("notified_on"),
                    reference: text("reference"),
                })
            }
            "record_registration" => {
                return Ok(Command::RecordRegistration {
                    reference: text("reference"),
                })
            }
            _ => {}
        }
    }
    let offered = steps_for(role).contains(&step) || step.starts_with("attest:");
    offered.then(|| command_of(step)).flatten().ok_or_else(|| {
        AppError::invalid(format!(
            "{step:?} is not a step the role {} may take here",
            role.as_str()
        ))
    })
}
