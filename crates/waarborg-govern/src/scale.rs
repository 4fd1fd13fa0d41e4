//! The conclusion scale examiners and verifiers use (ENFSI BPM-DI-01, FISWG): graded
//! levels of support, as framework data with their texts in Dutch and English.
//!
//! Every level has a tendency, and the tendency fixes what a conclusion on it says about the
//! candidate list:
//!
//! | tendency    | names a candidate | the conclusion                                   |
//! |-------------|-------------------|--------------------------------------------------|
//! | `support`   | required          | this candidate is the person (support as graded) |
//! | `neutral`   | never             | inconclusive                                     |
//! | `exclusion` | never             | none of the candidates is the person             |
//!
//! A level not on the framework's scale, a supporting level without a candidate, or a
//! neutral or excluding level with one, is refused (`not_on_scale`, `level_needs_candidate`,
//! `level_names_no_candidate`).

use serde::{Deserialize, Serialize};

use crate::identification::Conclusion;
use crate::rule::Rule;

/// Which way a level points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tendency {
    /// Supports that a named candidate is the person.
    Support,
    /// Neither.
    Neutral,
    /// Supports that none of the candidates is the person.
    Exclusion,
}

/// One level of the scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Stable key (e.g. `identification_support_strong`).
    pub key: String,
    /// Which way it points.
    pub tendency: Tendency,
    /// The text in English.
    pub en: String,
    /// The text in Dutch.
    pub nl: String,
}

impl Level {
    /// The text in `lang` (`nl`, else English).
    pub fn text(&self, lang: &str) -> &str {
        if lang == "nl" {
            &self.nl
        } else {
            &self.en
        }
    }
}

/// The graded scale, strongest support first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConclusionScale {
    /// The levels, in the order shown.
    pub levels: Vec<Level>,
}

impl Default for ConclusionScale {
    fn default() -> Self {
        ConclusionScale::enfsi()
    }
}

impl ConclusionScale {
    /// The default: ENFSI-style, three levels of support either way and inconclusive.
    pub fn enfsi() -> ConclusionScale {
        let level = |key: &str, tendency, en: &str, nl: &str| Level {
            key: key.into(),
            tendency,
            en: en.into(),
            nl: nl.into(),
        };
        use Tendency::*;
        ConclusionScale {
            levels: vec![
                level(
                    "identification_support_strong",
                    Support,
                    "Strong support that the candidate is the person in the probe",
                    "Sterke steun dat de kandidaat de persoon op het sporenbeeld is",
                ),
                level(
                    "identification_support_moderate",
                    Support,
                    "Moderate support that the candidate is the person in the probe",
                    "Matige steun dat de kandidaat de persoon op het sporenbeeld is",
                ),
                level(
                    "identification_support_limited",
                    Support,
                    "Limited support that the candidate is the person in the probe",
                    "Beperkte steun dat de kandidaat de persoon op het sporenbeeld is",
                ),
                level(
                    "inconclusive",
                    Neutral,
                    "Inconclusive: the comparison supports neither",
                    "Geen conclusie: de vergelijking ondersteunt geen van beide",
                ),
                level(
                    "exclusion_support_limited",
                    Exclusion,
                    "Limited support that none of the candidates is the person",
                    "Beperkte steun dat geen van de kandidaten de persoon is",
                ),
                level(
                    "exclusion_support_moderate",
                    Exclusion,
                    "Moderate support that none of the candidates is the person",
                    "Matige steun dat geen van de kandidaten de persoon is",
                ),
                level(
                    "exclusion_support_strong",
                    Exclusion,
                    "Strong support that none of the candidates is the person",
                    "Sterke steun dat geen van de kandidaten de persoon is",
                ),
            ],
        }
    }

    /// Checks a scale before its framework is imported: keys unique and well-formed, texts
    /// in both languages, and at least one level of each tendency.
    pub fn validate(&self) -> Result<(), String> {
        let mut keys = std::collections::HashSet::new();
        for l in &self.levels {
            if !crate::is_key(&l.key) || !keys.insert(l.key.as_str()) {
                return Err(format!(
                    "conclusion level {:?} must be a unique lowercase key",
                    l.key
                ));
            }
            if l.en.trim().is_empty() || l.nl.trim().is_empty() {
                return Err(format!(
                    "conclusion level {} needs its text in English and Dutch",
                    l.key
                ));
            }
        }
        for t in [Tendency::Support, Tendency::Neutral, Tendency::Exclusion] {
            if !self.levels.iter().any(|l| l.tendency == t) {
                return Err(format!("the conclusion scale has no {t:?} level"));
            }
        }
        Ok(())
    }

    /// The level `key`, if on the scale.
    pub fn level(&self, key: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.key == key)
    }

    /// The conclusion that level `key`, with `reference` named or not, states (the table in
    /// the module's docs).
    pub fn conclusion(&self, key: &str, reference: Option<u64>) -> Result<Conclusion, Rule> {
        let level = self.level(key).ok_or_else(|| Rule::NotOnScale {
            level: key.chars().take(64).collect(),
        })?;
        match (level.tendency, reference) {
            (Tendency::Support, Some(reference)) => Ok(Conclusion::Candidate { reference }),
            (Tendency::Support, None) => Err(Rule::LevelNeedsCandidate),
            (_, Some(_)) => Err(Rule::LevelNamesNoCandidate),
            (Tendency::Neutral, None) => Ok(Conclusion::Inconclusive),
            (Tendency::Exclusion, None) => Ok(Conclusion::NoIdentification),
        }
    }
}
