//! The search loop: probe → faces with quality → chosen face → candidates →
//! proposal → independent verifications. Every biometric step asks the gate first and is in
//! the ledger before its result is answered; a refusal is itself a ledger entry.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use waarborg_face::{DecodeLimits, QualityReport};
use waarborg_govern::gate::Action;
use waarborg_govern::identification::{
    Candidacy, Identification, Judgement, Outcome, Position, Stage, Verdict,
};
use waarborg_govern::retention::SearchPart;
use waarborg_govern::scale::ConclusionScale;
use waarborg_govern::{Actor, Role, Timestamp};
use waarborg_index::SearchParams;
use waarborg_ledger::{BiometricOperation, Operation};
use waarborg_store::{Account, DocumentStore};

use crate::gate::{engine_missing, engine_models, Ask};
use crate::{App, AppError, Result};

const KIND: &str = "search";

/// The content types a probe may be sent as.
pub const PROBE_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/bmp",
    "image/tiff",
];

/// One face found in a probe.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FaceSummary {
    /// `[x1, y1, x2, y2]` in the upright probe.
    pub bbox: [f32; 4],
    /// The five key points (to align the chosen face again without detecting).
    #[serde(default)]
    pub kps: Option<[[f32; 2]; 5]>,
    /// Quality measurements and verdict (with the thresholds each failed).
    #[schema(value_type = Object)]
    pub quality: QualityReport,
    /// Marked by hand where the detector missed it ([`crate::prepare::mark_face`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<crate::prepare::ManualMark>,
}

/// One candidate: a reference image, never an identification.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Candidate {
    /// 1 = most similar.
    pub rank: usize,
    /// The template.
    pub template: u64,
    /// The reference image (template owner).
    pub reference: u64,
    /// Its reference database.
    pub database: String,
    /// Similarity (dot product of templates).
    pub score: f32,
}

/// Where a search stands (stored and answered as its snake-case name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchStage {
    /// Faces found; the examiner chooses one, or stops.
    Detected,
    /// Stopped: the probe's quality does not allow a search.
    InsufficientQuality,
    /// Searched with a face: a candidate list.
    Searched,
    /// Withdrawn by its examiner or a coordinator with reasons ([`SearchRecord::withdrawal`]):
    /// not pursued; nothing more is done on it, and its periods still apply.
    Withdrawn,
    /// Erased as a whole (its authorisation refused or late): probe, faces and results; the
    /// record stays. (A part erased when its period ran out is named in
    /// [`SearchRecord::erasures`]; the stage stays.)
    Erased,
}

impl SearchStage {
    /// The stable name (`detected`, `insufficient_quality`, `searched`, `withdrawn`,
    /// `erased`).
    pub fn as_str(self) -> &'static str {
        match self {
            SearchStage::Detected => "detected",
            SearchStage::InsufficientQuality => "insufficient_quality",
            SearchStage::Searched => "searched",
            SearchStage::Withdrawn => "withdrawn",
            SearchStage::Erased => "erased",
        }
    }
}

impl std::fmt::Display for SearchStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A search and everything that followed from it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchRecord {
    /// Id.
    pub id: String,
    /// The examiner.
    pub examiner: String,
    /// The case.
    pub case_number: String,
    /// The deployment.
    pub deployment: String,
    /// `deployment/revision` the gate permitted.
    pub revision: String,
    /// SHA-256 of the probe.
    pub probe_sha256: String,
    /// The probe's source kind.
    pub probe_source: String,
    /// Faces found.
    pub faces: Vec<FaceSummary>,
    /// Where the search stands.
    pub stage: SearchStage,
    /// The upright probe's width and height in pixels (the frame of the faces' boxes;
    /// absent in searches made before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_size: Option<[u32; 2]>,
    /// The recorded video this probe is a frame of, and the frame's time
    /// ([`crate::video::take_frames`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<crate::video::FrameSource>,
    /// The probe this one was prepared from, and how ([`crate::prepare::derive`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derivation: Option<crate::prepare::Derivation>,
    /// The face searched with.
    pub chosen: Option<usize>,
    /// The candidate list.
    pub candidates: Vec<Candidate>,
    /// The path to an identification: the proposal, the verifications, the outcome (a
    /// verifier sees the others' judgements only after recording their own).
    #[schema(value_type = Option<Object>)]
    pub identification: Option<Identification>,
    /// When the probe was submitted (RFC 3339, UTC).
    #[schema(value_type = String, format = DateTime)]
    pub created: Timestamp,
    /// What of the search was erased, when and by which rule (the record itself stays).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erasures: Vec<Erasure>,
    /// Why, by whom and when the search was withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
    /// A planted proficiency test's truth and gallery (shown to coordinators and auditors
    /// only; [`view`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proficiency: Option<crate::proficiency::ProficiencyCase>,
}

/// A search withdrawn: not pursued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Withdrawal {
    /// Who withdrew it.
    pub by: String,
    /// Why.
    pub reasons: String,
    /// When (RFC 3339, UTC).
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

/// A part of a search's material that was erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Erasure {
    /// `probe` (the image and the faces found) or `search_result` (candidates, proposal,
    /// verifications).
    #[schema(value_type = String)]
    pub part: SearchPart,
    /// The rule that erased it (`probe_period`, `result_period`, `authorisation_refused`,
    /// `authorisation_late`).
    pub rule: String,
    /// When (RFC 3339, UTC).
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
}

impl SearchRecord {
    /// Whether `part` of this search is erased (a search erased as a whole because no
    /// authorisation covers it has lost both).
    pub fn erased(&self, part: SearchPart) -> bool {
        self.stage == SearchStage::Erased || self.erasures.iter().any(|e| e.part == part)
    }
}

/// Runs stage `stage` of a search, its time measured ([`crate::metrics`]).
fn timed<T>(app: &App, stage: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = std::time::Instant::now();
    let done = run();
    app.caches.metrics.stage(stage, started);
    done
}

pub(crate) fn now_rfc3339() -> String {
    waarborg_ledger::entry::now()
}

/// Where a probe is submitted: deployment, case and the probe's source kind.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// The deployment.
    pub deployment: String,
    /// The case number.
    pub case: String,
    /// The probe's source kind.
    pub probe_source: String,
}

/// Asks the gate for `action` on search `s`'s deployment and case (the one path,
/// [`crate::gate::require`]): the permit, its databases, and the models the engine presents.
pub(crate) fn gate_check(
    app: &App,
    actor: &Actor,
    action: Action,
    deployment: &str,
    case_number: &str,
    probe_source: &str,
) -> Result<(waarborg_govern::gate::Permit, Vec<String>, Vec<String>)> {
    let models = engine_models(app)?;
    let (permit, databases) = crate::gate::require(
        app,
        actor,
        &Ask {
            action,
            deployment,
            case_number: Some(case_number),
            databases: None,
            probe_source: Some(probe_source),
            models: &models,
        },
    )?;
    Ok((permit, databases, models))
}

/// Asks the gate to detect faces in a probe for case `q`: the one check before any probe
/// (an upload, a prepared image, a video's frames) is decoded or kept.
pub(crate) fn gate_detect(
    app: &App,
    actor: &Actor,
    q: &SubmitQuery,
) -> Result<waarborg_govern::gate::Permit> {
    gate_check(
        app,
        actor,
        Action::DetectForSearch,
        &q.deployment,
        &q.case,
        &q.probe_source,
    )
    .map(|(permit, _, _)| permit)
}

pub(crate) fn operation(
    actor: &Actor,
    op: Operation,
    s: &SearchRecord,
    started: String,
    models: Vec<String>,
    outcome: String,
    verifiers: Vec<String>,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::BiometricOperation(biometric(
        actor, op, s, started, models, outcome, verifiers,
    ))
}

/// The ledger's record of operation `op` on search `s` (a search adds its best score).
fn biometric(
    actor: &Actor,
    op: Operation,
    s: &SearchRecord,
    started: String,
    models: Vec<String>,
    outcome: String,
    verifiers: Vec<String>,
) -> BiometricOperation {
    BiometricOperation {
        operation: op,
        started,
        ended: now_rfc3339(),
        user: actor.user.clone(),
        role: actor.role.as_str().into(),
        deployment_revision: Some(s.revision.clone()),
        case_authorisation: Some(s.case_number.clone()),
        reference_database: Some("criminal".into()).filter(|_| op == Operation::Search),
        input_sha256: Some(s.probe_sha256.clone()),
        verifiers,
        model_sha256: models,
        outcome: crate::short(&outcome),
        best_score_milli: None,
    }
}

pub(crate) fn random_id() -> Result<String> {
    prefixed_id("S")
}

