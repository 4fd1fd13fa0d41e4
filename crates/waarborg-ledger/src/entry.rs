//! What a ledger entry records, as typed, versioned data.
//!
//! **Canonical bytes.** An entry is stored as compact JSON written by `serde_json` from the
//! types below: fields in declaration order, no insignificant whitespace, absent optional
//! fields left out, no floating-point numbers. Serialising a parsed entry again gives the
//! identical bytes, and the verifier checks that it does. The leaf hash is computed over
//! exactly these bytes.
//!
//! **No biometric data.** There is no field for an image, a template or a score vector:
//! probes appear only as their SHA-256. A search records one number of its result, its best
//! score in thousandths and without the reference it belongs to, so that the monitoring of
//! the score distribution (drift) can be recomputed from the ledger. Free text is limited to [`MAX_TEXT`] characters and
//! identifiers to [`MAX_ID`] characters of a restricted alphabet, so a template cannot be
//! smuggled in by accident.

use serde::{Deserialize, Serialize};

/// Current schema version, recorded in every entry.
pub const SCHEMA_VERSION: u32 = 1;
/// Longest free-text field (reasons, outcomes), in characters.
pub const MAX_TEXT: usize = 500;
/// Longest identifier (users, roles, case numbers, revisions), in characters.
pub const MAX_ID: usize = 128;
/// Most items in a list field (verifiers, model hashes).
pub const MAX_ITEMS: usize = 16;
/// Most records one consultation names (a candidate list of 200 with its search and
/// probe fits; a longer read is named in ranges or several entries).
pub const MAX_RECORDS: usize = 256;

/// One entry: its place in the log, when it was written, the root of the log before it,
/// and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Schema version ([`SCHEMA_VERSION`]).
    pub v: u32,
    /// Position in the log, from 0.
    pub index: u64,
    /// When the ledger wrote it: RFC 3339, UTC, milliseconds.
    pub time: String,
    /// Base64 RFC 9162 root of the `index` entries before this one. Chains every entry to
    /// all that came before, so an altered entry is named by the next one.
    pub prev_root: String,
    /// What happened.
    pub event: Event,
}

/// The kinds of event the ledger records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// Entry 0: the log's origin and the first checkpoint-signing key.
    Genesis {
        /// The origin line of every checkpoint.
        origin: String,
        /// Verifier key (`name+id+base64`) that signs checkpoints from now on.
        key: String,
    },
    /// A new checkpoint-signing key, announced and signed by the key in force.
    KeyRotation {
        /// The new verifier key.
        new_key: String,
        /// Base64 Ed25519 signature by the previous key over [`rotation_message`].
        signature: String,
    },
    /// A biometric operation (AI Act Art. 12(3) fields and more).
    BiometricOperation(BiometricOperation),
    /// A governance decision.
    GovernanceDecision(GovernanceDecision),
    /// An attempt the gate refused.
    Refusal(Refusal),
    /// Proof that a record was erased (never the erased data itself).
    DeletionReceipt(DeletionReceipt),
    /// A read of personal data, or its disclosure to someone outside (LED art. 25, Wpg):
    /// who, what, why and to whom — never the data itself.
    Consultation(Consultation),
    /// Earlier entries whose change was not kept after all: the store's commit failed after
    /// they were appended (a full disk). Reports count them as never having happened.
    Void {
        /// The entries' indexes, each before this one.
        entries: Vec<u64>,
        /// Why the change was not kept.
        reason: String,
    },
}

/// What a biometric operation was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Face detection for a search.
    Detect,
    /// Template extraction.
    Extract,
    /// Enrolment of a reference image.
    Enrol,
    /// A 1:N search of a reference database.
    Search,
    /// An examiner's proposal on a candidate list.
    Proposal,
    /// A verifier's independent judgement.
    Verification,
}

