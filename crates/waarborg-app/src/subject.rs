//! The data subject (LED arts. 14–16, AVG arts. 15–18): the privacy officer looks a person
//! up by the reference database's person id — their reference images with provenance and
//! retention, the searches in which they appeared as a candidate, identifications of them,
//! and who consulted them — and takes the decisions their rights call for: a restriction
//! of processing (their images are left out of every search until it is lifted), the
//! decision to defer informing them, and erasure on their request through the reference
//! database's erasure (refused while a legal hold keeps material that shows them). The
//! rules are `waarborg_govern::subject`'s; every look-up and decision is in the ledger
//! first, and a refused decision is logged as a refusal.

use serde::Deserialize;
use waarborg_govern::retention::{DueForErasure, ReferenceFacts, RetentionRules};
use waarborg_govern::subject::{self, PersonState, Step};
use waarborg_govern::{Actor, GovernError, Timestamp};
use waarborg_store::{PersonDecisionKind, PersonRecord, ReferenceStore, Store};

use crate::consult::{self, Purpose, Read};
use crate::search::SearchRecord;
use crate::{entries, App, AppError, Result};

/// A search in which one of the person's images was a candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Appearance {
    /// The search.
    pub search: String,
    /// Its case.
    pub case: String,
    /// The reference image.
    pub reference: u64,
    /// Its rank on the candidate list.
    pub rank: usize,
    /// Whether the search's verified outcome identified this image.
    pub identified: bool,
}

/// How long one image is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    /// The reference image.
    pub reference: u64,
    /// The rule that keeps it, and until when (none: no rule — due at once).
    pub until: Option<(String, Timestamp)>,
    /// Due for erasure now, by which rule.
    pub due: Option<DueForErasure>,
}

/// What the privacy officer sees of a person.
#[derive(Debug, Clone)]
pub struct PersonView {
    /// The person's record: images, events, decisions.
    pub person: PersonRecord,
    /// How long each image is kept.
    pub kept: Vec<Kept>,
    /// Searches in which the person's images were candidates.
    pub appearances: Vec<Appearance>,
    /// Who consulted the person or their images, and why (from the ledger).
    pub consultations: waarborg_report::consultations::Consultations,
}

fn person_id(person: &str) -> Result<&str> {
    let person = person.trim();
    waarborg_govern::ids::check(waarborg_govern::ids::Kind::CaseNumber, person).map_err(|_| {
        AppError::invalid(format!(
            "{person:?} is no person id of the reference database"
        ))
    })?;
    Ok(person)
}

/// Looks person `person` up for `actor` (the privacy officer answering a data subject):
/// the read is logged first, as one for the data subject's rights.
pub fn lookup(app: &App, actor: &Actor, person: &str) -> Result<PersonView> {
    let person = person_id(person)?;
    let record = app.store.person(person)?.ok_or_else(|| {
        AppError::not_found(format!("no person {person} in the reference database"))
    })?;
    let ids: Vec<u64> = record.images.iter().map(|r| r.id).collect();
    let mut named = vec![format!("person:{person}")];
    named.extend(consult::reference_images(ids.iter().copied()));
    consult::log(
        app,
        actor,
        Read {
            purpose: Some(Purpose::DataSubjectRights),
            ..Read::of("person", named)
        },
    )?;
    let rules = RetentionRules::default();
    let now = app.now();
    let kept = record
        .images
        .iter()
        .map(|r| {
            let facts = ReferenceFacts {
                source_kind: r.provenance.source_kind.as_str().into(),
                max_sentence_years: r.provenance.max_sentence_years,
                sexual_offence: r.provenance.sexual_offence,
                captured_at: r.provenance.captured_at,
                events: record.events.clone(),
                other_open_case: record.other_open_case,
            };
            Kept {
                reference: r.id,
                until: rules.kept_until(&facts),
                due: rules.due(&facts, now),
            }
        })
        .collect();
    let appearances = appearances(&crate::search::stored(&app.store)?, &ids);
    let mut subjects = vec![format!("person:{person}")];
    subjects.extend(ids.iter().map(|id| format!("reference-image:{id}")));
    let consultations = consult::answer(
        app,
        &waarborg_report::consultations::Query {
            subjects,
            ..Default::default()
        },
    )?;
    Ok(PersonView {
        person: record,
        kept,
        appearances,
        consultations,
    })
}