/// A new random id: `prefix`, a dash and 16 hex digits.
pub(crate) fn prefixed_id(prefix: &str) -> Result<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(format!(
        "{prefix}-{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Submits a probe: gate, faces with their quality, stored probe, ledger entry.
pub fn submit_probe(
    app: &App,
    actor: &Actor,
    q: &SubmitQuery,
    ctype: &str,
    bytes: Vec<u8>,
) -> Result<(SearchRecord, Option<Timestamp>)> {
    timed(app, "detect", || {
        if !PROBE_TYPES.contains(&ctype) {
            return Err(AppError::Invalid {
                code: "unsupported_media_type",
                detail: format!(
                    "send the probe as {}, not {ctype:?}",
                    PROBE_TYPES.join(", ")
                ),
            });
        }
        let started = now_rfc3339();
        let permit = gate_detect(app, actor, q)?;
        app.engine.as_ref().ok_or_else(engine_missing)?;
        let image = match waarborg_face::decode::decode(&bytes, &DecodeLimits::default()) {
            Ok(image) => image,
            Err(e) => {
                // Permitted, then not usable: the attempt is in the ledger all the same.
                app.log_refusal(crate::entries::refused_input(
                    actor,
                    Action::DetectForSearch,
                    &q.deployment,
                    Some(permit.revision.clone()),
                    Some(&q.case),
                    &format!("invalid_probe: {e}"),
                ))?;
                return Err(AppError::invalid(format!("the probe cannot be used: {e}")));
            }
        };
        let probe = MadeProbe {
            bytes,
            image,
            faces: None,
            from: None,
        };
        keep_probe(app, actor, q, &permit, started, probe)
    })
}

/// Where a probe the service made came from.
pub(crate) enum MadeFrom {
    /// Prepared from another probe ([`crate::prepare::derive`]).
    Derivation(crate::prepare::Derivation),
    /// A frame of a recorded video ([`crate::video::take_frames`]).
    Frame(crate::video::FrameSource),
}

/// A probe ready to be kept: its file, the image decoded from it, its faces where they were
/// found already (a video's sampled frames), and where the service made it from (none for
/// an upload).
pub(crate) struct MadeProbe {
    pub(crate) bytes: Vec<u8>,
    pub(crate) image: image::RgbImage,
    pub(crate) faces: Option<Vec<waarborg_face::AnalyzedFace>>,
    pub(crate) from: Option<MadeFrom>,
}

/// A probe the service made submitted for case `q` under the gate, as [`submit_probe`]
/// does with an uploaded one.
pub(crate) fn submit_made(
    app: &App,
    actor: &Actor,
    q: &SubmitQuery,
    probe: MadeProbe,
) -> Result<(SearchRecord, Option<Timestamp>)> {
    timed(app, "detect", || {
        let started = now_rfc3339();
        let permit = gate_detect(app, actor, q)?;
        keep_probe(app, actor, q, &permit, started, probe)
    })
}

/// Finds the faces of a permitted probe (unless found already), keeps it in the vault and
/// its search in the store, its entry in the ledger first; a search that is not kept takes
/// its probe along.
fn keep_probe(
    app: &App,
    actor: &Actor,
    q: &SubmitQuery,
    permit: &waarborg_govern::gate::Permit,
    started: String,
    probe: MadeProbe,
) -> Result<(SearchRecord, Option<Timestamp>)> {
    let MadeProbe {
        bytes,
        image,
        faces,
        from,
    } = probe;
    let (derivation, frame) = match from {
        Some(MadeFrom::Derivation(d)) => (Some(d), None),
        Some(MadeFrom::Frame(f)) => (None, Some(f)),
        None => (None, None),
    };
    {
        let engine = app.engine.as_ref().ok_or_else(engine_missing)?;
        // No room for the probe and its record: refused before either is written.
        app.reserve.check()?;
        let faces = match faces {
            Some(faces) => faces,
            None => engine
                .analyze(&image, false)
                .map_err(|e| AppError::internal(e.to_string()))?,
        };
        let sha = sha256_hex(&bytes);
        app.probes
            .put(&sha, &bytes)
            .map_err(|e| AppError::internal(format!("storing the probe: {e}")))?;
        let record = SearchRecord {
            id: random_id()?,
            examiner: actor.user.clone(),
            case_number: q.case.clone(),
            deployment: q.deployment.clone(),
            revision: permit.revision.clone(),
            probe_sha256: sha,
            probe_source: q.probe_source.clone(),
            faces: faces
                .iter()
                .map(|f| FaceSummary {
                    bbox: f.bbox,
                    kps: Some(f.kps),
                    quality: f.quality.clone(),
                    manual: None,
                })
                .collect(),
            stage: SearchStage::Detected,
            probe_size: Some([image.width(), image.height()]),
            derivation,
            frame,
            chosen: None,
            candidates: Vec::new(),
            identification: None,
            created: app.now(),
            erasures: Vec::new(),
            withdrawal: None,
            proficiency: None,
        };
        let sufficient = faces.iter().filter(|f| f.quality.sufficient).count();
        let found = format!("{} faces, {sufficient} of sufficient quality", faces.len());
        let entry = operation(
            actor,
            Operation::Detect,
            &record,
            started,
            vec![engine.fingerprint().detector_sha256.clone()],
            match (&record.derivation, &record.frame) {
                (None, Some(f)) => format!(
                    "frame at {}.{:03} s of video {} ({} frame); {found}",
                    f.time_ms / 1000,
                    f.time_ms % 1000,
                    f.video_sha256,
                    f.picked
                ),
                (None, None) => found,
                (Some(d), _) => format!(
                    "prepared from probe {} (search {}) by {}; {found}",
                    d.parent_sha256,
                    d.parent_search,
                    d.operations
                        .iter()
                        .map(crate::prepare::Preparation::describe)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            vec![],
        );
        let doc = serde_json::to_value(&record).map_err(|e| AppError::internal(e.to_string()))?;
        let kept = app.commit(&[entry], |log| {
            app.store
                .create_document(KIND, &record.id, &record.examiner, &doc, log)
        });
        if let Err(e) = kept {
            // Not kept (the ledger or the database failed): the probe goes too, unless a
            // kept search holds the same image.
            let shared = stored_searches(app, None)
                .map(|all| all.iter().any(|s| s.probe_sha256 == record.probe_sha256))
                .unwrap_or(true);
            if !shared {
                let _ = app.probes.remove(&record.probe_sha256);
            }
            return Err(e);
        }
        Ok((record, permit.urgent_until))
    }
}

pub(crate) fn load(app: &App, id: &str) -> Result<(SearchRecord, u64)> {
    let (doc, version) = app
        .store
        .document(KIND, id)?
        .ok_or_else(|| AppError::not_found(format!("no search {id}")))?;
    let record = serde_json::from_value(doc)
        .map_err(|e| AppError::internal(format!("stored search {id} does not decode: {e}")))?;
    Ok((record, version))
}

pub(crate) fn save(
    app: &App,
    record: &SearchRecord,
    version: u64,
    entry: waarborg_ledger::Event,
) -> Result<()> {
    let doc = serde_json::to_value(record).map_err(|e| AppError::internal(e.to_string()))?;
    app.commit(&[entry], |log| {
        app.store
            .save_document(KIND, &record.id, &doc, version, log)
    })?;
    Ok(())
}

pub(crate) fn own(actor: &Actor, s: &SearchRecord) -> Result<()> {
    if actor.user != s.examiner {
        return Err(AppError::forbidden(format!(
            "search {} belongs to another examiner",
            s.id
        )));
    }
    Ok(())
}

/// Searches the reference database with face `face` of search `id`: gate, template,
/// index, ledger.
pub fn choose_face(app: &App, actor: &Actor, id: &str, face: usize) -> Result<SearchRecord> {
    timed(app, "search", || {
        let (mut s, version) = load(app, id)?;
        own(actor, &s)?;
        if s.stage != SearchStage::Detected {
            return Err(AppError::refused(format!(
                "search {id} is already {}",
                s.stage
            )));
        }
        if face >= s.faces.len() {
            return Err(AppError::invalid(format!(
                "face {} does not exist; the probe has {} faces",
                face,
                s.faces.len()
            )));
        }
        if !s.faces[face].quality.sufficient {
            return Err(AppError::refused(format!(
                "face {} is of insufficient quality: {}",
                face,
                s.faces[face].quality.reasons.join("; ")
            )));
        }
        let started = now_rfc3339();
        let (permit, databases, models) = gate_check(
            app,
            actor,
            Action::Search,
            &s.deployment,
            &s.case_number,
            &s.probe_source,
        )?;
        let (engine, index) = (
            app.engine.as_ref().ok_or_else(engine_missing)?,
            app.index.as_ref().ok_or_else(engine_missing)?,
        );
        let probe = probe_bytes(app, &s)?;
        let kps = s.faces[face].kps;
        // A restricted person's images are left out (LED art. 16, AVG art. 18): asked for as
        // many more as there are, the top of the rest is exact.
        let restricted = {
            use waarborg_store::ReferenceStore;
            app.store.restricted_references()?
        };
        let k = permit.candidate_list_length as usize;
        // No floor in the index: the best score is recorded whatever the threshold (the
        // monitoring of score drift reads it); the threshold applies to the list below.
        let params = SearchParams {
            k: k + restricted.len(),
            min_score: None,
            databases: Some(databases),
            threads: 0,
        };
        let image = waarborg_face::decode::decode(&probe, &DecodeLimits::default())
            .map_err(|e| AppError::internal(e.to_string()))?;
        // Align the chosen face again from its stored key points: no second detection, one
        // template.
        let template = match kps {
            Some(kps) => {
                let crop = waarborg_face::align::align_face(&image, &kps)
                    .ok_or_else(|| AppError::internal("the chosen face cannot be aligned"))?;
                engine
                    .embed_aligned(&[&crop])
                    .map_err(|e| AppError::internal(e.to_string()))?
                    .pop()
            }
            None => engine
                .analyze(&image, true)
                .map_err(|e| AppError::internal(e.to_string()))?
                .get(face)
                .and_then(|f| f.embedding.clone()),
        }
        .ok_or_else(|| AppError::internal("the chosen face was not found again"))?;
        let hits = index
            .search(&template, &params)
            .map_err(|e| AppError::internal(e.to_string()))?;
        let excluded = hits
            .iter()
            .filter(|h| restricted.contains(&h.owner))
            .count();
        let best_score_milli = hits
            .iter()
            .find(|h| !restricted.contains(&h.owner))
            .map(|h| (h.score.clamp(-1.0, 1.0) * 1000.0).round() as i16);
        s.candidates = hits
            .iter()
            .filter(|h| !restricted.contains(&h.owner) && h.score >= permit.score_threshold)
            .take(k)
            .enumerate()
            .map(|(i, h)| Candidate {
                rank: i + 1,
                template: h.template,
                reference: h.owner,
                database: h.database.clone(),
                score: h.score,
            })
            .collect();
        s.chosen = Some(face);
        s.stage = SearchStage::Searched;
        s.identification = Some(Identification::searched(
            &s.id,
            &s.case_number,
            &s.examiner,
            permit.verifiers_required,
        ));
        let op = biometric(
            actor,
            Operation::Search,
            &s,
            started,
            models,
            match excluded {
                0 => format!(
                    "{} candidates (never an identification)",
                    s.candidates.len()
                ),
                n => format!(
                    "{} candidates (never an identification); {n} restricted records left out",
                    s.candidates.len()
                ),
            },
            vec![],
        );
        let entry = waarborg_ledger::Event::BiometricOperation(BiometricOperation {
            best_score_milli,
            ..op
        });
        save(app, &s, version, entry)?;
        Ok(s)
    })
}

/// Closes search `id` without searching: the probe's quality is insufficient.
pub fn stop_insufficient(app: &App, actor: &Actor, id: &str) -> Result<SearchRecord> {
    let (mut s, version) = load(app, id)?;
    own(actor, &s)?;
    if s.stage != SearchStage::Detected {
        return Err(AppError::refused(format!(
            "search {id} is already {}",
            s.stage
        )));
    }
    s.stage = SearchStage::InsufficientQuality;
    // Why, as the thresholds the faces failed (stable keys the reports count); a face that
    // passed every threshold and was still judged insufficient is the examiner's judgement.
    let mut why: std::collections::BTreeSet<&str> = s
        .faces
        .iter()
        .flat_map(|f| f.quality.failed.iter().map(|c| c.as_str()))
        .collect();
    if s.faces.is_empty() {
        why.insert("no_face");
    }
    if s.faces.iter().any(|f| f.quality.sufficient) {
        why.insert("examiner_judgement");
    }
    let entry = operation(
        actor,
        Operation::Detect,
        &s,
        now_rfc3339(),
        vec![],
        format!(
            "insufficient quality: no search; {}",
            why.into_iter().collect::<Vec<_>>().join(",")
        ),
        vec![],
    );
    save(app, &s, version, entry)?;
    Ok(s)
}

/// A conclusion on the scale, as the examiner proposes it or a verifier reaches it
/// independently: `{"level": "identification_support_strong", "reference": 17, "reasons":
/// "…"}`; inconclusive and excluding levels name no reference.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct JudgementBody {
    /// A level's key on the deployment framework's conclusion scale.
    pub level: String,
    /// The reference image (candidate) a supporting level names.
    #[serde(default)]
    pub reference: Option<u64>,
    /// Why (`reasoning` is accepted too).
    #[serde(alias = "reasoning")]
    pub reasons: String,
    /// The feature-by-feature comparison the conclusion rests on: every feature of the list
    /// marked (`waarborg_govern::comparison::FEATURES`), of the candidate a supporting level
    /// names.
    #[serde(default)]
    pub comparison: Option<ComparisonBody>,
}

/// A comparison form: `{"reference": 17, "features": [{"feature": "nose", "assessment":
/// "similar", "notes": "…"}, …]}`, every feature of the list marked `similar`,
/// `dissimilar` or `not_assessable`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ComparisonBody {
    /// The candidate compared.
    pub reference: u64,
    /// Every feature, marked.
    #[schema(value_type = Vec<Object>)]
    pub features: Vec<waarborg_govern::comparison::FeatureMark>,
}

impl JudgementBody {
    fn judgement(&self) -> Judgement {
        Judgement {
            level: self.level.trim().to_string(),
            reference: self.reference,
            reasons: self.reasons.clone(),
            comparison: self.comparison.as_ref().map(|c| {
                waarborg_govern::comparison::FeatureComparison {
                    reference: c.reference,
                    list: waarborg_govern::comparison::FEATURE_LIST.to_string(),
                    features: c.features.clone(),
                }
            }),
        }
    }
}

/// The revision a search ran under: its deployment's record and the revision's number.
pub(crate) fn revision_of(
    app: &App,
    s: &SearchRecord,
) -> Result<(waarborg_govern::revision::Deployment, u32)> {
    use waarborg_store::Store;
    let number = s
        .revision
        .rsplit_once('/')
        .and_then(|(_, n)| n.parse::<u32>().ok())
        .ok_or_else(|| AppError::internal(format!("search {} names no revision", s.id)))?;
    let (d, _) = app
        .store
        .deployment(&s.deployment)?
        .ok_or_else(|| AppError::internal(format!("no deployment {}", s.deployment)))?;
    Ok((d, number))
}

/// The conclusion scale of the framework search `s`'s revision was decided under.
pub fn scale_of(app: &App, s: &SearchRecord) -> Result<ConclusionScale> {
    let (d, number) = revision_of(app, s)?;
    Ok(crate::governance::framework_of(&app.store, &d, number)?.conclusion_scale)
}

/// The units whose verifiers may verify search `s`.
fn verifying_units(app: &App, s: &SearchRecord) -> Result<Vec<String>> {
    let (d, number) = revision_of(app, s)?;
    Ok(d.revision(number)?.content.verifying_units())
}

/// Whether `actor` is competent to verify search `s` now (the competence register).
fn verifier_competence(
    app: &App,
    actor: &Actor,
    s: &SearchRecord,
) -> Result<std::result::Result<(), waarborg_govern::competence::Lack>> {
    crate::competence::current(app, &actor.user, Role::Verifier, &s.deployment)
}

/// Refuses a judgement that names a reference not on `s`'s candidate list.
fn on_the_list(s: &SearchRecord, b: &JudgementBody) -> Result<()> {
    match b.reference {
        Some(reference) if !s.candidates.iter().any(|c| c.reference == reference) => {
            Err(AppError::refused(format!(
                "reference {reference} is not on the candidate list"
            )))
        }
        _ => Ok(()),
    }
}

/// Which search a step of the identification is on, for its refusal's entry.
struct Step {
    search: String,
    revision: String,
    case: String,
}

impl Step {
    fn of(s: &SearchRecord) -> Step {
        Step {
            search: s.id.clone(),
            revision: s.revision.clone(),
            case: s.case_number.clone(),
        }
    }
}

/// Logs identification step `step` on a search as refused when its rules refused it (a
/// verdict without reasons, a second judgement, one's own proposal, …): in the ledger, by
/// the rule's code, nothing changed.
fn log_refused<T>(
    app: &App,
    actor: &Actor,
    at: &Step,
    step: &str,
    done: &std::result::Result<T, waarborg_govern::GovernError>,
) -> Result<()> {
    if let Err(waarborg_govern::GovernError::Refused(rule)) = done {
        app.log_refusal(crate::entries::rule_refusal(
            actor,
            &format!("{step} on search {}", at.search),
            rule,
            Some(at.revision.clone()),
            Some(&at.case),
        ))?;
    }
    Ok(())
}

/// One step of the identification on search `id` by `actor`, the one way each is taken:
/// `prepare` checks the search and gathers what the rules need (an error here is bad input
/// or another's search, not logged as a rule's refusal); `decide` is the domain's rule on
/// its identification (a refusal logged by its rule's code, nothing changed); `entry` is
/// the ledger entry, appended in the transaction that keeps the changed search.
fn identification_step<C, T>(
    app: &App,
    actor: &Actor,
    id: &str,
    step: &str,
    prepare: impl FnOnce(&SearchRecord) -> Result<C>,
    decide: impl FnOnce(&mut Identification, C) -> std::result::Result<T, waarborg_govern::GovernError>,
    entry: impl FnOnce(&SearchRecord, &T) -> waarborg_ledger::Event,
) -> Result<(SearchRecord, T)> {
    let (mut s, version) = load(app, id)?;
    let at = Step::of(&s);
    let context = prepare(&s)?;
    if s.stage == SearchStage::Withdrawn {
        return Err(AppError::refused(format!(
            "search {id} is withdrawn: nothing more is done on it"
        )));
    }
    let identification = s.identification.as_mut().ok_or_else(|| {
        AppError::refused(format!("search {id} has no candidate list to {step} on"))
    })?;
    let done = decide(identification, context);
    log_refused(app, actor, &at, step, &done)?;
    let value = done?;
    let e = entry(&s, &value);
    save(app, &s, version, e)?;
    Ok((s, value))
}

/// An identification step's ledger entry on search `s`: `op` by `actor`, saying `outcome`.
fn step_entry(
    actor: &Actor,
    op: Operation,
    s: &SearchRecord,
    outcome: String,
    verifiers: Vec<String>,
) -> waarborg_ledger::Event {
    operation(actor, op, s, now_rfc3339(), vec![], outcome, verifiers)
}

/// The verifiers who judged search `s`, for its entry.
fn judged(s: &SearchRecord) -> Vec<String> {
    s.identification
        .iter()
        .flat_map(|i| i.verifications.iter().map(|v| v.verifier.clone()))
        .collect()
}

/// Records the examiner's proposal on search `id`, on the framework's conclusion scale.
pub fn propose(app: &App, actor: &Actor, id: &str, b: JudgementBody) -> Result<SearchRecord> {
    timed(app, "proposal", || {
        let prepare = |s: &SearchRecord| {
            own(actor, s)?;
            on_the_list(s, &b)?;
            scale_of(app, s)
        };
        let decide = |i: &mut Identification, scale: ConclusionScale| {
            i.propose(actor, &b.judgement(), &scale)
        };
        let entry = |s: &SearchRecord, _: &()| {
            step_entry(
                actor,
                Operation::Proposal,
                s,
                judgement_words("proposal", s, actor),
                vec![],
            )
        };
        identification_step(app, actor, id, "propose", prepare, decide, entry).map(|(s, _)| s)
    })
}

/// What the investigation found of an identification, as its requester says it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct FeedbackBody {
    /// `lead_confirmed`, `lead_not_confirmed`, `lead_not_followed` or `unknown`.
    pub finding: String,
    /// When the investigation found it (`YYYY-MM-DD`).
    pub found_on: String,
}

/// The requester of search `id`'s case records what the investigation found of its
/// identification (AI Act Art. 26(5); the usefulness the periodic review weighs): in the
/// ledger ([`crate::entries::lead_entry`]) before it is kept; refused and logged for anyone
/// else, or for a search that did not end in an identification.
pub fn record_feedback(
    app: &App,
    actor: &Actor,
    id: &str,
    b: &FeedbackBody,
) -> Result<SearchRecord> {
    use waarborg_govern::identification::Finding;
    use waarborg_store::Store;
    let finding = Finding::parse(b.finding.trim()).ok_or_else(|| {
        AppError::invalid(format!(
            "{:?} is no finding: lead_confirmed, lead_not_confirmed, lead_not_followed or unknown",
            b.finding
        ))
    })?;
    let found_on = Timestamp::parse(b.found_on.trim())
        .map_err(|e| AppError::invalid(format!("the date of the finding: {e}")))?;
    let now = app.now();
    let prepare = |s: &SearchRecord| {
        let (case, _) = app
            .store
            .case(&s.case_number)?
            .ok_or_else(|| AppError::not_found(format!("no case {}", s.case_number)))?;
        Ok(case.requested_by)
    };
    let decide = |i: &mut Identification, requester: String| {
        i.record_feedback(actor, &requester, finding, found_on, now)
    };
    let entry = |s: &SearchRecord, _: &()| {
        crate::entries::lead_entry(actor, &s.id, &s.case_number, &s.revision, finding)
    };
    identification_step(app, actor, id, "record feedback", prepare, decide, entry).map(|(s, _)| s)
}

/// A verifier's judgement.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VerificationBody {
    /// `agree`, `disagree` or `inconclusive`.
    #[schema(value_type = String)]
    pub verdict: Verdict,
    /// Why.
    pub reasons: String,
}