/// One use of face recognition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BiometricOperation {
    /// What was done.
    pub operation: Operation,
    /// When the use started (RFC 3339) — Art. 12(3)(a).
    pub started: String,
    /// When it ended (RFC 3339) — Art. 12(3)(a).
    pub ended: String,
    /// Who did it (pseudonymous user id).
    pub user: String,
    /// In which role.
    pub role: String,
    /// The approved deployment revision it ran under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_revision: Option<String>,
    /// The case authorisation it ran under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_authorisation: Option<String>,
    /// The reference database searched — Art. 12(3)(b).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_database: Option<String>,
    /// SHA-256 of the input that was searched or led to a match — Art. 12(3)(c).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_sha256: Option<String>,
    /// Who verified the result — Art. 12(3)(d).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verifiers: Vec<String>,
    /// SHA-256 of every model used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_sha256: Vec<String>,
    /// Outcome in words (e.g. "12 candidates", "insufficient quality").
    pub outcome: String,
    /// A search's best score, whatever the threshold, in thousandths (−1000 to 1000), with
    /// no reference named: what the monitoring of score drift reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_score_milli: Option<i16>,
}

/// A decision in the deployment framework or on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceDecision {
    /// Who decided (pseudonymous user id).
    pub actor: String,
    /// In which role.
    pub role: String,
    /// What was decided (e.g. "ratify", "authorise_case").
    pub action: String,
    /// On what (deployment revision, case, framework version).
    pub subject: String,
    /// Why, in the decider's words.
    pub reason: String,
    /// The framework version the decision applied, when it applied one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_version: Option<String>,
    /// What the decision is about, as data reports count by (the subject says it in words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<About>,
}

/// What a governance decision is about, typed, so that reports count from the ledger alone
/// without reading the words of `subject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum About {
    /// A step on a deployment revision.
    Revision {
        /// The deployment.
        deployment: String,
        /// The revision number.
        revision: u32,
        /// The state before.
        from: String,
        /// The state after.
        to: String,
        /// Days between reviews while in use (on steps into use), so that overdue reviews
        /// are computed from the ledger.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        review_interval_days: Option<u32>,
    },
    /// A step on a case authorisation.
    Case {
        /// The case number.
        case_number: String,
        /// The deployment it was requested under.
        deployment: String,
        /// The offence category, as the revision's scope names it.
        offence_category: String,
        /// Whether urgent use (searching before the decision) was asked for.
        urgent: bool,
    },
    /// What the investigation found of an identification, as the case's requester
    /// recorded it (the reports count the latest per search).
    Lead {
        /// The case number.
        case_number: String,
        /// The search whose identification it is.
        search: String,
        /// The deployment revision the search ran under.
        deployment_revision: String,
        /// `lead_confirmed`, `lead_not_confirmed`, `lead_not_followed` or `unknown`.
        finding: String,
    },
    /// A step on an incident of a deployment (AI Act Art. 26(5), 73).
    Incident {
        /// The incident.
        incident: String,
        /// The deployment it concerns.
        deployment: String,
        /// Its classification after the step: `not_serious`, a serious kind
        /// (`widespread_or_critical`, `death`, `other_serious`), or absent before one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        classification: Option<String>,
    },
    /// A monitoring alert raised or acknowledged (AI Act Art. 26(5)).
    Alert {
        /// The alert.
        alert: String,
        /// The deployment it concerns; absent for an organisation-wide indicator.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deployment: Option<String>,
        /// The indicator's code.
        indicator: String,
        /// The month, `YYYY-MM`.
        month: String,
    },
}

/// An attempt that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Who tried.
    pub user: String,
    /// In which role.
    pub role: String,
    /// What they tried.
    pub attempted: String,
    /// Why it was refused.
    pub reason: String,
    /// The deployment revision named, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_revision: Option<String>,
    /// The case authorisation named, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_authorisation: Option<String>,
    /// How many refused attempts of this kind the entry stands for, when more than one: a
    /// flood is logged one by one up to a limit a minute, the rest as one counted entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

impl Refusal {
    /// The refusal's stable code: what its `reason` says first (`no_case: …` → `no_case`).
    pub fn code(&self) -> &str {
        self.reason.split(':').next().unwrap_or_default().trim()
    }
}