/// Where images `ids` were candidates in `searches`.
fn appearances(searches: &[SearchRecord], ids: &[u64]) -> Vec<Appearance> {
    use waarborg_govern::identification::Outcome;
    searches
        .iter()
        .flat_map(|s| {
            s.candidates
                .iter()
                .filter(|c| ids.contains(&c.reference))
                .map(move |c| Appearance {
                    search: s.id.clone(),
                    case: s.case_number.clone(),
                    reference: c.reference,
                    rank: c.rank,
                    identified: s.identification.as_ref().is_some_and(|i| {
                        i.outcome
                            == Some(Outcome::Identification {
                                reference: c.reference,
                            })
                    }),
                })
        })
        .collect()
}

/// A decision on a person's records, as the form sends it.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    /// `restrict`, `lift`, `defer_informing` or `erase`.
    pub step: String,
    /// Why (required).
    pub reason: String,
}

/// Takes the decision of `form` on person `person` (an unknown step is refused, not
/// defaulted).
pub fn decide_form(app: &App, actor: &Actor, person: &str, form: &DecisionForm) -> Result<()> {
    let step = Step::parse(&form.step).ok_or_else(|| {
        AppError::invalid(format!(
            "{:?} is no decision on a person's records: restrict, lift, defer_informing or erase",
            form.step
        ))
    })?;
    decide(app, actor, person, step, &form.reason)
}

/// Takes decision `step` on person `person`'s records for `actor`, with `reason`: the rules
/// decide (the privacy officer, with reasons; no erasure under a legal hold), a refusal —
/// an unknown person included — is logged as one and changes nothing, the decision is in
/// the ledger before it is kept. An erasure goes through the reference database's own
/// (each image, template and record erased, a deletion receipt each).
pub fn decide(app: &App, actor: &Actor, person: &str, step: Step, reason: &str) -> Result<()> {
    let person = person_id(person)?;
    let Some(record) = app.store.person(person)? else {
        let detail = format!("no person {person} in the reference database");
        app.log_refusal(entries::refusal(
            actor,
            &format!("{} on person {person}", step.as_str()),
            &format!("unknown_person: {detail}"),
            None,
            None,
        ))?;
        return Err(AppError::not_found(detail));
    };
    let ids: Vec<u64> = record.images.iter().map(|r| r.id).collect();
    let state = PersonState {
        restriction: record.restriction.clone(),
        held_by: held_case(app, &ids)?,
    };
    let decision = match subject::decide(actor, person, &state, step, reason, app.now()) {
        Ok(d) => d,
        Err(GovernError::Refused(rule)) => {
            app.log_refusal(entries::rule_refusal(
                actor,
                &format!("{} on person {person}", step.as_str()),
                &rule,
                None,
                None,
            ))?;
            return Err(GovernError::Refused(rule).into());
        }
        Err(e) => return Err(e.into()),
    };
    let entry = waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: step.as_str().into(),
        subject: format!("person {person}"),
        reason: crate::short(&decision.reason),
        framework_version: None,
        about: None,
    });
    let keep = |kind, d: Option<&waarborg_govern::subject::PersonDecision>| {
        app.commit(std::slice::from_ref(&entry), |log| {
            app.store.set_person_decision(person, kind, d, log)
        })
    };
    match step {
        Step::Restrict => keep(PersonDecisionKind::Restriction, Some(&decision)),
        Step::Lift => keep(PersonDecisionKind::Restriction, None),
        Step::DeferInforming => keep(PersonDecisionKind::InformingDeferred, Some(&decision)),
        Step::Erase => erase(app, &entry, &ids, &decision),
    }
}

