//! Case authorisations: the requester (investigating officer) asks for a search for a case
//! under a deployment; the competent authority grants or refuses it with reasons (never
//! their own request). Each step is a ledger entry, written before the change is kept; a
//! refusal, or an urgent use whose authorisation came late, erases the results of the
//! searches it does not cover.

use serde::Deserialize;
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
use waarborg_govern::{Actor, Timestamp};
use waarborg_store::Store;

use crate::{entries, App, AppError, Result};

/// A requester's request, as the form sends it.
#[derive(Debug, Deserialize)]
pub struct CaseRequest {
    /// The case number.
    pub case_number: String,
    /// The deployment it is asked under.
    pub deployment: String,
    /// The offence, in words.
    pub offence: String,
    /// The offence's category (the deployment's scope names the categories it covers).
    pub offence_category: String,
    /// The offence's maximum sentence, in years.
    pub max_sentence_years: u32,
    /// `public_prosecutor` or `investigating_judge`.
    pub authority: String,
    /// Present (`on`) when urgent use is asked for.
    pub urgent: Option<String>,
}

/// Records a requester's request for a case authorisation from the form.
pub fn request(app: &App, actor: &Actor, r: &CaseRequest) -> Result<()> {
    let authority = match r.authority.as_str() {
        "investigating_judge" => AuthorityKind::InvestigatingJudge,
        "public_prosecutor" => AuthorityKind::PublicProsecutor,
        other => {
            return Err(AppError::invalid(format!(
                "{other:?} is no competent authority; public_prosecutor or investigating_judge"
            )))
        }
    };
    let c = CaseAuthorisation::request(
        actor,
        r.case_number.trim(),
        r.deployment.trim(),
        r.offence.trim(),
        r.offence_category.trim(),
        r.max_sentence_years,
        authority,
        r.urgent.is_some(),
        app.now(),
    )?;
    record_request(app, actor, &c)
}

/// Records request `c` (made by `actor` with [`CaseAuthorisation::request`]) — the one path
/// for the web and the CLI: the deployment must exist and the case have no request yet;
/// the request is in the ledger before it is kept.
pub fn record_request(app: &App, actor: &Actor, c: &CaseAuthorisation) -> Result<()> {
    if app.store.deployment(&c.deployment)?.is_none() {
        return Err(AppError::invalid(format!(
            "no deployment {:?} in the register",
            c.deployment
        )));
    }
    if app.store.case(&c.case_number)?.is_some() {
        return Err(AppError::conflict(format!(
            "case {} already has a request",
            c.case_number
        )));
    }
    if crate::proficiency::planted_case(app, &c.case_number)? {
        // A planted test never becomes a case someone acts on.
        app.log_refusal(entries::rule_refusal(
            actor,
            &format!("request authorisation for case {}", c.case_number),
            &waarborg_govern::rule::Rule::ProficiencyCase,
            None,
            Some(&c.case_number),
        ))?;
        return Err(waarborg_govern::GovernError::Refused(
            waarborg_govern::rule::Rule::ProficiencyCase,
        )
        .into());
    }
    let entry = entries::case_entry(actor, "request_case_authorisation", c, &c.offence);
    app.commit(&[entry], |log| app.store.create_case_logged(c, log))
}

/// The competent authority's decision, as the form sends it.
#[derive(Debug, Deserialize)]
pub struct CaseDecision {
    /// `grant` or `refuse`.
    pub decision: String,
    /// Why (required).
    pub reason: String,
}

/// Records the competent authority's decision on case `number` from the form (reasons
/// required).
pub fn decide(app: &App, actor: &Actor, number: &str, d: &CaseDecision) -> Result<()> {
    let granted = match d.decision.as_str() {
        "grant" => true,
        "refuse" => false,
        other => {
            return Err(AppError::invalid(format!(
                "{other:?} is neither grant nor refuse"
            )))
        }
    };
    if d.reason.trim().is_empty() {
        return Err(AppError::invalid("a decision on a case needs its reasons"));
    }
    record_decision(app, actor, number, granted, d.reason.trim())
}

/// Records `actor`'s decision on case `number` — the one path for the web and the CLI: the
/// domain decides (competent authority only, once, never on their own request), the ledger
/// records it, the store keeps it if no one decided meanwhile; a refusal (or a late
/// authorisation of an urgent use) erases the results of the searches it does not cover.
pub fn record_decision(
    app: &App,
    actor: &Actor,
    number: &str,
    granted: bool,
    reason: &str,
) -> Result<()> {
    let now = app.now();
    let (mut c, version) = app
        .store
        .case(number)?
        .ok_or_else(|| AppError::not_found(format!("no case {number}")))?;
    let decided = c.decide(actor, granted, reason, now);
    log_refused(app, actor, "decide", number, &decided)?;
    decided?;
    let entry = entries::case_entry(
        actor,
        if granted {
            "grant_case_authorisation"
        } else {
            "refuse_case_authorisation"
        },
        &c,
        reason,
    );
    app.commit(&[entry], |log| app.store.save_case(&c, version, log))?;
    let urgent = urgent_use_allowed(&app.store, &c.deployment)?;
    crate::search::erase_unauthorised(app, &[(c, urgent)], now)?;
    Ok(())
}

/// A legal hold set or released, as the form sends it.
#[derive(Debug, Deserialize)]
pub struct LegalHoldStep {
    /// `set` or `release`.
    pub step: String,
    /// Why (required).
    pub reason: String,
}

/// Sets or releases a legal hold on case `number` from the form.
pub fn legal_hold_form(app: &App, actor: &Actor, number: &str, f: &LegalHoldStep) -> Result<()> {
    let hold = match f.step.as_str() {
        "set" => true,
        "release" => false,
        other => {
            return Err(AppError::invalid(format!(
                "{other:?} is neither set nor release"
            )))
        }
    };
    legal_hold(app, actor, number, hold, &f.reason)
}

