//! Proficiency testing: a coordinator plants a known-answer case — a probe and a test
//! gallery that is not the operational reference database, with the truth — into an
//! examiner's work, where it looks like any search of theirs; verifiers are assigned to it
//! as to any other. Their conclusions are scored against the truth
//! ([`waarborg_govern::proficiency`]); the reports count the scores per person from the
//! ledger and keep the planted cases out of every operational figure. A planted case never
//! has a case authorisation, so it never reaches a requester.

use serde::Serialize;
use waarborg_govern::identification::Identification;
use waarborg_govern::proficiency::{self, Score};
use waarborg_govern::Actor;
use waarborg_store::{AccountStore, DocumentStore, Store};

use crate::search::{Candidate, FaceSummary, SearchRecord, SearchStage};
use crate::{App, AppError, Result};

/// The most gallery images a planted case has (a candidate list's length).
pub const MAX_GALLERY: usize = 50;

/// The ledger's action for a planted case (the reports read it).
pub const PLANT_ACTION: &str = "plant_proficiency_test";

/// What a coordinator plants.
pub struct Plant {
    /// The deployment whose active revision the case runs under (its scale, its verifiers).
    pub deployment: String,
    /// The case number it shows (never one of a real case).
    pub case_number: String,
    /// The examiner whose work it joins.
    pub examiner: String,
    /// The probe image.
    pub probe: Vec<u8>,
    /// The test gallery's images, each one candidate.
    pub gallery: Vec<Vec<u8>>,
    /// Which gallery image shows the probe's person (its position), or none.
    pub mated: Option<usize>,
}

/// What a planted case's record keeps beside the search (shown to coordinators and
/// auditors only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProficiencyCase {
    /// The coordinator who planted it.
    pub planted_by: String,
    /// The candidate (reference) that shows the probe's person, or none.
    pub mated: Option<u64>,
    /// The gallery: each candidate's reference and its image's SHA-256 (in the probe vault).
    pub gallery: Vec<(u64, String)>,
}

