//! The governance domain: pure logic, no I/O.
//!
//! * [`framework`]: deployment frameworks as versioned data (weighing factors, hard
//!   preconditions in five groups; a default template).
//! * [`revision`]: the register of face-recognition uses — deployments, revisions, and the
//!   review chain as a state machine whose every transition checks the actor and yields an
//!   event for the ledger.
//! * [`case`]: case authorisations (AI Act Art. 26(10)), urgent use within 48 hours.
//! * [`identification`]: candidate list → proposal → assigned, blind, independent
//!   verifications → outcome, a dispute resolved.
//! * [`comparison`]: a probe face compared with a candidate feature by feature (FISWG).
//! * [`scale`]: the graded conclusion scale (ENFSI-style), as framework data.
//! * [`competence`]: who is qualified and authorised to examine and to verify.
//! * [`incident`]: incidents of a use, their classification and the Art. 73 clocks.
//! * [`monitoring`]: indicators of a use, thresholds as framework data, alerts (Art. 26(5)).
//! * [`ids`]: case numbers, deployment ids and user names, each checked by one rule.
//! * [`reference`]: reference images' provenance (closed list of source kinds).
//! * [`retention`]: retention rules as data and the events that end the lawful basis.
//! * [`gate`]: the one check every biometric operation passes (invariant 1).
//! * [`rule`]: why a governance step is refused, as a closed list with stable codes.
//!
//! Architecture invariant: this crate does no I/O and reads no clock — every function takes
//! `now` — so its rules are tested without a database, exhaustively.

pub mod actor;
pub mod case;
pub mod comparison;
pub mod competence;
pub mod demo;
pub mod framework;
pub mod gate;
pub mod identification;
pub mod ids;
pub mod incident;
pub mod monitoring;
pub mod proficiency;
pub mod reference;
pub mod retention;
pub mod revision;
pub mod rule;
pub mod scale;
pub mod subject;

pub use crate::actor::{Actor, Portfolio, Role, Timestamp};

/// Why a governance command was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovernError {
    /// The rules refuse it; the rule says which and what to do.
    #[error("refused: {0}")]
    Refused(rule::Rule),
    /// The input is malformed.
    #[error("invalid: {0}")]
    Invalid(String),
    /// A framework to import is malformed.
    #[error("invalid framework: {0}")]
    InvalidFramework(String),
    /// Something named does not exist.
    #[error("not found: {0}")]
    NotFound(String),
}

/// A stable key: lowercase ASCII letters, digits and `_`, 1–64 characters.
pub(crate) fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}
