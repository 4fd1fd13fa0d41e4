//! What the organisation publishes and reports: each deployment's texts for the algorithm
//! register and the EU database, the organisation's details, the registrations checked
//! against their standards, and the yearly figures recomputed from the verified ledger.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use waarborg_govern::revision::{Deployment, State as RevisionState};
use waarborg_govern::{Role, Timestamp};
use waarborg_report::annual::{
    AnnualReport, DeploymentLine, EuRegistration, EuRegistrationText, Organisation,
};
use waarborg_report::register::{FieldProblem, RegisterText, Registration, UseFacts, UseStatus};
use waarborg_report::{Period, Report};
use waarborg_store::{DocumentStore, SqliteStore, Store};

use crate::{App, AppError, Result};

const PUBLICATION: &str = "publication";
const ORGANISATION: &str = "organisation";
const ORGANISATION_ID: &str = "self";

/// What an organisation publishes about one deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Publication {
    /// The algorithm register's texts.
    pub register: RegisterText,
    /// The EU database registration's texts.
    pub eu: EuRegistrationText,
}

/// Roles that write a deployment's published texts.
pub const PUBLICATION_WRITERS: &[Role] = &[Role::Applicant, Role::PrivacyOfficer];
/// Roles that keep the organisation's details.
pub const ORGANISATION_WRITERS: &[Role] = &[Role::PrivacyOfficer, Role::Administrator];

fn decode<T: serde::de::DeserializeOwned>(what: &str, v: Value) -> Result<T> {
    serde_json::from_value(v)
        .map_err(|e| AppError::internal(format!("stored {what} does not decode: {e}")))
}

/// A starting text from what the revision already says, for a deployment with none yet.
fn prefilled(d: &Deployment) -> Publication {
    let mut p = Publication::default();
    p.register.name = d.name.chars().take(100).collect();
    if let Some(r) = d.revisions.last() {
        p.register.description_short = r.content.algorithm_register_text.clone();
        p.register.goal = r.content.purpose.clone();
        p.register.publication_category = "Hoog-risico AI-systeem".into();
        p.register.category = vec!["Openbare orde en veiligheid".into()];
        p.register.human_intervention = format!(
            "Een gezichtsvergelijker beoordeelt de kandidatenlijst; een identificatie bestaat pas na {} onafhankelijke verificaties. De uitkomst is een opsporingsindicatie, nooit bewijs.",
            r.content.oversight.verifiers_required
        );
    }
    p
}

/// Deployment `id`'s published texts and their version (0: none written yet; the texts
/// are then prefilled from the revision).
pub fn publication(store: &SqliteStore, id: &str) -> Result<(Publication, u64)> {
    if let Some((doc, version)) = store.document(PUBLICATION, id)? {
        return Ok((decode("publication", doc)?, version));
    }
    let (d, _) = store
        .deployment(id)?
        .ok_or_else(|| AppError::not_found(format!("no deployment {id} in the register")))?;
    Ok((prefilled(&d), 0))
}

/// Saves deployment `id`'s published texts by `actor` (an applicant or the privacy
/// officer) if still at `expected` (0: none yet); the change is in the ledger first.
pub fn save_publication(
    app: &App,
    actor: &waarborg_govern::Actor,
    id: &str,
    text: &Publication,
    expected: u64,
) -> Result<u64> {
    if !PUBLICATION_WRITERS.contains(&actor.role) {
        return Err(AppError::forbidden(
            "only an applicant or the privacy officer writes a deployment's published texts",
        ));
    }
    let Some((d, _)) = app.store.deployment(id)? else {
        return Err(AppError::not_found(format!(
            "no deployment {id} in the register"
        )));
    };
    // Whose texts these are is the domain's rule.
    d.may_write_texts(actor)
        .map_err(|e| AppError::forbidden(e.to_string()))?;
    let entry = text_entry(actor, "publication_text", &format!("deployment {id}"));
    save_document(app, PUBLICATION, id, text, expected, entry)
}

fn text_entry(
    actor: &waarborg_govern::Actor,
    action: &str,
    subject: &str,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: action.into(),
        subject: subject.into(),
        reason: "published texts changed".into(),
        framework_version: None,
        about: None,
    })
}

