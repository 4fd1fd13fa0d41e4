//! Every read of personal data in the ledger (Law Enforcement Directive art. 25, Wet
//! politiegegevens): who read which records, when, why, and — for a disclosure — to whom.
//! The entry ([`waarborg_ledger::Consultation`]) is written before the data is answered; a
//! read whose entry cannot be written answers nothing.
//!
//! | read | record kind | records | why |
//! |------|-------------|---------|-----|
//! | a search (page or API) | `search` | the search, every candidate's reference image | the case, by role |
//! | the probe, a face crop, a candidate's image not covered by that | `probe`, `reference_image` | the search (and the image) | the case |
//! | a list of searches | `search_list` | the searches listed | by role |
//! | the reference database's records, plan and flags | `reference_records` | the images shown, consecutive runs as `a..b` | by role |
//! | cases with their outcomes | `case` | the cases shown | by role |
//! | a report | `report` | the report and its period | oversight |
//!
//! **One entry per page, not one per image.** A search's entry names its candidates'
//! reference images and its probe, so the images the page then loads are covered by it: the
//! reader's reads of that search's images for [`COVER_SECONDS`] write nothing more (kept in
//! memory, [`Covers`]); after that, or after a restart, each image read writes its own
//! entry. A read is so one group-committed append (a few milliseconds) per page.
//!
//! **Why** is the reader's duty, from their role ([`Purpose::of`]): an examiner or a
//! requester investigates, a verifier verifies, a reference database manager manages,
//! everyone else reads for oversight; a search's case is named beside it.

use std::collections::HashMap;
use std::sync::Mutex;

use waarborg_govern::{Actor, Role};
use waarborg_ledger::entry::MAX_RECORDS;
use waarborg_ledger::{Consultation, Event};

use crate::{App, Result};

/// How long a search's entry covers its images for the reader who read it.
pub const COVER_SECONDS: i64 = 15 * 60;
/// The most (reader, search) covers kept in memory.
const MAX_COVERS: usize = 10_000;

/// Why personal data was read: the reader's duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An investigation (examiner, requester).
    Investigation,
    /// An independent verification (verifier).
    Verification,
    /// Managing the reference database (its manager).
    ReferenceManagement,
    /// Oversight (auditor, privacy officer, committee, chief, authority, administrator).
    Oversight,
    /// A data subject's request (the privacy officer answering access, restriction or
    /// erasure).
    DataSubjectRights,
}

impl Purpose {
    /// The stable name the ledger records.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Investigation => "investigation",
            Purpose::Verification => "verification",
            Purpose::ReferenceManagement => "reference_management",
            Purpose::Oversight => "oversight",
            Purpose::DataSubjectRights => "data_subject_rights",
        }
    }

    /// The duty a reader in `role` reads for.
    pub fn of(role: Role) -> Purpose {
        match role {
            Role::Examiner | Role::Requester => Purpose::Investigation,
            Role::Verifier => Purpose::Verification,
            Role::ReferenceDatabaseManager => Purpose::ReferenceManagement,
            _ => Purpose::Oversight,
        }
    }
}

/// One read, as the ledger names it.
#[derive(Debug, Clone)]
pub struct Read<'a> {
    /// The record kind (`search`, `probe`, …).
    pub kind: &'a str,
    /// The records read, with their kinds (`search:S-…`, `reference-image:7`).
    pub records: Vec<String>,
    /// The case it was read under.
    pub case: Option<&'a str>,
    /// Why (default: the reader's duty).
    pub purpose: Option<Purpose>,
    /// To whom, for a disclosure.
    pub recipient: Option<&'a str>,
}

impl<'a> Read<'a> {
    /// A read of `records` of `kind`, for the reader's duty.
    pub fn of(kind: &'a str, records: Vec<String>) -> Read<'a> {
        Read {
            kind,
            records,
            case: None,
            purpose: None,
            recipient: None,
        }
    }

    /// Under case `case`.
    pub fn under(mut self, case: &'a str) -> Read<'a> {
        self.case = Some(case);
        self
    }
}

/// Logs `read` by `actor` (one entry; a read of more than the ledger's limit of records
/// several, in one append). Nothing is logged for a read of nothing.
pub fn log(app: &App, actor: &Actor, read: Read) -> Result<()> {
    if read.records.is_empty() {
        return Ok(());
    }
    let purpose = read.purpose.unwrap_or(Purpose::of(actor.role));
    let entries: Vec<Event> = read
        .records
        .chunks(MAX_RECORDS)
        .map(|chunk| {
            Event::Consultation(Consultation {
                user: actor.user.clone(),
                role: actor.role.as_str().into(),
                unit: crate::short(&actor.unit),
                record_kind: read.kind.into(),
                records: chunk.to_vec(),
                purpose: purpose.as_str().into(),
                case_authorisation: read.case.map(str::to_string),
                recipient: read.recipient.map(crate::short),
            })
        })
        .collect();
    let started = std::time::Instant::now();
    app.append_all(&entries)?;
    app.caches
        .metrics
        .consultation_seconds
        .observe(started.elapsed().as_secs_f64());
    Ok(())
}

/// Reference images `ids` as records: runs of consecutive ids as `reference-image:a..b`.
pub fn reference_images(ids: impl IntoIterator<Item = u64>) -> Vec<String> {
    let mut ids: Vec<u64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        out.push(if j > i + 1 {
            format!("reference-image:{}..{}", ids[i], ids[j])
        } else {
            format!("reference-image:{}", ids[i])
        });
        if j == i + 1 {
            out.push(format!("reference-image:{}", ids[j]));
        }
        i = j + 1;
    }
    out
}

/// What the privacy officer or the auditor asks of the consultations: reads of these
/// records (`reference-image:7`, `case:OM-…`, `search:S-…`, `person:…`), by this user, in
/// this period (each optional).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Ask {
    /// A record, with its kind (`reference-image:7`, `case:OM-2026-0042`, `search:S-…`).
    pub subject: Option<String>,
    /// A reader's user id.
    pub user: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Day after the last, `YYYY-MM-DD`.
    pub to: Option<String>,
    /// The page's language.
    pub lang: Option<String>,
}