/// The best face of an image, with its template: the most confident of those of sufficient
/// quality, else of all; and the upright image's width and height.
fn best_face(
    app: &App,
    bytes: &[u8],
    what: &str,
) -> Result<(waarborg_face::AnalyzedFace, [u32; 2])> {
    let engine = app
        .engine
        .as_ref()
        .ok_or_else(crate::gate::engine_missing)?;
    let image = waarborg_face::decode::decode(bytes, &waarborg_face::DecodeLimits::default())
        .map_err(|e| AppError::invalid(format!("{what} cannot be used: {e}")))?;
    let size = [image.width(), image.height()];
    let faces = engine
        .analyze(&image, true)
        .map_err(|e| AppError::internal(e.to_string()))?;
    faces
        .into_iter()
        .filter(|f| f.embedding.is_some())
        .max_by(|a, b| {
            (a.quality.sufficient, a.det_score)
                .partial_cmp(&(b.quality.sufficient, b.det_score))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|f| (f, size))
        .ok_or_else(|| AppError::invalid(format!("{what} shows no face")))
}

/// Whether case number `n` is a planted case's.
pub fn planted_case(app: &App, n: &str) -> Result<bool> {
    Ok(crate::search::stored(&app.store)?
        .iter()
        .any(|s| s.proficiency.is_some() && s.case_number == n))
}

/// Plants `p` by `actor` (a coordinator, for someone else): the faces found and compared
/// by the engine, the images kept in the probe vault, the case in the ledger with its truth
/// before the search is kept. A refusal by the rules is logged.
pub fn plant(app: &App, actor: &Actor, p: Plant) -> Result<SearchRecord> {
    use waarborg_govern::ids::{check, Kind};
    check(Kind::Deployment, &p.deployment)?;
    check(Kind::CaseNumber, &p.case_number)?;
    check(Kind::User, &p.examiner)?;
    if let Err(waarborg_govern::GovernError::Refused(rule)) =
        proficiency::may_plant(actor, &p.examiner)
    {
        app.log_refusal(crate::entries::rule_refusal(
            actor,
            "plant a proficiency test",
            &rule,
            None,
            Some(&p.case_number),
        ))?;
        return Err(waarborg_govern::GovernError::Refused(rule).into());
    }
    if !(2..=MAX_GALLERY).contains(&p.gallery.len()) {
        return Err(AppError::invalid(format!(
            "a test gallery has 2 to {MAX_GALLERY} images, not {}",
            p.gallery.len()
        )));
    }
    if p.mated.is_some_and(|m| m >= p.gallery.len()) {
        return Err(AppError::invalid(
            "the mated image must be one of the gallery's",
        ));
    }
    if app.store.case(&p.case_number)?.is_some() || planted_case(app, &p.case_number)? {
        return Err(AppError::conflict(format!(
            "case number {} is in use; a proficiency test takes a number of its own",
            p.case_number
        )));
    }
    let examiner = app
        .store
        .account(&p.examiner)?
        .filter(|(a, _)| a.roles.contains(&waarborg_govern::Role::Examiner))
        .ok_or_else(|| AppError::invalid(format!("{} is no examiner", p.examiner)))?;
    let now = app.now();
    let (d, _) = app
        .store
        .deployment(&p.deployment)?
        .ok_or_else(|| AppError::not_found(format!("no deployment {}", p.deployment)))?;
    let revision = d.active_revision(now).ok_or_else(|| {
        AppError::refused(format!(
            "deployment {} has no revision in use",
            p.deployment
        ))
    })?;
    app.reserve.check()?;
    let (probe_face, probe_size) = best_face(app, &p.probe, "the probe")?;
    let probe_template = probe_face.embedding.clone().unwrap_or_default();
    let mut scored = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for (i, image) in p.gallery.iter().enumerate() {
        let (face, _) = best_face(app, image, &format!("gallery image {}", i + 1))?;
        let score = waarborg_face::embed::similarity(
            &probe_template,
            face.embedding.as_deref().unwrap_or_default(),
        );
        // References that look like the database's, drawn once each.
        let reference = loop {
            let mut b = [0u8; 4];
            getrandom::fill(&mut b).map_err(|e| AppError::internal(e.to_string()))?;
            let r = 1_000_000 + u64::from(u32::from_le_bytes(b)) % 9_000_000;
            if taken.insert(r) {
                break r;
            }
        };
        let name = crate::search::sha256_hex(image);
        app.probes
            .put(&name, image)
            .map_err(|e| AppError::internal(format!("storing a gallery image: {e}")))?;
        scored.push((reference, name, score, i));
    }
    let sha = crate::search::sha256_hex(&p.probe);
    app.probes
        .put(&sha, &p.probe)
        .map_err(|e| AppError::internal(format!("storing the probe: {e}")))?;
    let mated = p
        .mated
        .and_then(|m| scored.iter().find(|s| s.3 == m).map(|s| s.0));
    scored.sort_by(|a, b| b.2.total_cmp(&a.2));
    let id = crate::search::random_id()?;
    let number = revision.number;
    let record = SearchRecord {
        id: id.clone(),
        examiner: p.examiner.clone(),
        case_number: p.case_number.clone(),
        deployment: p.deployment.clone(),
        revision: format!("{}/{number}", p.deployment),
        probe_sha256: sha.clone(),
        probe_source: revision
            .content
            .scope
            .probe_sources
            .first()
            .cloned()
            .unwrap_or_default(),
        faces: vec![FaceSummary {
            bbox: probe_face.bbox,
            kps: Some(probe_face.kps),
            quality: probe_face.quality.clone(),
            manual: None,
        }],
        stage: SearchStage::Searched,
        probe_size: Some(probe_size),
        derivation: None,
        frame: None,
        chosen: Some(0),
        candidates: scored
            .iter()
            .enumerate()
            .map(|(rank, (reference, _, score, _))| Candidate {
                rank: rank + 1,
                template: *reference,
                reference: *reference,
                database: revision
                    .content
                    .scope
                    .reference_databases
                    .first()
                    .cloned()
                    .unwrap_or_default(),
                score: *score,
            })
            .collect(),
        identification: Some(Identification::searched(
            &id,
            &p.case_number,
            &p.examiner,
            revision.content.oversight.verifiers_required,
        )),
        created: now,
        erasures: Vec::new(),
        withdrawal: None,
        proficiency: Some(ProficiencyCase {
            planted_by: actor.user.clone(),
            mated,
            gallery: scored.iter().map(|s| (s.0, s.1.clone())).collect(),
        }),
    };
    let entry = waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: PLANT_ACTION.into(),
        subject: format!("proficiency test in case {}", p.case_number),
        reason: format!(
            "for examiner {}; probe {sha}; {} gallery images; mated: {}",
            examiner.0.user,
            scored.len(),
            mated.map_or("none".to_string(), |m| format!("reference {m}"))
        ),
        framework_version: None,
        about: None,
    });
    let doc = serde_json::to_value(&record).map_err(|e| AppError::internal(e.to_string()))?;
    app.commit(&[entry], |log| {
        app.store
            .create_document("search", &record.id, &record.examiner, &doc, log)
    })?;
    Ok(record)
}

/// One scored conclusion on a planted case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scored {
    /// The search.
    pub search: String,
    /// Its case number.
    pub case_number: String,
    /// Who concluded (the examiner's proposal, or a verifier's own conclusion).
    pub person: String,
    /// `examiner` or `verifier`.
    pub step: String,
    /// How it scores.
    #[schema(value_type = String)]
    pub score: Score,
}

/// The planted cases and every conclusion on them, scored: for the coordinator and
/// oversight (the period's figures are the report's, from the ledger).
pub fn results(app: &App, actor: &Actor) -> Result<(Vec<SearchRecord>, Vec<Scored>)> {
    use waarborg_govern::Role;
    if !matches!(actor.role, Role::Coordinator | Role::Auditor) {
        return Err(AppError::forbidden(
            "proficiency tests are the coordinator's",
        ));
    }
    let planted: Vec<SearchRecord> = crate::search::stored(&app.store)?
        .into_iter()
        .filter(|s| s.proficiency.is_some())
        .collect();
    let mut scored = Vec::new();
    for s in &planted {
        let (Some(case), Some(i)) = (&s.proficiency, &s.identification) else {
            continue;
        };
        let answers = i
            .proposal
            .iter()
            .map(|p| (&i.examiner, "examiner", &p.conclusion))
            .chain(
                i.own_conclusions
                    .iter()
                    .map(|c| (&c.verifier, "verifier", &c.conclusion)),
            );
        for (person, step, conclusion) in answers {
            scored.push(Scored {
                search: s.id.clone(),
                case_number: s.case_number.clone(),
                person: person.clone(),
                step: step.into(),
                score: proficiency::score(case.mated, conclusion),
            });
        }
    }
    Ok((planted, scored))
}