/// Receipt for an erasure: what kind of record, which rule, never the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletionReceipt {
    /// Kind of record erased (e.g. "reference_image").
    pub record_kind: String,
    /// Pseudonymous reference of the record.
    pub record: String,
    /// The retention rule or event that required it.
    pub rule: String,
}

impl DeletionReceipt {
    /// The rule's stable code: what `rule` says first (`custody_20y (…)` → `custody_20y`,
    /// `probe_period: …` → `probe_period`).
    pub fn rule_code(&self) -> &str {
        self.rule.split([' ', ':', '(']).next().unwrap_or_default()
    }
}

/// A consultation (a read) or disclosure of personal data: who read which records, why, and
/// for a disclosure to whom. Records are named by pseudonymous ids with their kind
/// (`search:S-…`, `reference-image:7`, `case:OM-…`, `person:P-…`), a run of consecutive
/// reference images as `reference-image:7..42`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consultation {
    /// Who read (pseudonymous user id).
    pub user: String,
    /// In which role.
    pub role: String,
    /// Their unit.
    pub unit: String,
    /// What was read, as a kind (`search`, `probe`, `reference_image`, `reference_records`,
    /// `case_outcome`, `person`, `report`, …).
    pub record_kind: String,
    /// The records read.
    pub records: Vec<String>,
    /// Why: the duty it was read for (`investigation`, `verification`, `oversight`,
    /// `reference_management`, `data_subject_rights`, …).
    pub purpose: String,
    /// The case authorisation it was read under, when one covers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_authorisation: Option<String>,
    /// For a disclosure: to whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
}