/// Who consulted what, and why, answered from the ledger (its entries up to now) with the
/// unusual reads flagged by the configured thresholds. The question is itself a read of
/// personal data (who looked at whom): logged first.
pub fn consultations(
    app: &App,
    actor: &Actor,
    ask: &Ask,
) -> Result<waarborg_report::consultations::Consultations> {
    let field = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (subject, user) = (field(&ask.subject), field(&ask.user));
    for value in subject.iter().chain(&user) {
        waarborg_govern::ids::check(waarborg_govern::ids::Kind::Record, value)
            .map_err(|e| crate::AppError::invalid(e.to_string()))?;
    }
    let period = match (field(&ask.from), field(&ask.to)) {
        (None, None) => None,
        (from, to) => Some(
            waarborg_report::Period::new(
                from.as_deref().unwrap_or("1970-01-01"),
                to.as_deref().unwrap_or("9999-12-31"),
            )
            .map_err(crate::publication::report_problem)?,
        ),
    };
    let mut asked: Vec<String> = subject.iter().cloned().collect();
    asked.extend(user.iter().map(|u| format!("user:{u}")));
    if asked.is_empty() {
        asked.push("consultations:all".into());
    }
    log(app, actor, Read::of("consultations", asked))?;
    answer(
        app,
        &waarborg_report::consultations::Query {
            subjects: subject.into_iter().collect(),
            user,
            period,
        },
    )
}

/// The reads in the whole ledger that answer `q`, flagged by the configured thresholds (the
/// caller has logged the question).
pub(crate) fn answer(
    app: &App,
    q: &waarborg_report::consultations::Query,
) -> Result<waarborg_report::consultations::Consultations> {
    let snapshot = waarborg_ledger::Snapshot::read(app.ledger.dir())?;
    waarborg_report::consultations::consultations(&snapshot, snapshot.size(), q, app.read_flags)
        .map_err(crate::publication::report_problem)
}

/// Which (reader, search) pairs a logged read of the search covers, until when.
#[derive(Debug, Default)]
pub struct Covers {
    until: Mutex<HashMap<(String, String), i64>>,
}

impl Covers {
    /// `user`'s read of search `search` at `now` covers its images for a while.
    pub fn cover(&self, user: &str, search: &str, now: i64) {
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if until.len() >= MAX_COVERS {
            until.retain(|_, t| *t > now);
            if until.len() >= MAX_COVERS {
                until.clear();
            }
        }
        until.insert((user.to_string(), search.to_string()), now + COVER_SECONDS);
    }

    /// Whether `user`'s read of search `search`'s images at `now` is covered.
    pub fn covered(&self, user: &str, search: &str, now: i64) -> bool {
        self.until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(user.to_string(), search.to_string()))
            .is_some_and(|t| *t > now)
    }

    /// Forgets every cover of search `search` (its material erased).
    pub fn forget(&self, search: &str) {
        self.until
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(_, s), _| s != search);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_reference_images_are_named_once_and_found_again() {
        assert_eq!(
            reference_images([9, 3, 4, 5, 6, 1, 11, 12]),
            [
                "reference-image:1",
                "reference-image:3..6",
                "reference-image:9",
                "reference-image:11",
                "reference-image:12"
            ]
        );
        let named = |r: &str| {
            reference_images([9, 3, 4, 5, 6])
                .iter()
                .any(|n| waarborg_report::consultations::names(n, r))
        };
        assert!(named("reference-image:4") && named("reference-image:9"));
        assert!(!named("reference-image:7"));
        assert!(reference_images([]).is_empty());
    }

    #[test]
    fn a_cover_lasts_its_time_for_its_reader_only() {
        let covers = Covers::default();
        covers.cover("examiner-1", "S-1", 100);
        assert!(covers.covered("examiner-1", "S-1", 100 + COVER_SECONDS - 1));
        assert!(!covers.covered("examiner-1", "S-1", 100 + COVER_SECONDS));
        assert!(!covers.covered("verifier-1", "S-1", 101));
        covers.forget("S-1");
        assert!(!covers.covered("examiner-1", "S-1", 101));
    }
}
