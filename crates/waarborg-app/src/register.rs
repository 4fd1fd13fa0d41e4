//! Reading the register of face-recognition uses: the deployments, one deployment with the
//! framework its review runs under, the uses an examiner can search under now, and the
//! published uses. The register is public by design (no personal data), so these reads
//! are not consultations for the ledger; they live here so that every front end reads
//! through one door.

use waarborg_govern::framework::Framework;
use waarborg_govern::revision::Deployment;
use waarborg_store::Store;

use crate::publication::Publication;
use crate::{App, AppError, Result};

/// Every deployment, by id.
pub fn deployments(app: &App) -> Result<Vec<Deployment>> {
    Ok(app.store.deployments()?)
}

/// Deployment `id` and its stored version; not found if the register has none.
pub fn deployment(app: &App, id: &str) -> Result<(Deployment, u64)> {
    app.store
        .deployment(id)?
        .ok_or_else(|| AppError::not_found(format!("no deployment {id} in the register")))
}

/// Deployment `id` as `actor` may read it (a committee member judges blind:
/// [`Deployment::as_seen_by`]), and its stored version.
pub fn deployment_seen_by(
    app: &App,
    actor: &waarborg_govern::Actor,
    id: &str,
) -> Result<(Deployment, u64)> {
    let (d, version) = deployment(app, id)?;
    Ok((d.as_seen_by(actor), version))
}

/// Every deployment as `actor` may read it ([`Deployment::as_seen_by`]).
pub fn deployments_seen_by(app: &App, actor: &waarborg_govern::Actor) -> Result<Vec<Deployment>> {
    Ok(deployments(app)?
        .into_iter()
        .map(|d| d.as_seen_by(actor))
        .collect())
}

/// Deployment `id` as `actor` may read it, its version, and the framework version its latest revision is reviewed
/// under (the one recorded at submission; for a draft, the latest of its framework).
pub fn deployment_under_review(
    app: &App,
    actor: &waarborg_govern::Actor,
    id: &str,
) -> Result<(Deployment, u64, Framework)> {
    let (d, version) = deployment_seen_by(app, actor, id)?;
    let number = d
        .revisions
        .last()
        .map(|r| r.number)
        .ok_or_else(|| AppError::not_found(format!("deployment {id} has no revision")))?;
    let framework = crate::governance::framework_of(&app.store, &d, number)?;
    Ok((d, version, framework))
}

/// The deployments with a revision in use now, as (id, name): those a search can run under.
pub fn in_use(app: &App) -> Result<Vec<(String, String)>> {
    let now = app.now();
    Ok(deployments(app)?
        .iter()
        .filter(|d| d.active_revision(now).is_some())
        .map(|d| (d.id.clone(), d.name.clone()))
        .collect())
}

/// The framework a new proposal is drafted under: the latest version of the shipped
/// template's framework (the template itself until one is imported).
pub fn framework_for_proposals(app: &App) -> Result<Framework> {
    let name = Framework::default_template().name;
    Ok(app
        .store
        .latest_framework(&name)?
        .unwrap_or_else(Framework::default_template))
}

/// Every deployment with its published texts, where written.
pub fn published(app: &App) -> Result<Vec<(Deployment, Option<Publication>)>> {
    Ok(deployments(app)?
        .into_iter()
        .map(|d| {
            let text = crate::publication::publication(&app.store, &d.id)
                .ok()
                .map(|(p, _)| p);
            (d, text)
        })
        .collect())
}
