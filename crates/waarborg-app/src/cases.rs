//! Case authorisations: the requester (investigating officer) asks for a search for a case
//! under a deployment; the competent authority grants or refuses it with reasons (never
//! their own request). Each step is a ledger entry, written before the change is kept; a
//! refusal, or an urgent use whose authorisation came late, erases the results of the
//! searches it does not cover.

use serde::Deserialize;
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation, FolderView};
use waarborg_govern::{Actor, Role, Timestamp};
use waarborg_store::{DocumentStore, ReferenceStore, Store};

use crate::{entries, App, AppError, Result};

/// A requester's request, as the form sends it.
#[derive(Debug, Clone, Deserialize)]
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
    /// Why face recognition is needed in this case (the authority weighs it).
    #[serde(default)]
    pub justification: String,
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
    let mut c = CaseAuthorisation::request(
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
    let justified = c.justify(&r.justification);
    app.logged_refusal(
        actor,
        &format!("request authorisation for case {}", c.case_number),
        justified,
    )?;
    record_request(app, actor, &c)
}

/// Refuses (and logs) a request for an offence the deployment's use in force does not
/// cover: asked now, not found out at the examiner's first search.
fn within_scope(app: &App, actor: &Actor, c: &CaseAuthorisation) -> Result<()> {
    let Some((d, _)) = app.store.deployment(&c.deployment)? else {
        return Ok(());
    };
    let Some(rev) = d.active_revision(app.now()) else {
        return Ok(());
    };
    if rev
        .content
        .scope
        .covers_offence(&c.offence_category, c.max_sentence_years)
    {
        return Ok(());
    }
    let rule = waarborg_govern::rule::Rule::OffenceOutsideScope {
        category: c.offence_category.clone(),
        years: u64::from(c.max_sentence_years),
    };
    app.log_refusal(entries::rule_refusal(
        actor,
        &format!("request authorisation for case {}", c.case_number),
        &rule,
        Some(format!("{}/{}", d.id, rev.number)),
        Some(&c.case_number),
    ))?;
    Err(waarborg_govern::GovernError::Refused(rule).into())
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
    within_scope(app, actor, c)?;
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
    /// Present (`on`) when the authority ticked that they read the request and know what
    /// the decision does.
    #[serde(default)]
    pub confirm: Option<String>,
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
    if d.confirm.is_none() {
        return Err(AppError::invalid(
            "confirm the decision: tick that you read the request and its justification and know what the decision does",
        ));
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

/// The cases `actor` may see — those whose folder they may open
/// ([`CaseAuthorisation::folder_view`]: every one for the competent authority, examiners,
/// coordinators, auditors and privacy officers; their own requests for a requester; none
/// for anyone else) — each with its searches as its folder shows them (for where each
/// stands and its outcome); the read logged first: the cases, and the reference records
/// the outcomes name.
pub fn overview(app: &App, actor: &Actor) -> Result<Vec<(CaseAuthorisation, Vec<FolderSearch>)>> {
    let cases: Vec<(CaseAuthorisation, FolderView)> = app
        .store
        .cases()?
        .into_iter()
        .filter_map(|c| c.folder_view(actor).map(|v| (c, v)))
        .collect();
    let searches = crate::search::stored(&app.store)?;
    let mut out = Vec::with_capacity(cases.len());
    let mut shown = Vec::new();
    for (c, view) in cases {
        let mut of_case: Vec<FolderSearch> = searches
            .iter()
            .filter(|s| s.case_number == c.case_number && s.proficiency.is_none())
            .map(|s| folder_search(app, actor, &c, view, s.clone()))
            .collect::<Result<_>>()?;
        of_case.sort_by_key(|s| s.created);
        shown.push(format!("case:{}", c.case_number));
        shown.extend(named_references(&of_case));
        out.push((c, of_case));
    }
    crate::consult::log(app, actor, crate::consult::Read::of("case", shown))?;
    Ok(out)
}

/// The reference records that the statements of `searches` name.
fn named_references(searches: &[FolderSearch]) -> Vec<String> {
    crate::consult::reference_images(searches.iter().filter_map(|s| match &s.statement {
        Statement::Concluded {
            outcome: Conclusion::Identification { reference, .. },
            ..
        } => Some(*reference),
        _ => None,
    }))
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

/// Whether `actor` decides on case `c` now: the competent authority of the kind the request
/// asks, not on their own request, and no decision yet (the domain still decides when it is
/// recorded).
pub fn decision_due_from(actor: &Actor, c: &CaseAuthorisation) -> bool {
    // The domain's own rule, tried on a copy (the role, the kind of authority asked for,
    // not their own request, not decided yet).
    c.clone()
        .decide(
            actor,
            true,
            "tried for the page",
            waarborg_govern::Timestamp(0),
        )
        .is_ok()
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

/// The document kind of a case's notes (owner: the case number).
const NOTE_KIND: &str = "case_note";

/// The longest note kept, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// A note in a case's folder: the examiner's or coordinator's working record (what was
/// tried, what the material shows, what was agreed), kept with the case. The ledger holds
/// its hash, not its words: the words fall under the case's periods, the ledger never
/// forgets.
#[derive(Debug, Clone, serde::Serialize, Deserialize, utoipa::ToSchema)]
pub struct CaseNote {
    /// Id.
    pub id: String,
    /// The case.
    pub case_number: String,
    /// Who wrote it.
    pub by: String,
    /// When (RFC 3339, UTC).
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The note.
    pub text: String,
}

/// Where a search of a case ended, said as a statement for the case file: never a
/// candidate list, a score or a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// Still being worked on ([`FolderSearch::stage`] says where).
    InProgress,
    /// The probe's quality allowed no search.
    InsufficientQuality,
    /// Withdrawn by its examiner or a coordinator: not pursued.
    Withdrawn {
        /// When.
        at: Timestamp,
    },
    /// Erased as a whole: no authorisation covers it.
    Erased,
    /// Concluded after independent verification.
    Concluded {
        /// What was concluded.
        outcome: Conclusion,
        /// The verifiers whose judgements stand, in order.
        verified_by: Vec<String>,
        /// When the last judgement was recorded.
        at: Timestamp,
    },
}

/// A concluded search's outcome as the case file says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conclusion {
    /// Identified: an investigative lead, never proof. `person` is the reference
    /// database's pseudonymous person record (`None` once the record is no longer kept).
    Identification {
        /// The reference image.
        reference: u64,
        /// Its reference database.
        database: Option<String>,
        /// The person record it belongs to.
        person: Option<String>,
    },
    /// None of the candidates is the person.
    NoIdentification,
    /// The verifiers did not confirm the proposal.
    NotConfirmed,
    /// No conclusion could be drawn.
    Inconclusive,
}

/// One search in a case folder, as its reader may see it.
#[derive(Debug, Clone)]
pub struct FolderSearch {
    /// The search's id.
    pub id: String,
    /// Its examiner.
    pub examiner: String,
    /// When its probe was submitted.
    pub created: Timestamp,
    /// Where it stands.
    pub stage: crate::search::SearchStage,
    /// Where it ended.
    pub statement: Statement,
    /// The search whose probe this one was prepared from, if it was.
    pub prepared_from: Option<String>,
    /// The recorded video this probe is a frame of, if it is.
    pub frame: Option<crate::video::FrameSource>,
    /// The search itself, where the reader works on it or oversees it (they may open it);
    /// `None` where they see only the statement.
    pub record: Option<crate::search::SearchRecord>,
    /// What the investigation found of its identification, as last recorded.
    pub finding: Option<waarborg_govern::identification::LeadFeedback>,
    /// Whether this reader (the case's requester) may record what the investigation found.
    pub takes_feedback: bool,
}

/// A case folder: the authorisation, every search of the case as the reader may see it,
/// and the notes.
#[derive(Debug, Clone)]
pub struct CaseFolder {
    /// The case authorisation.
    pub case: CaseAuthorisation,
    /// How much the reader sees.
    pub view: FolderView,
    /// The case's searches, oldest first (planted proficiency tests are never in a case).
    pub searches: Vec<FolderSearch>,
    /// The notes, oldest first (none in the outcome view).
    pub notes: Vec<CaseNote>,
    /// Whether the reader may add a note and a probe (an examiner; a coordinator adds notes).
    pub may_work: bool,
}

/// Case `number`'s folder for `actor` ([`CaseAuthorisation::folder_view`]); a reader with
/// no view is refused and the refusal logged; the read is logged first — the case, the
/// searches shown in full, and the reference records named in the statements.
pub fn folder(app: &App, actor: &Actor, number: &str) -> Result<CaseFolder> {
    let (case, _) = app
        .store
        .case(number)?
        .ok_or_else(|| AppError::not_found(format!("no case {number}")))?;
    let Some(view) = case.folder_view(actor) else {
        app.log_refusal(entries::refusal(
            actor,
            &format!("open the folder of case {number}"),
            "not_case_reader: a case folder is open to its requester, the competent authority, examiners, coordinators, auditors and privacy officers",
            None,
            Some(number),
        ))?;
        return Err(AppError::forbidden(format!(
            "the folder of case {number} is not open to you in the role {}: a case's requester, the competent authority, examiners, coordinators, auditors and privacy officers open it",
            actor.role.as_str()
        )));
    };
    let mut searches: Vec<FolderSearch> = crate::search::stored(&app.store)?
        .into_iter()
        .filter(|s| s.case_number == number && s.proficiency.is_none())
        .map(|s| folder_search(app, actor, &case, view, s))
        .collect::<Result<_>>()?;
    searches.sort_by_key(|s| s.created);
    let notes = match view {
        FolderView::Outcome => Vec::new(),
        FolderView::Full | FolderView::Examiner => notes(app, number)?,
    };
    let mut records = vec![format!("case:{number}")];
    records.extend(
        searches
            .iter()
            .filter(|s| s.record.is_some())
            .map(|s| format!("search:{}", s.id)),
    );
    records.extend(named_references(&searches));
    records.extend(notes.iter().map(|n| format!("case_note:{}", n.id)));
    crate::consult::log(
        app,
        actor,
        crate::consult::Read::of("case_folder", records).under(number),
    )?;
    let may_work = matches!(actor.role, Role::Examiner | Role::Coordinator);
    Ok(CaseFolder {
        case,
        view,
        searches,
        notes,
        may_work,
    })
}

fn folder_search(
    app: &App,
    actor: &Actor,
    case: &CaseAuthorisation,
    view: FolderView,
    s: crate::search::SearchRecord,
) -> Result<FolderSearch> {
    use crate::search::SearchStage;
    let statement = match s.stage {
        SearchStage::InsufficientQuality => Statement::InsufficientQuality,
        SearchStage::Erased => Statement::Erased,
        SearchStage::Withdrawn => Statement::Withdrawn {
            at: s.withdrawal.as_ref().map_or(s.created, |w| w.at),
        },
        SearchStage::Detected | SearchStage::Searched => match &s.identification {
            Some(i) if i.outcome.is_some() => concluded(app, i)?,
            _ => Statement::InProgress,
        },
    };
    let opens = match view {
        FolderView::Full => true,
        FolderView::Examiner => s.examiner == actor.user,
        FolderView::Outcome => false,
    };
    Ok(FolderSearch {
        id: s.id.clone(),
        examiner: s.examiner.clone(),
        created: s.created,
        stage: s.stage,
        statement,
        prepared_from: s.derivation.as_ref().map(|d| d.parent_search.clone()),
        frame: s.frame.clone(),
        finding: s.identification.as_ref().and_then(|i| i.finding().cloned()),
        takes_feedback: s.stage != SearchStage::Withdrawn
            && s.identification
                .as_ref()
                .is_some_and(|i| i.may_take_feedback(actor, &case.requested_by).is_ok()),
        record: opens.then_some(s),
    })
}

/// The statement of a concluded identification `i`.
fn concluded(app: &App, i: &waarborg_govern::identification::Identification) -> Result<Statement> {
    use waarborg_govern::identification::{Outcome, Resolution};
    let outcome = match &i.outcome {
        Some(Outcome::Identification { reference }) => {
            let record = app.store.reference(*reference)?;
            Conclusion::Identification {
                reference: *reference,
                database: record.as_ref().map(|r| r.database.clone()),
                person: record.map(|r| r.provenance.person),
            }
        }
        Some(Outcome::NoIdentification) => Conclusion::NoIdentification,
        Some(Outcome::NotConfirmed) => Conclusion::NotConfirmed,
        Some(Outcome::Inconclusive) | None => Conclusion::Inconclusive,
    };
    let mut at = i.verifications.iter().map(|v| v.at).max();
    if let Some(Resolution::Consultation { at: c, .. }) = &i.resolution {
        at = at.max(Some(*c));
    }
    // A confirmed proposal names the verifiers who confirmed it (not one who disagreed
    // before a resolution); an unconfirmed one, everyone who judged.
    let confirmed = matches!(
        outcome,
        Conclusion::Identification { .. } | Conclusion::NoIdentification
    );
    Ok(Statement::Concluded {
        outcome,
        verified_by: i
            .verifications
            .iter()
            .filter(|v| !confirmed || v.verdict == waarborg_govern::identification::Verdict::Agree)
            .map(|v| v.verifier.clone())
            .collect(),
        at: at.unwrap_or(Timestamp(0)),
    })
}

/// Case `number`'s notes, oldest first (not logged: for [`folder`], which logs its read).
fn notes(app: &App, number: &str) -> Result<Vec<CaseNote>> {
    let mut notes: Vec<CaseNote> = app
        .store
        .documents(NOTE_KIND, Some(number))?
        .into_iter()
        .filter_map(|doc| serde_json::from_value(doc).ok())
        .collect();
    notes.sort_by_key(|n| n.at);
    Ok(notes)
}

/// Adds `actor`'s note to case `number`'s folder: an examiner or a coordinator who may open
/// the folder; 1 to [`MAX_NOTE_CHARS`] characters. The ledger entry (the note's hash) is
/// written before the note is kept.
pub fn add_note(app: &App, actor: &Actor, number: &str, text: &str) -> Result<CaseNote> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::invalid("a note needs some text"));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(AppError::invalid(format!(
            "a note holds at most {MAX_NOTE_CHARS} characters; split it into several"
        )));
    }
    let (case, _) = app
        .store
        .case(number)?
        .ok_or_else(|| AppError::not_found(format!("no case {number}")))?;
    let writes = matches!(actor.role, Role::Examiner | Role::Coordinator)
        && case.folder_view(actor).is_some();
    if !writes {
        app.log_refusal(entries::refusal(
            actor,
            &format!("add a note to case {number}"),
            "not_case_worker: notes in a case folder are written by examiners and coordinators",
            None,
            Some(number),
        ))?;
        return Err(AppError::forbidden(format!(
            "notes in the folder of case {number} are written by examiners and coordinators, not in the role {}",
            actor.role.as_str()
        )));
    }
    let note = CaseNote {
        id: crate::search::random_id()?,
        case_number: number.to_string(),
        by: actor.user.clone(),
        at: app.now(),
        text: text.to_string(),
    };
    let body = serde_json::to_value(&note).map_err(|e| AppError::internal(e.to_string()))?;
    let entry = entries::case_entry(
        actor,
        "add_case_note",
        &case,
        &format!(
            "note {} (sha256 {})",
            note.id,
            crate::search::sha256_hex(text.as_bytes())
        ),
    );
    app.commit(&[entry], |log| {
        app.store
            .create_document(NOTE_KIND, &note.id, number, &body, log)
    })?;
    Ok(note)
}