/// Records verifier `actor`'s own conclusion on search `id`, blind to the examiner's
/// proposal (which they see only after it): in the ledger before it is kept.
pub fn conclude_independently(
    app: &App,
    actor: &Actor,
    id: &str,
    b: JudgementBody,
) -> Result<SearchRecord> {
    timed(app, "verification", || {
        let prepare = |s: &SearchRecord| {
            on_the_list(s, &b)?;
            Ok((scale_of(app, s)?, verifier_competence(app, actor, s)?))
        };
        let decide = |i: &mut Identification, (scale, competent)| {
            i.conclude_independently(actor, &b.judgement(), &scale, competent, app.now())
        };
        let entry = |s: &SearchRecord, _: &()| {
            let words = judgement_words("own conclusion, blind to the proposal", s, actor);
            step_entry(actor, Operation::Verification, s, words, vec![])
        };
        identification_step(
            app,
            actor,
            id,
            "conclude_independently",
            prepare,
            decide,
            entry,
        )
        .map(|(s, _)| s)
    })
}

/// Records an independent verification of search `id`'s proposal; returns the outcome
/// once every required verification is in.
pub fn record_verification(
    app: &App,
    actor: &Actor,
    id: &str,
    b: VerificationBody,
) -> Result<Option<Outcome>> {
    timed(app, "verification", || {
        let prepare = |s: &SearchRecord| verifier_competence(app, actor, s);
        let decide = |i: &mut Identification, competent| {
            i.verify(actor, b.verdict, &b.reasons, competent, app.now())
        };
        let entry = |s: &SearchRecord, outcome: &Option<Outcome>| {
            let identification = s.identification.as_ref();
            let further = identification.is_some_and(|i| {
                matches!(
                    i.resolution,
                    Some(waarborg_govern::identification::Resolution::FurtherVerifier { .. })
                )
            });
            let disputed = identification.is_some_and(|i| i.stage == Stage::Disputed);
            let text = match outcome {
                Some(o) if further => format!(
                    "verification {:?} by the further verifier; outcome {o:?}",
                    b.verdict
                ),
                Some(o) => format!("verification {:?}; outcome {o:?}", b.verdict),
                None if disputed => format!(
                    "verification {:?}; disputed: not every verifier agrees",
                    b.verdict
                ),
                None => format!("verification {:?}", b.verdict),
            };
            step_entry(actor, Operation::Verification, s, text, judged(s))
        };
        identification_step(app, actor, id, "verify", prepare, decide, entry)
            .map(|(_, outcome)| outcome)
    })
}