fn save_document<T: Serialize>(
    app: &App,
    kind: &str,
    id: &str,
    body: &T,
    expected: u64,
    entry: waarborg_ledger::Event,
) -> Result<u64> {
    let doc = serde_json::to_value(body).map_err(|e| AppError::internal(e.to_string()))?;
    match (expected, app.store.document(kind, id)?) {
        (0, None) => {
            app.commit(&[entry], |log| {
                app.store.create_document(kind, id, "", &doc, log)
            })?;
            Ok(1)
        }
        (0, Some((_, v))) => Err(AppError::conflict(format!(
            "someone wrote these texts meanwhile (now at version {v}); reload and write again"
        ))),
        (v, _) => app.commit(&[entry], |log| {
            app.store.save_document(kind, id, &doc, v, log)
        }),
    }
}

/// The organisation's details (empty until written) and their version.
pub fn organisation(store: &SqliteStore) -> Result<(Organisation, u64)> {
    match store.document(ORGANISATION, ORGANISATION_ID)? {
        Some((doc, version)) => Ok((decode("organisation", doc)?, version)),
        None => Ok((Organisation::default(), 0)),
    }
}

/// Saves the organisation's details by `actor` (the privacy officer or an administrator).
pub fn save_organisation(
    app: &App,
    actor: &waarborg_govern::Actor,
    org: &Organisation,
    expected: u64,
) -> Result<u64> {
    if !ORGANISATION_WRITERS.contains(&actor.role) {
        return Err(AppError::forbidden(
            "only the privacy officer or an administrator keeps the organisation's details",
        ));
    }
    let entry = text_entry(actor, "organisation_details", "the organisation");
    save_document(app, ORGANISATION, ORGANISATION_ID, org, expected, entry)
}

fn month(t: Timestamp) -> String {
    t.to_string().chars().take(7).collect()
}

/// What the system knows of deployment `d` at `now`: where it stands in the register's
/// words, the month of first use and of the end.
pub fn use_facts(d: &Deployment, now: Timestamp) -> UseFacts {
    let steps = || d.revisions.iter().flat_map(|r| r.history.iter());
    let began = steps()
        .filter(|s| s.to == RevisionState::Active)
        .map(|s| s.at)
        .min();
    let state = d.revisions.last().map(|r| r.effective_state(now));
    let status = match state {
        Some(RevisionState::Active | RevisionState::Suspended) => UseStatus::InUse,
        Some(
            RevisionState::Ended
            | RevisionState::Evaluated
            | RevisionState::Superseded
            | RevisionState::Withdrawn
            | RevisionState::RatificationRefused
            | RevisionState::AuthorityDeclined,
        ) => UseStatus::OutOfUse,
        _ => UseStatus::InDevelopment,
    };
    let ended = match status {
        UseStatus::OutOfUse if began.is_some() => steps()
            .filter(|s| s.to == RevisionState::Ended)
            .map(|s| s.at)
            .max()
            .or_else(|| d.revisions.last().map(|r| r.content.scope.valid_until)),
        _ => None,
    };
    // The record of the revision in use, else the latest.
    let revision = d.active_revision(now).or(d.revisions.last());
    let assessment = revision
        .map(|r| {
            let c = &r.content;
            waarborg_report::register::AssessmentRecord {
                fria_complete: c.fria.complete().is_ok(),
                fria_notified_on: c.fria.notified_on.clone(),
                fria_notification_reference: c.fria.notification_reference.clone(),
                registration_reference: c.registration_reference.clone(),
            }
        })
        .unwrap_or_default();
    UseFacts {
        deployment: d.id.clone(),
        status,
        assessment,
        begin_date: began.map(month),
        end_date: ended.map(month),
    }
}

/// Each deployment's register entry, or every field the register would refuse.
pub type Checked<T> = Vec<(String, std::result::Result<T, Vec<FieldProblem>>)>;

/// Every deployment's algorithm-register registration, checked against the standard.
pub fn registrations(store: &SqliteStore, now: Timestamp) -> Result<Checked<Registration>> {
    store
        .deployments()?
        .iter()
        .map(|d| {
            let (text, _) = publication(store, &d.id)?;
            Ok((
                d.id.clone(),
                waarborg_report::register::registration(&text.register, &use_facts(d, now)),
            ))
        })
        .collect()
}

