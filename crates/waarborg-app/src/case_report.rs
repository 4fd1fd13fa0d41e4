//! The case report (issue 18 item 6): what the searches of a case did and concluded, for
//! the police file and the court (AI Act Art. 26(10): the use documented in the file),
//! with every ledger entry of the case and its inclusion proof against a signed
//! checkpoint, so that a defence expert checks it with the independent verifier
//! (`tools/auditor/waarborg_verify.py report`) without trusting Waarborg.
//!
//! Order of a report: the refusal of a reader with no right to it is logged; else the
//! disclosure is logged first, a checkpoint is signed (it covers the disclosure itself),
//! and the case's entries are proved against it.

use serde::Serialize;
use waarborg_govern::case::FolderView;
use waarborg_govern::Actor;

use crate::search::SearchRecord;
use crate::{entries, App, AppError, Result};

/// What every report says of an identification.
pub const LEAD_NOT_PROOF: &str = "An identification is an investigative lead, never proof: it must be confirmed by the investigation.";

/// One ledger entry of the case with its inclusion proof (RFC 9162), as the independent
/// verifier reads it.
#[derive(Debug, Clone, Serialize)]
pub struct ProvedEntry {
    /// The entry's index.
    pub index: u64,
    /// The entry, as logged (its canonical JSON).
    pub entry: String,
    /// The inclusion proof's hashes (base64), in RFC 9162 order.
    pub inclusion_proof: Vec<String>,
}

/// The ledger part of a report: the signed checkpoint and the case's entries in it.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerProofs {
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    /// The tree size it signs.
    pub tree_size: u64,
    /// Every entry that names the case, proved.
    pub entries: Vec<ProvedEntry>,
}

/// A case report.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    /// What this document is.
    pub report: &'static str,
    /// Who made it, in which role, and when (RFC 3339).
    pub made_by: String,
    /// The role.
    pub role: String,
    /// When.
    pub made_at: String,
    /// Who, as an actor (for the report's words).
    #[serde(skip)]
    pub maker: Actor,
    /// When, as a timestamp.
    #[serde(skip)]
    pub made: waarborg_govern::Timestamp,
    /// The case authorisation.
    pub case: waarborg_govern::case::CaseAuthorisation,
    /// Every search of the case, with its technology and its path to an outcome.
    pub searches: Vec<ReportedSearch>,
    /// What every identification is.
    pub lead_not_proof: &'static str,
    /// The ledger entries of the case, proved.
    pub ledger: LedgerProofs,
}

/// One search in a report: its probe, the technology it ran with, and its path to an
/// outcome — the candidate list's length, never its contents.
#[derive(Debug, Clone, Serialize)]
pub struct ReportedSearch {
    /// The search.
    pub search: SearchRecordSummary,
    /// The deployment revision it ran under.
    pub revision: String,
    /// The models (SHA-256) the revision names.
    pub model_sha256: Vec<String>,
    /// The revision's score threshold.
    pub score_threshold: f32,
    /// The revision's candidate list length.
    pub candidate_list_length: u32,
    /// The search as kept, for the report's words ([`SearchRecordSummary`] is what the
    /// JSON says of it).
    #[serde(skip)]
    pub record: SearchRecord,
}

/// What a report says of a search's own record.
#[derive(Debug, Clone, Serialize)]
pub struct SearchRecordSummary {
    /// Id.
    pub id: String,
    /// The examiner.
    pub examiner: String,
    /// When the probe was submitted.
    pub created: String,
    /// Where it stands.
    pub stage: String,
    /// The probe's SHA-256 and source kind.
    pub probe_sha256: String,
    /// Its source kind.
    pub probe_source: String,
    /// The video it is a frame of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<crate::video::FrameSource>,
    /// The probe it was prepared from, and the steps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derivation: Option<crate::prepare::Derivation>,
    /// The faces found (with their quality; marked by hand where so).
    pub faces: Vec<crate::search::FaceSummary>,
    /// The face searched with.
    pub chosen: Option<usize>,
    /// How many candidates the list held (never who).
    pub candidates: usize,
    /// The proposal, the own conclusions, the verifications, a resolution, the outcome.
    pub identification: Option<serde_json::Value>,
    /// Why, by whom and when it was withdrawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<crate::search::Withdrawal>,
    /// What of it was erased.
    pub erasures: Vec<crate::search::Erasure>,
}