/// A judgement just recorded on `s` by `actor` in the ledger's words, which the reports
/// read: `{what}: {conclusion:?} at {level}` (e.g. `proposal: Candidate { reference: 17 } at
/// identification_support_strong`).
fn judgement_words(what: &str, s: &SearchRecord, actor: &Actor) -> String {
    let recorded = s.identification.as_ref().and_then(|i| match actor.role {
        Role::Examiner => i.proposal.as_ref().map(|p| (&p.conclusion, &p.level)),
        _ => i
            .own_conclusions
            .iter()
            .find(|c| c.verifier == actor.user)
            .map(|c| (&c.conclusion, &c.level)),
    });
    match recorded {
        Some((conclusion, level)) => format!("{what}: {conclusion:?} at {level}"),
        None => what.to_string(),
    }
}

/// Assigns verifier `verifier` to search `id`, by its examiner or a coordinator: a
/// competent verifier of the deployment's verifying units, never the examiner; in the
/// ledger before it is kept, a refusal logged.
pub fn assign(app: &App, actor: &Actor, id: &str, verifier: &str) -> Result<SearchRecord> {
    use waarborg_store::AccountStore;
    waarborg_govern::ids::check(waarborg_govern::ids::Kind::User, verifier)?;
    let prepare = |s: &SearchRecord| {
        if actor.role == Role::Examiner {
            own(actor, s)?;
        }
        let (account, _) = app
            .store
            .account(verifier)?
            .ok_or_else(|| AppError::not_found(format!("no account {verifier}")))?;
        let competent = crate::competence::current(app, verifier, Role::Verifier, &s.deployment)?;
        Ok((account, verifying_units(app, s)?, competent))
    };
    let decide = |i: &mut Identification,
                  (account, units, competent): (Account, Vec<String>, _)| {
        let candidacy = Candidacy {
            user: verifier,
            verifier: account.roles.contains(&Role::Verifier),
            unit: &account.unit,
            competent,
        };
        i.assign(actor, candidacy, &units)
    };
    let entry = |s: &SearchRecord, _: &()| {
        assignment_entry(
            actor,
            s,
            "assign_verifier",
            format!("{verifier} assigned to verify"),
        )
    };
    identification_step(app, actor, id, "assign a verifier", prepare, decide, entry).map(|(s, _)| s)
}

