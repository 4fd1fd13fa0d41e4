//! The incident register (issue 19 item 4; AI Act Art. 26(5), 73): an incident reported,
//! classified by the privacy officer, the provider and the market surveillance authority
//! notified within the clocks its kind sets, and the deployment suspended from it in one
//! step. The rules are `waarborg_govern::incident`'s; every step is in the ledger before it
//! is kept (the description by its SHA-256 only: it may describe people), and a refused
//! step is logged as a refusal.

use serde::Deserialize;
use waarborg_govern::incident::{Incident, Recipient, SeriousKind};
use waarborg_govern::{Actor, Timestamp};
use waarborg_store::{DocumentStore, Store};

use crate::{entries, App, AppError, Result};

const KIND: &str = "incident";

/// An incident as reported.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReportBody {
    /// The deployment it concerns.
    pub deployment: String,
    /// What happened.
    pub description: String,
    /// When it became known (`YYYY-MM-DD` or RFC 3339).
    pub aware_since: String,
    /// The searches it touched, separated by spaces or commas (may be empty).
    #[serde(default)]
    pub searches: String,
}

/// A classification: `not_serious`, or a serious kind (`widespread_or_critical`, `death`,
/// `other_serious`), with reasons.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ClassifyBody {
    /// The classification.
    pub classification: String,
    /// Why.
    pub reasons: String,
}

/// A notification made: to `provider` or `authority`, when, under which reference.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NotifyBody {
    /// `provider` or `authority`.
    pub to: String,
    /// When it was sent (`YYYY-MM-DD` or RFC 3339).
    pub sent: String,
    /// The reference.
    pub reference: String,
}

fn date(what: &str, text: &str) -> Result<Timestamp> {
    Timestamp::parse(text.trim()).map_err(|e| AppError::invalid(format!("{what}: {e}")))
}

/// Who oversees the register: they see every incident; anyone else who reports sees the
/// ones they reported.
pub const OVERSEERS: &[waarborg_govern::Role] = &[
    waarborg_govern::Role::PrivacyOfficer,
    waarborg_govern::Role::ChiefOfPolice,
    waarborg_govern::Role::Coordinator,
    waarborg_govern::Role::Auditor,
    waarborg_govern::Role::ReviewCommitteeMember,
];

/// The incidents `actor` sees, in the order reported.
pub fn list(app: &App, actor: &Actor) -> Result<Vec<Incident>> {
    let all = OVERSEERS.contains(&actor.role);
    let mut out = Vec::new();
    for v in app.store.documents(KIND, None)? {
        let i: Incident = serde_json::from_value(v)
            .map_err(|e| AppError::internal(format!("a stored incident does not read: {e}")))?;
        if all || i.reported_by == actor.user {
            out.push(i);
        }
    }
    out.sort_by_key(|i| i.reported_at);
    Ok(out)
}

fn load(app: &App, id: &str) -> Result<(Incident, u64)> {
    let (v, version) = app
        .store
        .document(KIND, id)?
        .ok_or_else(|| AppError::not_found(format!("no incident {id}")))?;
    let i = serde_json::from_value(v)
        .map_err(|e| AppError::internal(format!("incident {id} does not read: {e}")))?;
    Ok((i, version))
}

/// Reports an incident of a deployment in the register.
pub fn report(app: &App, actor: &Actor, b: &ReportBody) -> Result<Incident> {
    let deployment = b.deployment.trim();
    if app.store.deployment(deployment)?.is_none() {
        return Err(AppError::invalid(format!(
            "no deployment {deployment:?} in the register"
        )));
    }
    let mut searches = Vec::new();
    for id in b
        .searches
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let (s, _) = crate::search::load(app, id)
            .map_err(|_| AppError::invalid(format!("no search {id:?}")))?;
        if s.deployment != deployment {
            return Err(AppError::invalid(format!(
                "search {id} ran under deployment {}, not {deployment}",
                s.deployment
            )));
        }
        searches.push(s.id);
    }
    let aware_since = date("when it became known", &b.aware_since)?;
    let id = crate::search::prefixed_id("I")?;
    let incident = app.logged_refusal(
        actor,
        "report an incident",
        Incident::report(
            actor,
            &id,
            deployment,
            searches,
            &b.description,
            aware_since,
            app.now(),
        ),
    )?;
    let reason = format!(
        "reported (description sha256 {})",
        crate::search::sha256_hex(incident.description.as_bytes())
    );
    let entry = entries::incident_entry(actor, "report_incident", &incident, &reason);
    let body = serde_json::to_value(&incident).map_err(|e| AppError::internal(e.to_string()))?;
    app.commit(&[entry], |log| {
        app.store
            .create_document(KIND, &incident.id, deployment, &body, log)
    })?;
    Ok(incident)
}