fn summary(s: &SearchRecord) -> SearchRecordSummary {
    SearchRecordSummary {
        id: s.id.clone(),
        examiner: s.examiner.clone(),
        created: s.created.to_string(),
        stage: s.stage.as_str().to_string(),
        probe_sha256: s.probe_sha256.clone(),
        probe_source: s.probe_source.clone(),
        frame: s.frame.clone(),
        derivation: s.derivation.clone(),
        faces: s.faces.clone(),
        chosen: s.chosen,
        candidates: s.candidates.len(),
        identification: s
            .identification
            .as_ref()
            .and_then(|i| serde_json::to_value(i).ok()),
        withdrawal: s.withdrawal.clone(),
        erasures: s.erasures.clone(),
    }
}

/// Whether ledger entry `entry` (its JSON) names case `number`.
fn names_case(entry: &serde_json::Value, number: &str) -> bool {
    let e = &entry["event"];
    e["case_authorisation"] == number || e["about"]["case_number"] == number
}

/// Case `number`'s report for `actor`: open to those who see every search of the case in
/// full or work on it as an examiner ([`CaseAuthorisation::folder_view`]); refused and
/// logged otherwise. The disclosure is logged before anything is made.
///
/// [`CaseAuthorisation::folder_view`]: waarborg_govern::case::CaseAuthorisation::folder_view
pub fn report(app: &App, actor: &Actor, number: &str) -> Result<CaseReport> {
    use base64::Engine;
    use waarborg_store::Store;
    let (case, _) = app
        .store
        .case(number)?
        .ok_or_else(|| AppError::not_found(format!("no case {number}")))?;
    if !matches!(
        case.folder_view(actor),
        Some(FolderView::Full | FolderView::Examiner)
    ) {
        app.log_refusal(entries::refusal(
            actor,
            &format!("make the report of case {number}"),
            "not_case_reporter: a case report is made by an examiner, a coordinator, an auditor or a privacy officer",
            None,
            Some(number),
        ))?;
        return Err(AppError::forbidden(format!(
            "the report of case {number} is made by an examiner, a coordinator, an auditor or a privacy officer, not in the role {}",
            actor.role.as_str()
        )));
    }
    let mut searches: Vec<SearchRecord> = crate::search::stored(&app.store)?
        .into_iter()
        .filter(|s| s.case_number == number && s.proficiency.is_none())
        .collect();
    searches.sort_by_key(|s| s.created);
    let mut records = vec![format!("case:{number}")];
    records.extend(searches.iter().map(|s| format!("search:{}", s.id)));
    crate::consult::log(
        app,
        actor,
        crate::consult::Read::of("case_report", records).under(number),
    )?;
    let cp = app
        .ledger
        .checkpoint()
        .map_err(|e| AppError::internal(format!("signing a checkpoint for the report: {e}")))?;
    let size = cp.checkpoint.size;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut proved = Vec::new();
    for index in 0..size {
        let bytes = app
            .ledger
            .entry(index)
            .map_err(|e| AppError::internal(e.to_string()))?;
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        if !names_case(&value, number) {
            continue;
        }
        let proof = app
            .ledger
            .inclusion_proof(index, size)
            .map_err(|e| AppError::internal(e.to_string()))?;
        proved.push(ProvedEntry {
            index,
            entry: String::from_utf8_lossy(&bytes).into_owned(),
            inclusion_proof: proof.iter().map(|h| b64.encode(h)).collect(),
        });
    }
    let mut reported = Vec::with_capacity(searches.len());
    for s in &searches {
        let (d, n) = crate::search::revision_of(app, s)?;
        let r = d.revision(n)?;
        reported.push(ReportedSearch {
            search: summary(s),
            revision: s.revision.clone(),
            model_sha256: r.content.technology.model_sha256.clone(),
            score_threshold: r.content.technology.score_threshold,
            candidate_list_length: r.content.technology.candidate_list_length,
            record: s.clone(),
        });
    }
    Ok(CaseReport {
        report: "Waarborg case report",
        made_by: actor.user.clone(),
        role: actor.role.as_str().to_string(),
        made_at: app.now().to_string(),
        maker: actor.clone(),
        made: app.now(),
        case,
        searches: reported,
        lead_not_proof: LEAD_NOT_PROOF,
        ledger: LedgerProofs {
            checkpoint: cp.note,
            tree_size: size,
            entries: proved,
        },
    })
}