/// Withdraws verifier `verifier`'s assignment to search `id` (by its examiner or a
/// coordinator, before the verifier recorded anything): in the ledger before it is kept.
pub fn unassign(app: &App, actor: &Actor, id: &str, verifier: &str) -> Result<SearchRecord> {
    waarborg_govern::ids::check(waarborg_govern::ids::Kind::User, verifier)?;
    let prepare = |s: &SearchRecord| match actor.role {
        Role::Examiner => own(actor, s),
        _ => Ok(()),
    };
    let decide = |i: &mut Identification, ()| i.unassign(actor, verifier);
    let entry = |s: &SearchRecord, _: &()| {
        let reason = format!("{verifier}'s assignment withdrawn");
        assignment_entry(actor, s, "withdraw_verifier", reason)
    };
    identification_step(
        app,
        actor,
        id,
        "withdraw an assignment",
        prepare,
        decide,
        entry,
    )
    .map(|(s, _)| s)
}

/// The ledger entry for a change to search `s`'s assigned verifiers.
fn assignment_entry(
    actor: &Actor,
    s: &SearchRecord,
    action: &str,
    reason: String,
) -> waarborg_ledger::Event {
    waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: action.into(),
        subject: format!("search {} of case {}", s.id, s.case_number),
        reason,
        framework_version: None,
        about: None,
    })
}

/// The verifiers `actor` could assign to search `s` now, each with whether they are
/// competent: verifier accounts of the deployment's verifying units, not its examiner, not
/// assigned yet. Empty for anyone who may not assign, or when nothing is to be assigned (the
/// domain decides when the assignment is made).
pub fn assignable(
    app: &App,
    actor: &Actor,
    s: &SearchRecord,
) -> Result<
    Vec<(
        String,
        std::result::Result<(), waarborg_govern::competence::Lack>,
    )>,
> {
    use waarborg_store::AccountStore;
    let Some(i) = s.identification.as_ref() else {
        return Ok(Vec::new());
    };
    let may = (actor.role == Role::Examiner && actor.user == s.examiner)
        || actor.role == Role::Coordinator;
    if !may || !i.room_to_assign() {
        return Ok(Vec::new());
    }
    let units = verifying_units(app, s)?;
    let mut out = Vec::new();
    for a in app.store.accounts()? {
        if a.roles.contains(&Role::Verifier)
            && !a.disabled
            && units.contains(&a.unit)
            && a.user != s.examiner
            && !i.assigned.contains(&a.user)
        {
            let competent =
                crate::competence::current(app, &a.user, Role::Verifier, &s.deployment)?;
            out.push((a.user, competent));
        }
    }
    Ok(out)
}

/// A dispute's resolution by consultation: every participant's position, and the
/// coordinator's reasons.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ConsultationBody {
    /// The examiner's and each verifier's position: `{"person", "agrees", "reasons"}`.
    #[schema(value_type = Vec<Object>)]
    pub positions: Vec<Position>,
    /// The coordinator's reasons for the outcome.
    pub reasons: String,
}

/// Resolves the dispute on search `id` by a consultation the coordinator records; the
/// outcome follows from the positions ([`Identification::resolve_by_consultation`]).
pub fn resolve_by_consultation(
    app: &App,
    actor: &Actor,
    id: &str,
    b: ConsultationBody,
) -> Result<Outcome> {
    timed(app, "verification", || {
        let decide = |i: &mut Identification, ()| {
            i.resolve_by_consultation(actor, b.positions, &b.reasons, app.now())
        };
        let entry = |s: &SearchRecord, outcome: &Outcome| {
            let text = format!("dispute resolved by consultation; outcome {outcome:?}");
            step_entry(actor, Operation::Verification, s, text, judged(s))
        };
        identification_step(
            app,
            actor,
            id,
            "resolve by consultation",
            |_| Ok(()),
            decide,
            entry,
        )
        .map(|(_, outcome)| outcome)
    })
}

/// Withdraws search `id` — it will not be pursued — by its examiner or a coordinator, with
/// reasons, before the outcome: in the ledger before it is kept; a refusal logged.
pub fn withdraw(app: &App, actor: &Actor, id: &str, reasons: &str) -> Result<SearchRecord> {
    let (mut s, version) = load(app, id)?;
    if actor.role == Role::Examiner {
        own(actor, &s)?;
    }
    if matches!(
        s.stage,
        SearchStage::InsufficientQuality | SearchStage::Erased
    ) {
        return Err(AppError::refused(format!(
            "search {id} is closed already ({})",
            s.stage
        )));
    }
    let done = waarborg_govern::identification::may_withdraw(
        actor,
        &s.examiner,
        s.identification.as_ref().map(|i| i.stage),
        s.stage == SearchStage::Withdrawn,
        reasons,
    );
    log_refused(app, actor, &Step::of(&s), "withdraw", &done)?;
    done?;
    s.stage = SearchStage::Withdrawn;
    s.withdrawal = Some(Withdrawal {
        by: actor.user.clone(),
        reasons: crate::short(reasons.trim()),
        at: app.now(),
    });
    let entry = waarborg_ledger::Event::GovernanceDecision(waarborg_ledger::GovernanceDecision {
        actor: actor.user.clone(),
        role: actor.role.as_str().into(),
        action: "withdraw_search".into(),
        subject: format!("search {} of case {}", s.id, s.case_number),
        reason: crate::short(reasons.trim()),
        framework_version: None,
        about: None,
    });
    save(app, &s, version, entry)?;
    Ok(s)
}

/// Whether `actor` may withdraw search `s` now (the page's form asks; [`withdraw`] decides
/// with the reasons given).
pub fn withdrawable(actor: &Actor, s: &SearchRecord) -> bool {
    (actor.role != Role::Examiner || actor.user == s.examiner)
        && waarborg_govern::identification::may_withdraw(
            actor,
            &s.examiner,
            s.identification.as_ref().map(|i| i.stage),
            s.stage == SearchStage::Withdrawn,
            "(reasons to be given)",
        )
        .is_ok()
        && !matches!(
            s.stage,
            SearchStage::InsufficientQuality | SearchStage::Erased
        )
}

/// Whether `actor` reads search `s` blind: a verifier — or anyone assigned to verify it,
/// whatever role they act in — who has not recorded their own conclusion sees neither the
/// examiner's proposal and reasoning nor any score or rank.
pub fn blind(actor: &Actor, s: &SearchRecord) -> bool {
    match &s.identification {
        Some(i) => !i.proposal_visible_to(actor),
        None => actor.role == Role::Verifier,
    }
}

/// The candidates as `actor` may see them: in rank order, or — read blind — in an order of
/// their own for this reader (so that the order does not reveal the rank) with neither
/// rank nor score.
pub fn candidates_for(actor: &Actor, s: &SearchRecord) -> Vec<Candidate> {
    if !blind(actor, s) {
        return s.candidates.clone();
    }
    let mut shown: Vec<Candidate> = s
        .candidates
        .iter()
        .map(|c| Candidate {
            rank: 0,
            score: 0.0,
            ..c.clone()
        })
        .collect();
    shown
        .sort_by_key(|c| sha256_hex(format!("{}|{}|{}", actor.user, s.id, c.reference).as_bytes()));
    shown
}

/// Which candidates a reader asks to see (the page's filters): all when empty.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CandidateFilter {
    /// Only this reference database.
    #[serde(default)]
    pub database: Option<String>,
    /// Only images captured on or after this day (`YYYY-MM-DD`).
    #[serde(default)]
    pub captured_from: Option<String>,
    /// Only images captured on or before this day.
    #[serde(default)]
    pub captured_to: Option<String>,
}

impl CandidateFilter {
    /// The days as times (the end of `captured_to`'s day); an error names the field.
    fn bounds(&self) -> Result<(Option<Timestamp>, Option<Timestamp>)> {
        let day = |name: &str, v: &Option<String>| -> Result<Option<Timestamp>> {
            match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(v) if v.len() == 10 => Timestamp::parse(v)
                    .map(Some)
                    .map_err(|e| AppError::invalid(format!("{name}: {e}"))),
                Some(v) => Err(AppError::invalid(format!(
                    "{name}: {v:?} is not a day (YYYY-MM-DD)"
                ))),
            }
        };
        let from = day("captured_from", &self.captured_from)?;
        let to = day("captured_to", &self.captured_to)?.map(|t| t.plus(Timestamp::DAY - 1));
        Ok((from, to))
    }

    /// Whether this filter asks for anything.
    pub fn is_empty(&self) -> bool {
        [&self.database, &self.captured_from, &self.captured_to]
            .iter()
            .all(|v| v.as_deref().is_none_or(|v| v.trim().is_empty()))
    }
}

/// One person among a search's candidates: their images in the reader's order (the best
/// first), each with its reference record where one is kept.
#[derive(Debug, Clone)]
pub struct PersonCandidates {
    /// The reference database's pseudonymous person record (`None`: no record kept; such
    /// an image stands alone).
    pub person: Option<String>,
    /// The images.
    pub images: Vec<(Candidate, Option<waarborg_store::ReferenceRecord>)>,
}

