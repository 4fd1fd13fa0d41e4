//! Who acts: roles, actors and time.

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch (UTC). The domain never reads a clock: callers pass `now`.
/// Written as RFC 3339 (`2027-01-01T00:00:00Z`); read from that or from seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// The last second RFC 3339 can write (9999-12-31T23:59:59Z).
const LAST_RFC3339: i64 = 253_402_300_799;

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if (0..=LAST_RFC3339).contains(&self.0) {
            s.serialize_str(&self.to_string())
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Seconds(i64),
            Text(String),
        }
        match Either::deserialize(d)? {
            Either::Seconds(s) => Ok(Timestamp(s)),
            Either::Text(t) => Timestamp::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !(0..=LAST_RFC3339).contains(&self.0) {
            return write!(f, "{}s since 1970", self.0);
        }
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(self.0 as u64);
        write!(f, "{}", humantime::format_rfc3339_seconds(t))
    }
}

impl Timestamp {
    /// Parses an RFC 3339 UTC time (`2027-01-01T00:00:00Z`; a date alone means midnight).
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        let full = if text.len() == 10 {
            format!("{text}T00:00:00Z")
        } else {
            text.to_string()
        };
        let t = humantime::parse_rfc3339_weak(&full)
            .map_err(|e| format!("{text:?} is not an RFC 3339 time: {e}"))?;
        let secs = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| format!("{text:?} is before 1970"))?;
        Ok(Timestamp(secs.as_secs() as i64))
    }

    /// One hour, in seconds.
    pub const HOUR: i64 = 3600;
    /// One day, in seconds.
    pub const DAY: i64 = 86_400;

    /// This moment plus `seconds`.
    pub fn plus(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }
}

/// The roles people have in Waarborg (DESIGN.md glossary; issue 6 lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An investigating officer who requests searches for a case.
    Requester,
    /// A biometric examiner: searches and proposes a conclusion.
    Examiner,
    /// A biometric expert who independently verifies a proposal.
    Verifier,
    /// Manages a reference database: enrolment and erasure.
    ReferenceDatabaseManager,
    /// Proposes a deployment of face recognition.
    Applicant,
    /// A member of the independent review committee.
    ReviewCommitteeMember,
    /// The chief of police (korpschef), who ratifies or refuses.
    ChiefOfPolice,
    /// A portfolio holder (Digitalisation, or Ethics & Privacy) who approves experiments.
    PortfolioHolder,
    /// The competent authority (public prosecutor, investigating judge, mayor).
    CompetentAuthority,
    /// The privacy officer.
    PrivacyOfficer,
    /// Reads everything, changes nothing.
    Auditor,
    /// Manages accounts; no biometric or governance decisions.
    Administrator,
    /// Keeps the competence register: examiners' and verifiers' qualifications and
    /// authorisations.
    CompetenceAdministrator,
    /// Coordinates verification: assigns verifiers, resolves disputes by consultation,
    /// plants proficiency tests.
    Coordinator,
}

impl Role {
    /// Every role, for exhaustive tests and listings.
    pub const ALL: [Role; 14] = [
        Role::Requester,
        Role::Examiner,
        Role::Verifier,
        Role::ReferenceDatabaseManager,
        Role::Applicant,
        Role::ReviewCommitteeMember,
        Role::ChiefOfPolice,
        Role::PortfolioHolder,
        Role::CompetentAuthority,
        Role::PrivacyOfficer,
        Role::Auditor,
        Role::Administrator,
        Role::CompetenceAdministrator,
        Role::Coordinator,
    ];

    /// The name used in files, the ledger and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Examiner => "examiner",
            Role::Verifier => "verifier",
            Role::ReferenceDatabaseManager => "reference_database_manager",
            Role::Applicant => "applicant",
            Role::ReviewCommitteeMember => "review_committee_member",
            Role::ChiefOfPolice => "chief_of_police",
            Role::PortfolioHolder => "portfolio_holder",
            Role::CompetentAuthority => "competent_authority",
            Role::PrivacyOfficer => "privacy_officer",
            Role::Auditor => "auditor",
            Role::Administrator => "administrator",
            Role::CompetenceAdministrator => "competence_administrator",
            Role::Coordinator => "coordinator",
        }
    }

    /// Parses [`Role::as_str`]'s names.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// Which portfolio a portfolio holder holds (working rules of 2020: experiments need both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Portfolio {
    /// Digitalisation.
    Digitalisation,
    /// Ethics & Privacy.
    EthicsAndPrivacy,
}

/// A person acting in one role, with what the rules need to know about them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Pseudonymous user id.
    pub user: String,
    /// The role they act in now.
    pub role: Role,
    /// Their organisational unit (committee members must not belong to the deploying unit).
    pub unit: String,
    /// For portfolio holders: which portfolio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portfolio: Option<Portfolio>,
    /// For the competent authority: which authority they are (a case request names the
    /// kind that must decide it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<crate::case::AuthorityKind>,
}

impl Actor {
    /// An actor without a portfolio.
    pub fn new(user: &str, role: Role, unit: &str) -> Actor {
        Actor {
            user: user.to_string(),
            role,
            unit: unit.to_string(),
            portfolio: None,
            authority: None,
        }
    }

    /// The same person acting as authority `kind` (a competent authority's account says
    /// which it is).
    pub fn acting_as(self, kind: crate::case::AuthorityKind) -> Actor {
        Actor {
            authority: Some(kind),
            ..self
        }
    }
}