/// Every deployment's EU database registration data, checked.
pub fn eu_registrations(store: &SqliteStore, now: Timestamp) -> Result<Checked<EuRegistration>> {
    let (org, _) = organisation(store)?;
    store
        .deployments()?
        .iter()
        .map(|d| {
            let (text, _) = publication(store, &d.id)?;
            let system = d
                .revisions
                .last()
                .map(|r| r.content.system.clone())
                .unwrap_or_default();
            Ok((
                d.id.clone(),
                waarborg_report::annual::eu_registration(
                    &org,
                    &text.eu,
                    &use_facts(d, now),
                    &system,
                ),
            ))
        })
        .collect()
}

/// What the register (and, where given, the EU database) would refuse of a use's texts,
/// one line each; empty when it is ready for export.
pub fn refused<R, E>(
    register: &std::result::Result<R, Vec<FieldProblem>>,
    eu: Option<&std::result::Result<E, Vec<FieldProblem>>>,
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Err(ps) = register {
        lines.extend(ps.iter().map(|p| format!("Algoritmeregister: {p}")));
    }
    if let Some(Err(ps)) = eu {
        lines.extend(ps.iter().map(|p| format!("EU: {p}")));
    }
    lines
}

/// The calendar year of `t`.
pub fn year_of(t: Timestamp) -> i32 {
    t.to_string()
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970)
}

/// The checked entries, or a 422 naming every problem of every deployment.
pub fn all_valid<T>(checked: Checked<T>) -> Result<Vec<T>> {
    let mut problems = Vec::new();
    let mut valid = Vec::new();
    for (id, c) in checked {
        match c {
            Ok(v) => valid.push(v),
            Err(ps) => problems.extend(ps.into_iter().map(|p| format!("{id}: {p}"))),
        }
    }
    if problems.is_empty() {
        Ok(valid)
    } else {
        Err(AppError::Refused {
            code: "invalid_publication",
            detail: format!(
                "nothing exported; fix these fields first: {}",
                problems.join("; ")
            ),
            rule: None,
        })
    }
}

/// The figures of `period` from the verified ledger (the ledger must verify).
pub fn figures(ledger: &std::path::Path, period: &Period) -> Result<Report> {
    waarborg_report::figures_of_verified(ledger, period).map_err(report_problem)
}

/// Recomputes every figure of `report` from the ledger in `ledger` (this service's, or a
/// copy handed to an outside checker), which must verify; the figures that differ.
pub fn verify_report(
    ledger: &std::path::Path,
    report: &Report,
) -> Result<Vec<waarborg_report::Mismatch>> {
    let (snapshot, _) = waarborg_report::verified_snapshot(ledger).map_err(report_problem)?;
    waarborg_report::verify(report, &snapshot).map_err(report_problem)
}

/// A report error as the answer it deserves.
pub fn report_problem(e: waarborg_report::ReportError) -> AppError {
    match e {
        waarborg_report::ReportError::BadPeriod { .. } => AppError::invalid(e.to_string()),
        waarborg_report::ReportError::Unverified(_) => AppError::Conflict {
            code: "ledger_unverified",
            detail: e.to_string(),
        },
        other => AppError::internal(other.to_string()),
    }
}

/// The AI Act Art. 26(10) yearly report for `year`.
pub fn annual(
    store: &SqliteStore,
    ledger: &std::path::Path,
    year: i32,
    now: Timestamp,
) -> Result<AnnualReport> {
    // A year from outside: checked before any arithmetic on it.
    if !(1970..=9998).contains(&year) {
        return Err(AppError::invalid(format!(
            "year {year} is outside 1970–9998"
        )));
    }
    let period = Period::new(
        &format!("{year:04}-01-01"),
        &format!("{:04}-01-01", year + 1),
    )
    .map_err(report_problem)?;
    let figures = figures(ledger, &period)?;
    let (org, _) = organisation(store)?;
    let deployments = store
        .deployments()?
        .iter()
        .map(|d| DeploymentLine {
            id: d.id.clone(),
            name: d.name.clone(),
            system: d
                .revisions
                .last()
                .map(|r| r.content.system.clone())
                .unwrap_or_default(),
            status: use_facts(d, now).status.as_dutch().into(),
        })
        .collect();
    Ok(AnnualReport::new(year, org.deployer, deployments, figures))
}