/// The candidates of search `s` as `actor` may see them ([`candidates_for`]: blind, in an
/// order of their own, without rank or score), grouped per person in the order of each
/// person's best image, and kept to `filter`. Not logged: the reader's read of the search
/// ([`consult`]) names every candidate's reference image.
pub fn candidates_by_person(
    app: &App,
    actor: &Actor,
    s: &SearchRecord,
    filter: &CandidateFilter,
) -> Result<Vec<PersonCandidates>> {
    use waarborg_store::ReferenceStore;
    let (from, to) = filter.bounds()?;
    let database = filter
        .database
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let mut groups: Vec<PersonCandidates> = Vec::new();
    for c in candidates_for(actor, s) {
        if database.is_some_and(|d| d != c.database) {
            continue;
        }
        // A planted test's gallery is no reference database's: it has no records.
        let record = match s.proficiency {
            Some(_) => None,
            None => app.store.reference(c.reference)?,
        };
        let captured = record.as_ref().map(|r| r.provenance.captured_at);
        let dated = from.is_none() && to.is_none();
        if !dated
            && !captured.is_some_and(|t| from.is_none_or(|f| t >= f) && to.is_none_or(|u| t <= u))
        {
            continue;
        }
        let person = record.as_ref().map(|r| r.provenance.person.clone());
        match groups
            .iter_mut()
            .find(|g| g.person.is_some() && g.person == person)
        {
            Some(g) => g.images.push((c, record)),
            None => groups.push(PersonCandidates {
                person,
                images: vec![(c, record)],
            }),
        }
    }
    Ok(groups)
}

/// What `actor` may see of a search: a verifier reads blind until their own conclusion is
/// recorded ([`blind`]: no proposal, no reasoning, no score, no rank, the candidates in an
/// order of their own), and sees the others' judgements only after recording their own.
pub fn view(actor: &Actor, s: &SearchRecord) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    // A planted test looks like any search to those it tests.
    if !matches!(actor.role, Role::Coordinator | Role::Auditor) {
        if let Some(o) = v.as_object_mut() {
            o.remove("proficiency");
        }
    }
    if blind(actor, s) {
        v["candidates"] = json!(candidates_for(actor, s)
            .iter()
            .map(|c| json!({"template": c.template, "reference": c.reference, "database": c.database}))
            .collect::<Vec<_>>());
        if let Some(i) = v.get_mut("identification") {
            for hidden in [
                "proposal",
                "verifications",
                "outcome",
                "own_conclusions",
                "resolution",
            ] {
                i[hidden] = Value::Null;
            }
            i["hidden"] = json!("the examiner's proposal, the scores and the ranks are shown once your own conclusion is recorded");
        }
        return v;
    }
    if let Some(id) = &s.identification {
        if id.judging(actor) {
            // Only one's own conclusion, never the other verifiers'.
            v["identification"]["own_conclusions"] = json!(id
                .own_conclusions
                .iter()
                .filter(|c| c.verifier == actor.user)
                .collect::<Vec<_>>());
        }
        let visible = id.visible_verifications(actor).len() == id.verifications.len();
        if !visible && (id.judging(actor) || actor.role == Role::Examiner) {
            v["identification"]["verifications"] = json!([]);
            v["identification"]["outcome"] = Value::Null;
            v["identification"]["resolution"] = Value::Null;
            if actor.role == Role::Examiner {
                // The verifiers' own conclusions are judgements too: not before the outcome.
                v["identification"]["own_conclusions"] = json!([]);
            }
            v["identification"]["hidden"] =
                json!("the other judgements are shown once your own is recorded");
        }
    }
    v
}

/// Search `id` if `actor` may read it (an examiner only their own) — not logged: for the
/// use cases that change it, which log themselves; a read is [`consult`].
pub(crate) fn readable(app: &App, actor: &Actor, id: &str) -> Result<(SearchRecord, u64)> {
    let (s, version) = load(app, id)?;
    if actor.role == Role::Verifier && !verifier_may_read(actor, &s) {
        app.log_refusal(crate::entries::refusal(
            actor,
            &format!("read search {} as a verifier", s.id),
            "not_to_verify: the search has no proposal awaiting this verifier's judgement, or is their own",
            Some(s.revision.clone()),
            Some(&s.case_number),
        ))?;
        return Err(AppError::forbidden(format!(
            "search {} is not yours to verify: a verifier reads a search once it has a proposal awaiting their judgement, or that they judged, and never one they examined",
            s.id
        )));
    }
    if actor.role == Role::Examiner {
        own(actor, &s)?;
    }
    Ok((s, version))
}

/// Reads search `id` for `actor` (the page, the API): their read is in the ledger first —
/// the search with every candidate's reference image, under its case — and covers the
/// images the page then loads ([`crate::consult`]).
pub fn consult(app: &App, actor: &Actor, id: &str) -> Result<(SearchRecord, u64)> {
    let (s, version) = readable(app, actor, id)?;
    let mut records = vec![format!("search:{}", s.id)];
    records.extend(crate::consult::reference_images(
        s.candidates.iter().map(|c| c.reference),
    ));
    crate::consult::log(
        app,
        actor,
        crate::consult::Read::of("search", records).under(&s.case_number),
    )?;
    app.caches.covers.cover(&actor.user, &s.id, app.now().0);
    Ok((s, version))
}

/// Logs `actor`'s read of an image of search `s` (`kind`: `probe`, `reference_image`;
/// `records` beside the search) unless their logged read of the search covers it.
pub(crate) fn consult_image(
    app: &App,
    actor: &Actor,
    s: &SearchRecord,
    kind: &str,
    records: Vec<String>,
) -> Result<()> {
    if app.caches.covers.covered(&actor.user, &s.id, app.now().0) {
        return Ok(());
    }
    let mut named = vec![format!("search:{}", s.id)];
    named.extend(records);
    crate::consult::log(
        app,
        actor,
        crate::consult::Read::of(kind, named).under(&s.case_number),
    )
}

/// Which image of a probe is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    /// The file as submitted, byte for byte (the evidence).
    Original,
    /// One detected face, cut out with a margin (PNG).
    Face(usize),
    /// The whole probe upright (EXIF orientation applied), at most [`VIEW_MAX_SIDE`] pixels
    /// on its long side (JPEG): what a browser shows under the faces' boxes, whatever the
    /// file's format.
    View,
}

/// The long side of the [`Rendition::View`], in pixels.
pub const VIEW_MAX_SIDE: u32 = 1600;

/// The probe image of search `id` in `rendition`, for a reader of the search, their read
/// logged ([`consult_image`]).
pub fn probe_image(app: &App, actor: &Actor, id: &str, rendition: Rendition) -> Result<Vec<u8>> {
    let (s, _) = readable(app, actor, id)?;
    if s.erased(SearchPart::Probe) {
        return Err(AppError::not_found("the probe image is no longer kept"));
    }
    consult_image(app, actor, &s, "probe", Vec::new())?;
    match rendition {
        Rendition::Face(face) => {
            let f = s
                .faces
                .get(face)
                .ok_or_else(|| AppError::not_found(format!("the probe has no face {face}")))?;
            let bbox = f.bbox;
            prepared(app, &s, face, move |app, s| crop_face(app, s, bbox))
        }
        Rendition::View => prepared(app, &s, usize::MAX, view_of),
        Rendition::Original => probe_bytes(app, &s),
    }
}

/// Images made recently, by (image hash or name, part): a page shows each face several
/// times and several viewers look at one search, while decoding a large image costs much.
/// Kept in memory only, at most [`Kept::MAX_BYTES`]; never served once the probe is erased.
#[derive(Debug)]
pub struct Kept<V> {
    kept: std::sync::Mutex<std::collections::VecDeque<(CropKey, std::sync::Arc<V>)>>,
}

impl<V> Default for Kept<V> {
    fn default() -> Self {
        Kept {
            kept: Default::default(),
        }
    }
}

/// Face crops of probes ([`probe_image`]).
pub type Crops = Kept<Vec<u8>>;

/// How many bytes a kept image holds.
pub trait Weighed {
    /// Bytes.
    fn bytes(&self) -> usize;
}

impl Weighed for Vec<u8> {
    fn bytes(&self) -> usize {
        self.len()
    }
}

/// A kept image's key: the probe's SHA-256 (or a reference's name) and the part.
type CropKey = (String, usize);

impl<V: Weighed> Kept<V> {
    /// The most bytes kept.
    pub const MAX_BYTES: usize = 32 << 20;

    pub(crate) fn get(&self, key: &CropKey) -> Option<std::sync::Arc<V>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .find(|(k, _)| k == key)
            .map(|(_, png)| png.clone())
    }

    pub(crate) fn put(&self, key: CropKey, png: std::sync::Arc<V>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|(k, _)| *k != key);
        kept.push_back((key, png));
        while kept.iter().map(|(_, p)| p.bytes()).sum::<usize>() > Self::MAX_BYTES {
            kept.pop_front();
        }
    }

    /// Forgets every crop of probe `sha256` (its erasure).
    pub fn forget(&self, sha256: &str) {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|((probe, _), _)| probe != sha256);
    }
}