/// One step on incident `id`: the rule's `step` on it, then the entry and the change kept
/// together.
fn step(
    app: &App,
    actor: &Actor,
    id: &str,
    action: &str,
    what: &str,
    reason: &str,
    change: impl FnOnce(&mut Incident) -> std::result::Result<(), waarborg_govern::GovernError>,
) -> Result<Incident> {
    let (mut incident, version) = load(app, id)?;
    app.logged_refusal(actor, what, change(&mut incident))?;
    let entry = entries::incident_entry(actor, action, &incident, reason);
    let body = serde_json::to_value(&incident).map_err(|e| AppError::internal(e.to_string()))?;
    app.commit(&[entry], |log| {
        app.store
            .save_document(KIND, id, &body, version, log)
            .map(|_| ())
    })?;
    Ok(incident)
}

/// The privacy officer classifies incident `id` (again).
pub fn classify(app: &App, actor: &Actor, id: &str, b: &ClassifyBody) -> Result<Incident> {
    let serious = match b.classification.trim() {
        "not_serious" => None,
        other => Some(SeriousKind::parse(other).ok_or_else(|| {
            AppError::invalid(format!(
                "{other:?} is no classification: not_serious, widespread_or_critical, death or other_serious"
            ))
        })?),
    };
    let now = app.now();
    step(
        app,
        actor,
        id,
        "classify_incident",
        &format!("classify incident {id}"),
        &b.reasons,
        |i| i.classify(actor, serious, &b.reasons, now),
    )
}

/// A notification of incident `id` to the provider or the authority, recorded.
pub fn notify(app: &App, actor: &Actor, id: &str, b: &NotifyBody) -> Result<Incident> {
    let to = Recipient::parse(b.to.trim()).ok_or_else(|| {
        AppError::invalid(format!("{:?} is no recipient: provider or authority", b.to))
    })?;
    let sent = date("when it was sent", &b.sent)?;
    let now = app.now();
    step(
        app,
        actor,
        id,
        "notify_incident",
        &format!("record a notification of incident {id}"),
        &format!("notified the {} ({})", to.as_str(), b.reference.trim()),
        |i| i.notify(actor, to, sent, &b.reference, now),
    )
}

/// Suspends the deployment incident `id` concerns, from the incident, in one step: the
/// review chain's own suspension (chief of police or privacy officer, with reasons naming
/// the incident, logged as such), then the incident marks it. Refused as the chain refuses
/// it (another role, nothing in use).
pub fn suspend_deployment(app: &App, actor: &Actor, id: &str, reasons: &str) -> Result<Incident> {
    let (incident, _) = load(app, id)?;
    let reason = format!("incident {id}: {}", reasons.trim());
    let (d, _) = app
        .store
        .deployment(&incident.deployment)?
        .ok_or_else(|| AppError::internal(format!("no deployment {}", incident.deployment)))?;
    let revision = d.active_revision(app.now()).map(|r| r.number);
    crate::governance::apply_step(
        app,
        actor,
        crate::governance::Step {
            deployment: &incident.deployment,
            version: None,
            revision,
            command: waarborg_govern::revision::Command::Suspend,
            reason: &reason,
        },
    )?;
    let now = app.now();
    step(
        app,
        actor,
        id,
        "suspend_from_incident",
        &format!("suspend the deployment from incident {id}"),
        &reason,
        |i| {
            i.suspended = Some((actor.user.clone(), now));
            Ok(())
        },
    )
}
