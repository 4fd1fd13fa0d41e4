//! Reference images and their provenance (invariant 6): where an image came from, on what
//! legal basis, of which (pseudonymous) person, for which offence — the facts the retention
//! rules need, and nothing more.
//!
//! A source kind is a closed list: there is no kind for images fetched from the internet,
//! so such an image cannot be enrolled at all.
//!
//! ```
//! use waarborg_govern::reference::{Provenance, SourceKind};
//! use waarborg_govern::Timestamp;
//!
//! let p = Provenance {
//!     source_kind: SourceKind::CustodyPhoto,
//!     legal_basis: "Wet politiegegevens art. 8".into(),
//!     person: "P-000042".into(),
//!     offence: "burglary".into(),
//!     max_sentence_years: 6,
//!     sexual_offence: false,
//!     captured_at: Timestamp::parse("2026-03-01").unwrap(),
//!     capturing_unit: "unit-amsterdam".into(),
//! };
//! assert!(p.validate(Timestamp::parse("2026-11-22").unwrap()).is_ok());
//! assert!(p.validate(Timestamp::parse("2026-02-01").unwrap()).is_err()); // captured in the future
//! ```

use serde::{Deserialize, Serialize};

use crate::actor::Timestamp;
use crate::retention::{PersonEvent, ReferenceFacts};

/// Where a reference image came from. Closed: nothing fetched from the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A photo taken in custody (strafvorderlijke foto; Wet politiegegevens art. 8/13).
    CustodyPhoto,
    /// A photo from alien registration (Vreemdelingenwet).
    AlienRegistration,
}

impl SourceKind {
    /// All kinds, for messages and forms.
    pub const ALL: [SourceKind; 2] = [SourceKind::CustodyPhoto, SourceKind::AlienRegistration];

    /// The stable name (`custody_photo`, ...), as retention rules name it.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::CustodyPhoto => "custody_photo",
            SourceKind::AlienRegistration => "alien_registration",
        }
    }

    /// Parses a stable name; the error lists the kinds there are.
    pub fn parse(name: &str) -> Result<SourceKind, String> {
        SourceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown source kind {name:?}; the kinds are {} (images from the internet cannot be enrolled)",
                    known.join(", ")
                )
            })
    }
}

/// The provenance recorded with every reference image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Where it came from.
    pub source_kind: SourceKind,
    /// The legal basis for keeping it.
    pub legal_basis: String,
    /// Pseudonymous person record (no names: the police systems hold those).
    pub person: String,
    /// The offence (category) the image was taken for.
    pub offence: String,
    /// The offence's maximum sentence, in years.
    pub max_sentence_years: u32,
    /// Whether it is a sexual offence (longer retention).
    #[serde(default)]
    pub sexual_offence: bool,
    /// When the image was captured.
    pub captured_at: Timestamp,
    /// The unit that captured it.
    pub capturing_unit: String,
}

/// The longest field text accepted (keeps records minimal and rows small).
pub const MAX_FIELD: usize = 200;

impl Provenance {
    /// Checks the provenance at `now`: every field present, within limits, no capture in the
    /// future. The error names the field.
    pub fn validate(&self, now: Timestamp) -> Result<(), String> {
        for (field, value) in [
            ("legal_basis", &self.legal_basis),
            ("person", &self.person),
            ("offence", &self.offence),
            ("capturing_unit", &self.capturing_unit),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{field} is missing"));
            }
            if value.len() > MAX_FIELD {
                return Err(format!("{field} is longer than {MAX_FIELD} bytes"));
            }
            if value.chars().any(char::is_control) {
                return Err(format!("{field} contains control characters"));
            }
        }
        if !crate::is_key(&self.person.to_ascii_lowercase()) {
            return Err(format!(
                "person {:?} is not a pseudonymous key (letters, digits, '-' and '_', at most 64)",
                self.person
            ));
        }
        if self.captured_at > now {
            return Err(format!(
                "captured_at is in the future: {} (now is {now})",
                self.captured_at
            ));
        }
        if self.max_sentence_years > 100 {
            return Err(format!(
                "max_sentence_years {} is not a sentence in years",
                self.max_sentence_years
            ));
        }
        Ok(())
    }

    /// The facts the retention rules weigh, given what is known of the person.
    pub fn retention_facts(
        &self,
        events: Vec<(PersonEvent, Timestamp)>,
        other_open_case: bool,
    ) -> ReferenceFacts {
        ReferenceFacts {
            source_kind: self.source_kind.as_str().to_string(),
            max_sentence_years: self.max_sentence_years,
            sexual_offence: self.sexual_offence,
            captured_at: self.captured_at,
            events,
            other_open_case,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Provenance {
        Provenance {
            source_kind: SourceKind::CustodyPhoto,
            legal_basis: "Wpg art. 8".into(),
            person: "P-1".into(),
            offence: "theft".into(),
            max_sentence_years: 4,
            sexual_offence: false,
            captured_at: Timestamp(1_000),
            capturing_unit: "u".into(),
        }
    }

    type Change = Box<dyn Fn(&mut Provenance)>;

    #[test]
    fn each_defect_is_named() {
        let now = Timestamp(2_000);
        assert!(sample().validate(now).is_ok());
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|p| p.legal_basis.clear()),
                "legal_basis is missing",
            ),
            (Box::new(|p| p.person = " ".into()), "person is missing"),
            (
                Box::new(|p| p.person = "a b".into()),
                "not a pseudonymous key",
            ),
            (
                Box::new(|p| p.offence = "x".repeat(201)),
                "offence is longer",
            ),
            (Box::new(|p| p.capturing_unit = "a\nb".into()), "control"),
            (
                Box::new(|p| p.captured_at = Timestamp(2_001)),
                "in the future",
            ),
            (Box::new(|p| p.max_sentence_years = 500), "not a sentence"),
        ];
        for (change, expected) in cases {
            let mut p = sample();
            change(&mut p);
            let err = p.validate(now).unwrap_err();
            assert!(err.contains(expected), "{err} should say {expected}");
        }
    }

    #[test]
    fn internet_images_have_no_source_kind() {
        let err = SourceKind::parse("internet").unwrap_err();
        assert!(err.contains("custody_photo, alien_registration"), "{err}");
        assert_eq!(
            SourceKind::parse("custody_photo"),
            Ok(SourceKind::CustodyPhoto)
        );
    }
}