/// An image made from search `s`'s probe by `make` — a face cut out with a margin (what the
/// examiner compares with a candidate's reference image), or the upright view — under key
/// `part`. Kept a while ([`Crops`]); made behind the decoding gate (busy:
/// [`AppError::TooMany`]).
fn prepared(
    app: &App,
    s: &SearchRecord,
    part: usize,
    make: impl FnOnce(&App, &SearchRecord) -> Result<Vec<u8>>,
) -> Result<Vec<u8>> {
    if !app.probes.contains(&s.probe_sha256) {
        app.caches.forget_probe(&s.probe_sha256);
        return Err(AppError::not_found("the probe image is no longer kept"));
    }
    let key = (s.probe_sha256.clone(), part);
    if let Some(png) = app.caches.crops.get(&key) {
        return Ok(png.to_vec());
    }
    let png = app.caches.decoding.run(|| make(app, s)).ok_or_else(|| {
        AppError::TooMany("the service is busy preparing images; try again shortly".into())
    })??;
    let png = std::sync::Arc::new(png);
    app.caches.crops.put(key, png.clone());
    Ok(png.to_vec())
}

/// The probe upright, scaled down to [`VIEW_MAX_SIDE`], as JPEG.
fn view_of(app: &App, s: &SearchRecord) -> Result<Vec<u8>> {
    let image = waarborg_face::decode::decode(&probe_bytes(app, s)?, &DecodeLimits::default())
        .map_err(|e| AppError::internal(format!("the stored probe cannot be decoded: {e}")))?;
    let image = if image.width().max(image.height()) > VIEW_MAX_SIDE {
        image::DynamicImage::ImageRgb8(image)
            .resize(
                VIEW_MAX_SIDE,
                VIEW_MAX_SIDE,
                image::imageops::FilterType::Triangle,
            )
            .to_rgb8()
    } else {
        image
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&image)
        .map_err(|e| AppError::internal(format!("encoding the probe's view: {e}")))?;
    Ok(jpeg)
}

fn crop_face(app: &App, s: &SearchRecord, bbox: [f32; 4]) -> Result<Vec<u8>> {
    let image = waarborg_face::decode::decode(&probe_bytes(app, s)?, &DecodeLimits::default())
        .map_err(|e| AppError::internal(format!("the stored probe cannot be decoded: {e}")))?;
    let crop = with_margin(&image, bbox);
    let mut png = Vec::new();
    crop.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| AppError::internal(format!("encoding the face: {e}")))?;
    Ok(png)
}

/// The face in box `bbox` of `image` with a margin around it (the head, not only the face),
/// kept inside the image.
pub(crate) fn with_margin(image: &image::RgbImage, bbox: [f32; 4]) -> image::RgbImage {
    let [x0, y0, x1, y1] = bbox;
    let margin = 0.35 * (x1 - x0).max(y1 - y0);
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (left, top) = (
        (x0 - margin).clamp(0.0, w - 1.0),
        (y0 - margin).clamp(0.0, h - 1.0),
    );
    let (right, bottom) = (
        (x1 + margin).clamp(left + 1.0, w),
        (y1 + margin).clamp(top + 1.0, h),
    );
    image::imageops::crop_imm(
        image,
        left as u32,
        top as u32,
        (right - left) as u32,
        (bottom - top) as u32,
    )
    .to_image()
}

/// The stored image of reference `reference`, for a reader of search `id` in whose candidate
/// list it is (no one browses the reference images through a search).
pub fn candidate_image(app: &App, actor: &Actor, id: &str, reference: &str) -> Result<Vec<u8>> {
    let (s, _) = readable(app, actor, id)?;
    let reference = on_list(&s, reference)?;
    candidate_bytes(app, actor, &s, reference)
}

/// Reference `reference` (as given in a path) if it is on search `s`'s candidate list.
pub(crate) fn on_list(s: &SearchRecord, reference: &str) -> Result<u64> {
    reference
        .parse::<u64>()
        .ok()
        .filter(|r| s.candidates.iter().any(|c| c.reference == *r))
        .ok_or_else(|| {
            AppError::not_found(format!(
                "reference {reference} is not a candidate of this search"
            ))
        })
}

/// The stored image of candidate `reference` of search `s`, its read by `actor` logged.
pub(crate) fn candidate_bytes(
    app: &App,
    actor: &Actor,
    s: &SearchRecord,
    reference: u64,
) -> Result<Vec<u8>> {
    if let Some(case) = &s.proficiency {
        // A test gallery's image, from the probe vault (never the reference database).
        let name = case
            .gallery
            .iter()
            .find(|(r, _)| *r == reference)
            .map(|(_, sha)| sha.clone())
            .ok_or_else(|| AppError::not_found("no image is stored for this candidate"))?;
        consult_image(app, actor, s, "reference_image", Vec::new())?;
        return app
            .probes
            .get(&name)
            .map_err(|e| AppError::not_found(format!("the image is no longer kept: {e}")));
    }
    let vault = app
        .references
        .as_ref()
        .ok_or_else(|| AppError::not_found("no reference images are kept by this service"))?;
    consult_image(
        app,
        actor,
        s,
        "reference_image",
        crate::consult::reference_images([reference]),
    )?;
    vault
        .get(&waarborg_refdb::vault_name(reference))
        .map_err(|e| match e {
            waarborg_refdb::vault::VaultError::NotFound(_) => AppError::not_found(format!(
                "no image is stored for reference {reference} (a synthetic record)"
            )),
            other => AppError::internal(format!("the reference image cannot be read: {other}")),
        })
}

/// The searches `actor` works on: an examiner's own, a verifier's queue, all for oversight;
/// the read logged (the searches listed).
pub fn searches_for(app: &App, actor: &Actor) -> Result<Vec<SearchRecord>> {
    let owner = (actor.role == Role::Examiner).then_some(actor.user.as_str());
    let mut out = stored_searches(app, owner)?;
    if actor.role == Role::Verifier {
        out.retain(|s| awaits_verification_by(actor, s));
    }
    let listed = out.iter().map(|s| format!("search:{}", s.id)).collect();
    crate::consult::log(app, actor, crate::consult::Read::of("search_list", listed))?;
    Ok(out)
}

/// Whether verifier `actor` may read search `s`: it has a proposal, it is not theirs as its
/// examiner, and it is assigned to them or they judged it.
pub fn verifier_may_read(actor: &Actor, s: &SearchRecord) -> bool {
    s.identification.as_ref().is_some_and(|i| {
        i.proposal.is_some()
            && i.examiner != actor.user
            && (i.assigned_to(actor) || i.concluded_by(actor) || i.judged_by(actor))
    })
}

/// Whether search `s` awaits `actor`'s verification: a verifier assigned to it, a proposal
/// (or a dispute) not yet decided, someone else's, not yet judged by them. The verifier's queue and the page's form both ask
/// this (the domain still decides when the judgement is recorded).
pub fn awaits_verification_by(actor: &Actor, s: &SearchRecord) -> bool {
    actor.role == Role::Verifier
        && s.stage != SearchStage::Withdrawn
        && s.identification.as_ref().is_some_and(|i| {
            i.awaiting_verification()
                && i.examiner != actor.user
                && i.assigned_to(actor)
                && !i.judged_by(actor)
        })
}

/// A judgement someone records on a search: the examiner's proposal, or a verifier's own
/// conclusion reached blind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgingStep {
    /// The examiner proposes.
    Propose,
    /// An assigned verifier concludes independently.
    OwnConclusion,
}

/// Which judgement `actor` may record on search `s` now, if any (the pages offer its form;
/// the domain still decides when it is recorded).
pub fn judging_step(actor: &Actor, s: &SearchRecord) -> Option<JudgingStep> {
    let i = s.identification.as_ref()?;
    if s.stage == SearchStage::Withdrawn {
        return None;
    }
    if i.proposal.is_none()
        && actor.role == Role::Examiner
        && i.stage == Stage::Searched
        && actor.user == s.examiner
    {
        Some(JudgingStep::Propose)
    } else if blind(actor, s) && awaits_verification_by(actor, s) {
        Some(JudgingStep::OwnConclusion)
    } else {
        None
    }
}

/// Every search kept in `store`.
pub(crate) fn stored(store: &waarborg_store::SqliteStore) -> Result<Vec<SearchRecord>> {
    of_owner(store, None)
}

fn stored_searches(app: &App, owner: Option<&str>) -> Result<Vec<SearchRecord>> {
    of_owner(&app.store, owner)
}

fn of_owner(store: &waarborg_store::SqliteStore, owner: Option<&str>) -> Result<Vec<SearchRecord>> {
    Ok(store
        .documents(KIND, owner)?
        .into_iter()
        .filter_map(|doc| serde_json::from_value::<SearchRecord>(doc).ok())
        .collect())
}

/// Removes every probe image that no kept search holds (left by a submission whose search
/// was not kept: a crash between storing the probe and committing the search), each with a
/// deletion receipt in the ledger first. Run before the service takes requests (a probe
/// being submitted would look orphaned); how many.
pub fn remove_orphan_probes(app: &App) -> Result<usize> {
    let held: std::collections::HashSet<String> = stored_searches(app, None)?
        .into_iter()
        .flat_map(|s| {
            let gallery = s
                .proficiency
                .map(|p| p.gallery.into_iter().map(|(_, sha)| sha).collect())
                .unwrap_or_else(Vec::new);
            std::iter::once(s.probe_sha256).chain(gallery)
        })
        .collect();
    let names = app
        .probes
        .names()
        .map_err(|e| AppError::internal(format!("listing the probe vault: {e}")))?;
    let mut removed = 0;
    for name in names.into_iter().filter(|n| !held.contains(n)) {
        let receipt = waarborg_ledger::Event::DeletionReceipt(waarborg_ledger::DeletionReceipt {
            record_kind: "probe".into(),
            record: name.clone(),
            rule: "no kept search holds it".into(),
        });
        app.commit_erasure(&[receipt], |log| app.store.record(log))?;
        app.probes
            .remove(&name)
            .map_err(|e| AppError::internal(format!("removing probe {name}: {e}")))?;
        app.caches.forget_probe(&name);
        removed += 1;
    }
    Ok(removed)
}