/// Sets (`hold`) or releases a legal hold on case `number` — the one path for the web and
/// the CLI: the domain decides (the competent authority, with reasons, one hold at a time);
/// a refusal is logged as one and changes nothing; the step is in the ledger before it is
/// kept. While held, the case's probes and results are kept past their periods
/// ([`crate::retention`]) — not past the law: what no authorisation covers (a refused or
/// late authorisation) is erased all the same, and a data subject's erasure waits.
pub fn legal_hold(app: &App, actor: &Actor, number: &str, hold: bool, reason: &str) -> Result<()> {
    let (mut c, version) = app
        .store
        .case(number)?
        .ok_or_else(|| AppError::not_found(format!("no case {number}")))?;
    let (action, done) = if hold {
        ("set_legal_hold", c.hold(actor, reason, app.now()))
    } else {
        ("release_legal_hold", c.release(actor, reason))
    };
    log_refused(app, actor, action, number, &done)?;
    done?;
    let entry = entries::case_entry(actor, action, &c, reason.trim());
    app.commit(&[entry], |log| app.store.save_case(&c, version, log))?;
    Ok(())
}

/// Logs step `action` on case `number` as refused when the rules refused it.
fn log_refused(
    app: &App,
    actor: &Actor,
    action: &str,
    number: &str,
    done: &std::result::Result<(), waarborg_govern::GovernError>,
) -> Result<()> {
    if let Err(waarborg_govern::GovernError::Refused(rule)) = done {
        app.log_refusal(entries::rule_refusal(
            actor,
            &format!("{action} on case {number}"),
            rule,
            None,
            Some(number),
        ))?;
    }
    Ok(())
}

fn urgent_use_allowed(store: &dyn Store, deployment: &str) -> Result<bool> {
    Ok(store
        .deployment(deployment)?
        .is_some_and(|(d, _)| allows_urgent_use(&d)))
}

/// The case authorisations `actor` may see: every one for the competent authority, their
/// own requests for a requester, none for anyone else; the read logged (the cases shown,
/// with their outcomes).
pub fn visible_to(app: &App, actor: &Actor) -> Result<Vec<CaseAuthorisation>> {
    use waarborg_govern::Role;
    let cases: Vec<CaseAuthorisation> = app
        .store
        .cases()?
        .into_iter()
        .filter(|c| match actor.role {
            Role::CompetentAuthority => true,
            Role::Requester => c.requested_by == actor.user,
            _ => false,
        })
        .collect();
    let shown = cases
        .iter()
        .map(|c| format!("case:{}", c.case_number))
        .collect();
    crate::consult::log(app, actor, crate::consult::Read::of("case", shown))?;
    Ok(cases)
}

/// The cases `actor` may see ([`visible_to`], the read logged), each with its searches (for
/// their outcomes).
pub fn with_searches(
    app: &App,
    actor: &Actor,
) -> Result<Vec<(CaseAuthorisation, Vec<crate::search::SearchRecord>)>> {
    let cases = visible_to(app, actor)?;
    let searches = crate::search::stored(&app.store)?;
    Ok(cases
        .into_iter()
        .map(|c| {
            let of_case = searches
                .iter()
                .filter(|s| s.case_number == c.case_number)
                .cloned()
                .collect();
            (c, of_case)
        })
        .collect())
}

/// Case `number` with its version, read by `actor` (the read logged first).
pub fn read(app: &App, actor: &Actor, number: &str) -> Result<(CaseAuthorisation, u64)> {
    let found = app
        .store
        .case(number)?
        .ok_or_else(|| AppError::not_found(format!("no case {number}")))?;
    crate::consult::log(
        app,
        actor,
        crate::consult::Read::of("case", vec![format!("case:{number}")]).under(number),
    )?;
    Ok(found)
}

/// Whether `actor` decides on case `c` now: the competent authority, not on their own
/// request, and no decision yet (the domain still decides when it is recorded).
pub fn decision_due_from(actor: &Actor, c: &CaseAuthorisation) -> bool {
    actor.role == waarborg_govern::Role::CompetentAuthority
        && c.requested_by != actor.user
        && c.decision.is_none()
}

/// Whether deployment `d` (its latest revision) allows urgent use.
pub fn allows_urgent_use(d: &waarborg_govern::revision::Deployment) -> bool {
    d.revisions
        .last()
        .is_some_and(|r| r.content.urgent_use_allowed)
}

/// Erases the results of searches that no authorisation covers any more: those of refused
/// cases, and of urgent uses whose 48 hours passed without an authorisation. Returns how
/// many searches were erased.
///
/// `deadlines_after: None` looks at every case (the service's run at start, which also
/// finishes an erasure a crash interrupted). `Some(t)` looks only at undecided urgent uses
/// whose deadline came after `t` — the service's run every few minutes, which so does not
/// read every search again for cases settled long ago (a decision erases at once).
pub fn erase_uncovered_searches(
    app: &App,
    now: Timestamp,
    deadlines_after: Option<Timestamp>,
) -> Result<usize> {
    let deployments = app.store.deployments()?;
    let recent = |c: &CaseAuthorisation| {
        deadlines_after.is_none_or(|t| c.urgent && c.decision.is_none() && c.deadline() > t)
    };
    let cases: Vec<(CaseAuthorisation, bool)> = app
        .store
        .cases()?
        .into_iter()
        .filter(recent)
        .map(|c| {
            let urgent = deployments
                .iter()
                .find(|d| d.id == c.deployment)
                .is_some_and(allows_urgent_use);
            (c, urgent)
        })
        .collect();
    crate::search::erase_unauthorised(app, &cases, now)
}