/// Erases images `ids` on request: the decision in the ledger, the images marked, then the
/// reference database's erasure (a receipt each, rule `erasure_request`) and compaction.
fn erase(
    app: &App,
    entry: &waarborg_ledger::Event,
    ids: &[u64],
    decision: &waarborg_govern::subject::PersonDecision,
) -> Result<()> {
    let (Some(index), Some(vault)) = (app.index.as_deref(), app.references.as_ref()) else {
        return Err(AppError::Unavailable {
            code: "reference_database_unavailable",
            detail: "this service holds no reference database to erase from; run it with its data directory's index and images".into(),
        });
    };
    app.commit_erasure(std::slice::from_ref(entry), |log| app.store.record(log))?;
    let due = DueForErasure {
        rule: "erasure_request".into(),
        reason: crate::short(&decision.reason),
        since: decision.at,
    };
    let marks: Vec<(u64, DueForErasure)> = ids.iter().map(|&id| (id, due.clone())).collect();
    app.store.begin_erasure(&marks)?;
    let db = waarborg_refdb::ReferenceDb {
        store: &app.store,
        index,
        vault,
        ledger: &app.ledger,
    };
    waarborg_refdb::retention::complete_erasures(&db)?;
    waarborg_refdb::retention::compact(&db)?;
    Ok(())
}

/// A case under a legal hold one of whose searches shows one of images `ids`, if any.
fn held_case(app: &App, ids: &[u64]) -> Result<Option<String>> {
    let held: Vec<String> = app
        .store
        .cases()?
        .into_iter()
        .filter(|c| c.legal_hold.is_some())
        .map(|c| c.case_number)
        .collect();
    if held.is_empty() {
        return Ok(None);
    }
    Ok(appearances(&crate::search::stored(&app.store)?, ids)
        .into_iter()
        .find(|a| held.contains(&a.case))
        .map(|a| a.case))
}

/// How a judgement on the search stood towards the person's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Towards {
    /// It named one of the person's images.
    ThisPerson,
    /// It named another candidate (who, is not said).
    AnotherCandidate,
    /// It named no candidate (inconclusive, none of them).
    NoCandidate,
}

/// One judgement in an explanation: who, at which level, towards whom — the words of its
/// reasons are not disclosed (they may describe other people).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExplainedJudgement {
    /// The examiner's proposal, a verifier's own conclusion, or a verdict.
    pub step: &'static str,
    /// Who.
    pub by: String,
    /// The level on the scale, or the verdict.
    pub level: String,
    /// Towards whom.
    pub towards: Towards,
}

/// The explanation of the system's part in one search, for the person it concerned (AI Act
/// Art. 86): the technology, where their images stood on the candidate list, and the human
/// judgements — never another candidate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Explanation {
    /// The person.
    pub person: String,
    /// The search.
    pub search: String,
    /// Its case.
    pub case: String,
    /// When the probe was submitted.
    pub searched_at: Timestamp,
    /// The deployment revision it ran under.
    pub revision: String,
    /// The models (SHA-256).
    pub model_sha256: Vec<String>,
    /// The score threshold.
    pub score_threshold: f32,
    /// The candidate list's longest length.
    pub candidate_list_length: u32,
    /// How many candidates the list held (never who).
    pub candidates: usize,
    /// The person's images on the list: (reference image, rank, score).
    pub on_the_list: Vec<(u64, usize, f32)>,
    /// The human judgements, in order.
    pub judgements: Vec<ExplainedJudgement>,
    /// Where it ended, towards this person.
    pub outcome: Option<Towards>,
    /// What the investigation found, if this person was identified and it was recorded.
    pub finding: Option<waarborg_govern::identification::Finding>,
    /// The conclusion scale the judgements' levels are on (for their words).
    #[serde(skip)]
    pub scale: waarborg_govern::scale::ConclusionScale,
}