/// Why an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ledger entry: field `{field}` {problem}")]
pub struct InvalidEntry {
    /// The field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

fn invalid(field: &'static str, problem: impl Into<String>) -> InvalidEntry {
    InvalidEntry {
        field,
        problem: problem.into(),
    }
}

fn text(field: &'static str, v: &str) -> Result<(), InvalidEntry> {
    if v.chars().count() > MAX_TEXT {
        return Err(invalid(
            field,
            format!("is longer than {MAX_TEXT} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(invalid(field, "contains control characters"));
    }
    Ok(())
}

fn id(field: &'static str, v: &str) -> Result<(), InvalidEntry> {
    if v.is_empty() || v.len() > MAX_ID {
        return Err(invalid(field, format!("must be 1 to {MAX_ID} characters")));
    }
    if !v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._:@/-+=".contains(c))
    {
        return Err(invalid(
            field,
            "may hold only letters, digits and . _ : @ / - + =",
        ));
    }
    Ok(())
}

fn sha256_hex(field: &'static str, v: &str) -> Result<(), InvalidEntry> {
    if v.len() != 64
        || !v
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    {
        return Err(invalid(
            field,
            "must be 64 lower-case hex digits (a SHA-256)",
        ));
    }
    Ok(())
}

fn time(field: &'static str, v: &str) -> Result<(), InvalidEntry> {
    humantime::parse_rfc3339(v).map_err(|_| invalid(field, "must be an RFC 3339 UTC time"))?;
    Ok(())
}

fn list(
    field: &'static str,
    items: &[String],
    check: fn(&'static str, &str) -> Result<(), InvalidEntry>,
) -> Result<(), InvalidEntry> {
    if items.len() > MAX_ITEMS {
        return Err(invalid(field, format!("has more than {MAX_ITEMS} items")));
    }
    items.iter().try_for_each(|i| check(field, i))
}

fn opt(
    field: &'static str,
    v: &Option<String>,
    check: fn(&'static str, &str) -> Result<(), InvalidEntry>,
) -> Result<(), InvalidEntry> {
    v.as_deref().map_or(Ok(()), |v| check(field, v))
}

impl Event {
    /// Checks every field's form (identifiers, hashes, times, lengths).
    pub fn validate(&self) -> Result<(), InvalidEntry> {
        match self {
            Event::Genesis { origin, key } => {
                text("origin", origin)?;
                text("key", key)
            }
            Event::KeyRotation { new_key, signature } => {
                text("new_key", new_key)?;
                text("signature", signature)
            }
            Event::BiometricOperation(op) => {
                time("started", &op.started)?;
                time("ended", &op.ended)?;
                if humantime::parse_rfc3339(&op.ended).ok()
                    < humantime::parse_rfc3339(&op.started).ok()
                {
                    return Err(invalid("ended", "is before `started`"));
                }
                id("user", &op.user)?;
                id("role", &op.role)?;
                opt("deployment_revision", &op.deployment_revision, id)?;
                opt("case_authorisation", &op.case_authorisation, id)?;
                opt("reference_database", &op.reference_database, id)?;
                opt("input_sha256", &op.input_sha256, sha256_hex)?;
                list("verifiers", &op.verifiers, id)?;
                list("model_sha256", &op.model_sha256, sha256_hex)?;
                if op
                    .best_score_milli
                    .is_some_and(|s| !(-1000..=1000).contains(&s))
                {
                    return Err(invalid("best_score_milli", "is outside -1000..=1000"));
                }
                text("outcome", &op.outcome)
            }
            Event::GovernanceDecision(d) => {
                id("actor", &d.actor)?;
                id("role", &d.role)?;
                id("action", &d.action)?;
                text("subject", &d.subject)?;
                text("reason", &d.reason)?;
                opt("framework_version", &d.framework_version, id)?;
                match &d.about {
                    None => Ok(()),
                    Some(About::Revision {
                        deployment,
                        from,
                        to,
                        ..
                    }) => {
                        id("about.deployment", deployment)?;
                        id("about.from", from)?;
                        id("about.to", to)
                    }
                    Some(About::Case {
                        case_number,
                        deployment,
                        offence_category,
                        ..
                    }) => {
                        id("about.case_number", case_number)?;
                        id("about.deployment", deployment)?;
                        text("about.offence_category", offence_category)
                    }
                    Some(About::Lead {
                        case_number,
                        search,
                        deployment_revision,
                        finding,
                    }) => {
                        id("about.case_number", case_number)?;
                        id("about.search", search)?;
                        id("about.deployment_revision", deployment_revision)?;
                        id("about.finding", finding)
                    }
                    Some(About::Incident {
                        incident,
                        deployment,
                        classification,
                    }) => {
                        id("about.incident", incident)?;
                        id("about.deployment", deployment)?;
                        opt("about.classification", classification, id)
                    }
                    Some(About::Alert {
                        alert,
                        deployment,
                        indicator,
                        month,
                    }) => {
                        id("about.alert", alert)?;
                        opt("about.deployment", deployment, id)?;
                        id("about.indicator", indicator)?;
                        id("about.month", month)
                    }
                }
            }
            Event::Refusal(r) => {
                id("user", &r.user)?;
                id("role", &r.role)?;
                text("attempted", &r.attempted)?;
                text("reason", &r.reason)?;
                opt("deployment_revision", &r.deployment_revision, id)?;
                if r.count.is_some_and(|n| n < 2) {
                    return Err(invalid("count", "is given for two or more attempts only"));
                }
                opt("case_authorisation", &r.case_authorisation, id)
            }
            Event::DeletionReceipt(d) => {
                id("record_kind", &d.record_kind)?;
                id("record", &d.record)?;
                text("rule", &d.rule)
            }
            Event::Consultation(c) => {
                id("user", &c.user)?;
                id("role", &c.role)?;
                text("unit", &c.unit)?;
                id("record_kind", &c.record_kind)?;
                if c.records.is_empty() || c.records.len() > MAX_RECORDS {
                    return Err(invalid(
                        "records",
                        format!("names 1 to {MAX_RECORDS} records"),
                    ));
                }
                c.records.iter().try_for_each(|r| id("records", r))?;
                id("purpose", &c.purpose)?;
                opt("case_authorisation", &c.case_authorisation, id)?;
                opt("recipient", &c.recipient, text)
            }
            Event::Void { entries, reason } => {
                if entries.is_empty() || entries.len() > MAX_ITEMS {
                    return Err(invalid(
                        "entries",
                        format!("names 1 to {MAX_ITEMS} entries"),
                    ));
                }
                text("reason", reason)
            }
        }
    }
}

impl Entry {
    /// The canonical bytes (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising these types cannot fail: no maps with non-string keys, no floats.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses canonical bytes; refuses anything that is not exactly canonical.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, InvalidEntry> {
        let entry: Entry = serde_json::from_slice(bytes)
            .map_err(|e| invalid("(entry)", format!("does not parse: {e}")))?;
        if entry.to_bytes() != bytes {
            return Err(invalid("(entry)", "is not in canonical form"));
        }
        if entry.v != SCHEMA_VERSION {
            return Err(invalid(
                "v",
                format!("is {}, this ledger reads version {SCHEMA_VERSION}", entry.v),
            ));
        }
        time("time", &entry.time)?;
        entry.event.validate()?;
        Ok(entry)
    }
}

/// The current time as the ledger writes it: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// The message a key rotation's signature covers.
pub fn rotation_message(origin: &str, new_key: &str) -> String {
    format!("waarborg ledger key rotation\n{origin}\n{new_key}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn search() -> BiometricOperation {
        BiometricOperation {
            operation: Operation::Search,
            started: "2026-11-22T10:00:00.000Z".into(),
            ended: "2026-11-22T10:00:01.250Z".into(),
            user: "examiner-17".into(),
            role: "examiner".into(),
            deployment_revision: Some("catch-2026.1".into()),
            case_authorisation: Some("OM-2026-0042".into()),
            reference_database: Some("criminal".into()),
            input_sha256: Some("ab".repeat(32)),
            verifiers: vec![],
            model_sha256: vec!["cd".repeat(32)],
            outcome: "50 candidates".into(),
            best_score_milli: None,
        }
    }

    #[test]
    fn canonical_bytes_round_trip_exactly() {
        let e = Entry {
            v: SCHEMA_VERSION,
            index: 3,
            time: "2026-11-22T10:00:02.000Z".into(),
            prev_root: "AAAA".into(),
            event: Event::BiometricOperation(search()),
        };
        let bytes = e.to_bytes();
        assert_eq!(Entry::from_bytes(&bytes).unwrap(), e);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with(r#"{"v":1,"index":3,"time":"#), "{text}");
        assert!(
            text.contains(r#""event":{"kind":"biometric_operation","operation":"search""#),
            "{text}"
        );
        // Same content, other whitespace: not canonical.
        let spaced = text.replace(r#""index":3"#, r#""index": 3"#);
        assert!(Entry::from_bytes(spaced.as_bytes()).is_err());
    }

    #[test]
    fn biometric_data_and_malformed_fields_are_refused() {
        let mut op = search();
        op.outcome = "x".repeat(MAX_TEXT + 1);
        assert!(Event::BiometricOperation(op).validate().is_err());
        let mut op = search();
        op.input_sha256 = Some("not a hash".into());
        assert_eq!(
            Event::BiometricOperation(op).validate().unwrap_err().field,
            "input_sha256"
        );
        let mut op = search();
        op.user = "robert'); drop table".into();
        assert!(Event::BiometricOperation(op).validate().is_err());
        let mut op = search();
        op.ended = "2026-11-22T09:00:00.000Z".into();
        assert_eq!(
            Event::BiometricOperation(op).validate().unwrap_err().field,
            "ended"
        );
        // An unknown field (say, a template) does not even parse.
        let sneaky = r#"{"v":1,"index":0,"time":"2026-11-22T10:00:00.000Z","prev_root":"","event":{"kind":"refusal","user":"u","role":"r","attempted":"a","reason":"b","template":[0.1,0.2]}}"#;
        assert!(Entry::from_bytes(sneaky.as_bytes()).is_err());
    }
}