/// The stored probe image of search `s`.
pub(crate) fn probe_bytes(app: &App, s: &SearchRecord) -> Result<Vec<u8>> {
    app.probes
        .get(&s.probe_sha256)
        .map_err(|e| AppError::internal(format!("the stored probe cannot be read: {e}")))
}

/// Why a search's results were erased after the fact: its case authorisation was refused,
/// or (urgent use) did not come within 48 hours. The deletion receipt's rule.
fn erasure_rule(status: waarborg_govern::case::CaseStatus) -> &'static str {
    match status {
        waarborg_govern::case::CaseStatus::Refused => "authorisation_refused",
        _ => "authorisation_late",
    }
}

/// Erases the results of every search for case `c` that its authorisation no longer covers
/// (AI Act Art. 26(10): a refused authorisation stops the use and its results are deleted;
/// so are those of an urgent use whose authorisation came late or not at all): the probe
/// image, the faces found, the candidate list and the examiner's proposal. What remains is
/// the record that there was a search, marked `erased`, and a deletion receipt in the
/// ledger for each. Returns how many searches were erased now. Safe to repeat (an
/// interrupted erasure is finished by the next call).
pub fn erase_unauthorised(
    app: &App,
    cases: &[(waarborg_govern::case::CaseAuthorisation, bool)],
    now: Timestamp,
) -> Result<usize> {
    use waarborg_govern::case::CaseStatus;
    let cases: Vec<_> = cases
        .iter()
        .filter(|(c, urgent)| {
            matches!(
                c.status(*urgent, now),
                CaseStatus::Refused | CaseStatus::Late
            )
        })
        .collect();
    if cases.is_empty() {
        return Ok(0);
    }
    let searches = stored_searches(app, None)?;
    let mut erased = 0;
    for (c, urgent) in cases {
        let of_case: Vec<&SearchRecord> = searches
            .iter()
            .filter(|s| s.case_number == c.case_number)
            .collect();
        let times: Vec<Timestamp> = of_case.iter().map(|s| s.created).collect();
        let rule = erasure_rule(c.status(*urgent, now));
        let due = c.searches_to_delete(*urgent, &times, now);
        let going: Vec<&str> = due.iter().map(|&i| of_case[i].id.as_str()).collect();
        for i in due {
            let s = of_case[i];
            if s.stage == SearchStage::Erased {
                continue;
            }
            let receipt =
                waarborg_ledger::Event::DeletionReceipt(waarborg_ledger::DeletionReceipt {
                    record_kind: "search".into(),
                    record: format!("search:{}", s.id),
                    rule: rule.into(),
                });
            let parts: Vec<SearchPart> = SearchPart::ALL
                .into_iter()
                .filter(|p| !s.erased(*p))
                .collect();
            let erasing = Erasing {
                parts: &parts,
                rule,
                receipts: &[receipt],
                probe_needed: probe_needed_elsewhere(&searches, s, &going),
                whole: true,
            };
            erase_parts(app, s, &erasing, now)?;
            erased += 1;
        }
    }
    Ok(erased)
}

/// Whether another search whose probe is still kept, and not among those being erased now
/// (`going`), holds the same image as `s`: then the file stays.
pub(crate) fn probe_needed_elsewhere(
    searches: &[SearchRecord],
    s: &SearchRecord,
    going: &[&str],
) -> bool {
    searches.iter().any(|o| {
        o.id != s.id
            && o.probe_sha256 == s.probe_sha256
            && !o.erased(SearchPart::Probe)
            && !going.contains(&o.id.as_str())
    })
}

/// What an erasure of a search takes, and why.
pub(crate) struct Erasing<'a> {
    /// The parts erased now.
    pub parts: &'a [SearchPart],
    /// The rule, as the record names it.
    pub rule: &'a str,
    /// The deletion receipts, appended in the record's transaction.
    pub receipts: &'a [waarborg_ledger::Event],
    /// Another search still holds the probe image: the file stays.
    pub probe_needed: bool,
    /// The search is erased as a whole (no authorisation covers it): marked
    /// [`SearchStage::Erased`].
    pub whole: bool,
}

/// Erases part of search `s` as `e` says: the probe image first (unless another search
/// still holds it) — if the process stops there, the record still shows the part kept and
/// the next run finishes it — then the record, without the erased material and naming what
/// went, in the transaction that appends the receipts.
pub(crate) fn erase_parts(app: &App, s: &SearchRecord, e: &Erasing, now: Timestamp) -> Result<()> {
    let Erasing {
        parts,
        rule,
        receipts,
        ..
    } = *e;
    // A part still kept may hold the same image as the part going (a planted test's probe
    // among its own gallery).
    let keeps = |part: SearchPart, sha: &str| {
        !parts.contains(&part)
            && !s.erased(part)
            && match part {
                SearchPart::Probe => s.probe_sha256 == sha,
                SearchPart::SearchResult => s
                    .proficiency
                    .as_ref()
                    .is_some_and(|p| p.gallery.iter().any(|(_, g)| g == sha)),
            }
    };
    if parts.contains(&SearchPart::Probe)
        && !e.probe_needed
        && !keeps(SearchPart::SearchResult, &s.probe_sha256)
    {
        app.probes
            .remove(&s.probe_sha256)
            .map_err(|e| AppError::internal(format!("erasing the probe: {e}")))?;
        app.caches.forget_probe(&s.probe_sha256);
    }
    if parts.contains(&SearchPart::SearchResult) {
        erase_gallery(app, s, |sha| keeps(SearchPart::Probe, sha))?;
    }
    app.caches.covers.forget(&s.id);
    let Some((doc, version)) = app.store.document(KIND, &s.id)? else {
        return Ok(());
    };
    let mut kept: SearchRecord = serde_json::from_value(doc)
        .map_err(|e| AppError::internal(format!("stored search {} does not decode: {e}", s.id)))?;
    for &part in parts {
        match part {
            SearchPart::Probe => kept.faces.clear(),
            SearchPart::SearchResult => {
                kept.candidates.clear();
                kept.identification = None;
                // A planted test keeps its truth (the scores stay in the ledger), not its
                // gallery.
                if let Some(p) = kept.proficiency.as_mut() {
                    p.gallery.clear();
                }
            }
        }
        kept.erasures.push(Erasure {
            part,
            rule: rule.into(),
            at: now,
        });
    }
    if e.whole {
        kept.stage = SearchStage::Erased;
        kept.chosen = None;
    }
    let doc = serde_json::to_value(&kept).map_err(|e| AppError::internal(e.to_string()))?;
    app.commit_erasure(receipts, |log| {
        app.store.save_document(KIND, &s.id, &doc, version, log)
    })?;
    Ok(())
}

/// A planted test's gallery images go with its results (its candidates), each unless another
/// kept search, or this search's kept probe (`kept_here`), still holds the same image;
/// before the record, so that a crash leaves the part shown as kept and the next run
/// finishes it.
fn erase_gallery(app: &App, s: &SearchRecord, kept_here: impl Fn(&str) -> bool) -> Result<()> {
    let Some(case) = &s.proficiency else {
        return Ok(());
    };
    let others = stored_searches(app, None)?;
    let held_elsewhere = |sha: &str| {
        others.iter().filter(|o| o.id != s.id).any(|o| {
            (o.probe_sha256 == sha && !o.erased(SearchPart::Probe))
                || o.proficiency
                    .as_ref()
                    .is_some_and(|p| p.gallery.iter().any(|(_, g)| g == sha))
        })
    };
    for (_, sha) in case
        .gallery
        .iter()
        .filter(|(_, sha)| !held_elsewhere(sha) && !kept_here(sha))
    {
        app.probes
            .remove(sha)
            .map_err(|e| AppError::internal(format!("erasing a test gallery image: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Crops;
    use std::sync::Arc;

    #[test]
    fn crops_are_kept_within_their_bound_and_forgotten_with_their_probe() {
        let crops = Crops::default();
        let mib = |n: u8| Arc::new(vec![n; 1 << 20]);
        for face in 0..40 {
            crops.put(("probe-a".into(), face), mib(face as u8));
        }
        // 32 MiB at most: the oldest went first.
        assert!(crops.get(&("probe-a".into(), 0)).is_none());
        assert_eq!(crops.get(&("probe-a".into(), 39)).unwrap()[0], 39);
        crops.put(("probe-b".into(), 0), mib(200));
        crops.forget("probe-a");
        assert!(crops.get(&("probe-a".into(), 39)).is_none());
        assert_eq!(crops.get(&("probe-b".into(), 0)).unwrap()[0], 200);
    }
}