/// The explanation of search `search`'s part in decisions about person `person`, made by
/// the privacy officer for the person (AI Act Art. 86; LED art. 14): refused unless the
/// person's images were candidates in it; logged as a disclosure to the data subject before
/// it is made.
pub fn explain(app: &App, actor: &Actor, person: &str, search: &str) -> Result<Explanation> {
    use waarborg_govern::identification::{Conclusion, Outcome};
    let person = person_id(person)?;
    let record = app.store.person(person)?.ok_or_else(|| {
        AppError::not_found(format!("no person {person} in the reference database"))
    })?;
    let ids: Vec<u64> = record.images.iter().map(|r| r.id).collect();
    let (s, _) = crate::search::load(app, search)?;
    let on_the_list: Vec<(u64, usize, f32)> = s
        .candidates
        .iter()
        .filter(|c| ids.contains(&c.reference))
        .map(|c| (c.reference, c.rank, c.score))
        .collect();
    if on_the_list.is_empty() {
        return Err(AppError::not_found(format!(
            "person {person} was not a candidate in search {search}"
        )));
    }
    let mut named = vec![format!("person:{person}"), format!("search:{}", s.id)];
    named.extend(consult::reference_images(on_the_list.iter().map(|c| c.0)));
    consult::log(
        app,
        actor,
        Read {
            purpose: Some(Purpose::DataSubjectRights),
            recipient: Some("the data subject (AI Act Art. 86)"),
            ..Read::of("explanation", named).under(&s.case_number)
        },
    )?;
    let towards = |reference: Option<u64>| match reference {
        Some(r) if ids.contains(&r) => Towards::ThisPerson,
        Some(_) => Towards::AnotherCandidate,
        None => Towards::NoCandidate,
    };
    let named_in = |c: &Conclusion| match c {
        Conclusion::Candidate { reference } => Some(*reference),
        _ => None,
    };
    let mut judgements = Vec::new();
    let mut outcome = None;
    let mut finding = None;
    if let Some(i) = &s.identification {
        if let Some(p) = &i.proposal {
            judgements.push(ExplainedJudgement {
                step: "proposal",
                by: i.examiner.clone(),
                level: p.level.clone(),
                towards: towards(named_in(&p.conclusion)),
            });
        }
        for o in &i.own_conclusions {
            judgements.push(ExplainedJudgement {
                step: "own_conclusion",
                by: o.verifier.clone(),
                level: o.level.clone(),
                towards: towards(named_in(&o.conclusion)),
            });
        }
        let proposed = i.proposal.as_ref().and_then(|p| named_in(&p.conclusion));
        for v in &i.verifications {
            judgements.push(ExplainedJudgement {
                step: "verdict",
                by: v.verifier.clone(),
                level: v.verdict.as_str().to_string(),
                towards: towards(proposed),
            });
        }
        outcome = i.outcome.as_ref().map(|o| match o {
            Outcome::Identification { reference } => towards(Some(*reference)),
            _ => Towards::NoCandidate,
        });
        if outcome == Some(Towards::ThisPerson) {
            finding = i.finding().map(|f| f.finding);
        }
    }
    let (d, n) = crate::search::revision_of(app, &s)?;
    let technology = d.revision(n)?.content.technology.clone();
    Ok(Explanation {
        person: person.to_string(),
        search: s.id.clone(),
        case: s.case_number.clone(),
        searched_at: s.created,
        revision: s.revision.clone(),
        model_sha256: technology.model_sha256,
        score_threshold: technology.score_threshold,
        candidate_list_length: technology.candidate_list_length,
        candidates: s.candidates.len(),
        on_the_list,
        judgements,
        outcome,
        finding,
        scale: crate::search::scale_of(app, &s)?,
    })
}
