//! The ledger entries the use cases write, built in one place each so that the web, the API
//! and the command line record the same step the same way.

use crate::short;

/// The ledger entry for a governance event on deployment `d`: who did what to which
/// revision, why, under which framework version (reasons longer than the ledger allows are
/// cut), with the step as data ([`waarborg_ledger::About::Revision`]; a step into use
/// carries the review interval so that overdue reviews are computed from the ledger).
pub fn governance_entry(
    d: &waarborg_govern::revision::Deployment,
    e: &waarborg_govern::revision::Event,
) -> waarborg_ledger::Event {
    use waarborg_govern::revision::State;
    let review_interval_days = d
        .revisions
        .iter()
        .find(|r| r.number == e.revision)
        .filter(|_| e.decision.to == State::Active)
        .map(|r| r.content.review_interval_days);
    waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: e.decision.actor.clone(),
        role: e.decision.role.as_str().into(),
        action: e.decision.action.clone(),
        subject: format!(
            "deployment {} revision {}: {} -> {}",
            e.deployment,
            e.revision,
            e.decision.from.as_str(),
            e.decision.to.as_str()
        ),
        reason: short(&e.decision.reason),
        framework_version: e.decision.framework.clone(),
        about: Some(waarborg_ledger::About::Revision {
            deployment: e.deployment.clone(),
            revision: e.revision,
            from: e.decision.from.as_str().into(),
            to: e.decision.to.as_str().into(),
            review_interval_days,
        }),
    })
}

/// A governance decision by `actor`: `action` on `subject`, why, about what (as data).
fn decision(
    actor: &waarborg_govern::Actor,
    action: &str,
    subject: String,
    reason: &str,
    about: waarborg_ledger::About,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: action.into(),
        subject,
        reason: short(reason),
        framework_version: None,
        about: Some(about),
    })
}

/// The ledger entry for a step on a case authorisation (request, grant, refusal), with the
/// case's facts as data ([`waarborg_ledger::About::Case`]).
pub fn case_entry(
    actor: &waarborg_govern::Actor,
    action: &str,
    c: &waarborg_govern::case::CaseAuthorisation,
    reason: &str,
) -> waarborg_ledger::Event {
    decision(
        actor,
        action,
        format!("case {} under deployment {}", c.case_number, c.deployment),
        reason,
        waarborg_ledger::About::Case {
            case_number: c.case_number.clone(),
            deployment: c.deployment.clone(),
            offence_category: short(&c.offence_category),
            urgent: c.urgent,
        },
    )
}

/// The ledger entry for what the investigation found of search `search`'s identification,
/// recorded by the case's requester ([`waarborg_ledger::About::Lead`]).
pub fn lead_entry(
    actor: &waarborg_govern::Actor,
    search: &str,
    case_number: &str,
    revision: &str,
    finding: waarborg_govern::identification::Finding,
) -> waarborg_ledger::Event {
    decision(
        actor,
        "record_lead_feedback",
        format!("the identification of search {search} in case {case_number}"),
        finding.as_str(),
        waarborg_ledger::About::Lead {
            case_number: case_number.into(),
            search: search.into(),
            deployment_revision: revision.into(),
            finding: finding.as_str().into(),
        },
    )
}

/// The ledger entry for step `action` on incident `i`, with its classification as it stands
/// after the step ([`waarborg_ledger::About::Incident`]).
pub fn incident_entry(
    actor: &waarborg_govern::Actor,
    action: &str,
    i: &waarborg_govern::incident::Incident,
    reason: &str,
) -> waarborg_ledger::Event {
    decision(
        actor,
        action,
        format!("incident {} of deployment {}", i.id, i.deployment),
        reason,
        waarborg_ledger::About::Incident {
            incident: i.id.clone(),
            deployment: i.deployment.clone(),
            classification: i
                .classification
                .as_ref()
                .map(|c| c.serious.map_or("not_serious", |k| k.as_str()).to_string()),
        },
    )
}

/// The ledger entry for a refusal by the gate: who tried what under which deployment and
/// case, and the refusal's code and words.
pub fn gate_refusal(
    actor: &waarborg_govern::Actor,
    action: waarborg_govern::gate::Action,
    deployment: &str,
    active_revision: Option<String>,
    case_number: Option<&str>,
    refusal: &waarborg_govern::gate::Refusal,
) -> waarborg_ledger::Event {
    refused_input(
        actor,
        action,
        deployment,
        active_revision,
        case_number,
        &format!("{}: {refusal}", refusal.code()),
    )
}

/// The ledger entry for operation `action` under `deployment` refused for `reason` (its
/// stable code first: `no_case: …`, `invalid_probe: …`): by the gate, or, after a permit,
/// because the input cannot be used.
pub fn refused_input(
    actor: &waarborg_govern::Actor,
    action: waarborg_govern::gate::Action,
    deployment: &str,
    active_revision: Option<String>,
    case_number: Option<&str>,
    reason: &str,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::Refusal(waarborg_ledger::Refusal {
        user: actor.user.clone(),
        role: actor.role.as_str().into(),
        attempted: short(&format!("{} under {deployment}", action.as_str())),
        reason: short(reason),
        deployment_revision: active_revision,
        case_authorisation: case_number
            .filter(|c| !c.is_empty() && c.len() <= 128)
            .map(str::to_string),
        count: None,
    })
}

/// The ledger entry for `attempted` refused by governance rule `rule`, with the revision
/// or case it was about.
pub fn rule_refusal(
    actor: &waarborg_govern::Actor,
    attempted: &str,
    rule: &waarborg_govern::rule::Rule,
    deployment_revision: Option<String>,
    case_number: Option<&str>,
) -> waarborg_ledger::Event {
    refusal(
        actor,
        attempted,
        &format!("{}: {rule}", rule.code()),
        deployment_revision,
        case_number,
    )
}

/// The ledger entry for `attempted` refused for `reason` (its stable code first:
/// `unknown_person: …`), with the revision or case it was about.
pub fn refusal(
    actor: &waarborg_govern::Actor,
    attempted: &str,
    reason: &str,
    deployment_revision: Option<String>,
    case_number: Option<&str>,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::Refusal(waarborg_ledger::Refusal {
        user: actor.user.clone(),
        role: actor.role.as_str().into(),
        attempted: short(attempted),
        reason: short(reason),
        deployment_revision,
        case_authorisation: case_number.map(str::to_string),
        count: None,
    })
}

/// The ledger entry for a new revision drafted (`propose`: the deployment's first;
/// `revise`: a later one) of deployment `id` by `actor`.
pub fn draft_entry(
    actor: &waarborg_govern::Actor,
    action: &str,
    id: &str,
    revision: u32,
    reason: &str,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: action.into(),
        subject: format!("deployment {id} revision {revision}: draft"),
        reason: short(reason),
        framework_version: None,
        about: Some(waarborg_ledger::About::Revision {
            deployment: id.into(),
            revision,
            from: "none".into(),
            to: "draft".into(),
            review_interval_days: None,
        }),
    })
}
