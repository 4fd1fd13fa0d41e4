//! The structured comparison of a probe face with one candidate, feature by feature, after
//! FISWG's *Facial Image Comparison Feature List for Morphological Analysis* (version 2.0,
//! 2018-09-11; its components from the top of the face to the bottom).
//!
//! Every feature is marked — similar, dissimilar or not assessable — before a conclusion
//! rests on the comparison: a form with a feature left open is refused whole
//! ([`Rule::FeatureUnmarked`]), so no half-filled comparison is ever kept. The list is
//! stored with the keys, so a later list still reads an earlier comparison.

use serde::{Deserialize, Serialize};

use crate::rule::Rule;

/// The feature list's name, kept with each comparison.
pub const FEATURE_LIST: &str = "fiswg-2.0-2018";

/// The features compared, by their stable keys (the texts are `feature_<key>` in the
/// Fluent files), from the top of the face to the bottom as FISWG orders them.
pub const FEATURES: [&str; 18] = [
    "skin",
    "face_head_outline",
    "face_head_composition",
    "hair",
    "forehead",
    "eyebrows",
    "eyes",
    "cheeks",
    "nose",
    "ears",
    "mouth",
    "chin_jawline",
    "neck",
    "facial_hair",
    "facial_lines",
    "scars",
    "facial_marks",
    "alterations",
];

/// The longest note on one feature, in characters.
pub const MAX_FEATURE_NOTE_CHARS: usize = 2_000;

/// How one feature of the two faces compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assessment {
    /// The feature looks alike in both.
    Similar,
    /// The feature differs.
    Dissimilar,
    /// Not visible or not clear enough in one of the images.
    NotAssessable,
}

impl Assessment {
    /// The stable name (`similar`, `dissimilar`, `not_assessable`).
    pub fn as_str(self) -> &'static str {
        match self {
            Assessment::Similar => "similar",
            Assessment::Dissimilar => "dissimilar",
            Assessment::NotAssessable => "not_assessable",
        }
    }

    /// Reads a stable name.
    pub fn parse(s: &str) -> Option<Assessment> {
        [
            Assessment::Similar,
            Assessment::Dissimilar,
            Assessment::NotAssessable,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One feature marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureMark {
    /// The feature's key ([`FEATURES`]).
    pub feature: String,
    /// How it compares.
    pub assessment: Assessment,
    /// What was seen (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
}

/// The comparison of the probe face with one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureComparison {
    /// The candidate compared (its reference image).
    pub reference: u64,
    /// The feature list followed ([`FEATURE_LIST`]).
    pub list: String,
    /// Every feature of the list, marked, in the list's order.
    pub features: Vec<FeatureMark>,
}

impl FeatureComparison {
    /// A comparison of candidate `reference` from the marks given, in any order: refused
    /// unless every feature of [`FEATURES`] is marked exactly once and no other is named.
    pub fn new(reference: u64, marks: Vec<FeatureMark>) -> Result<FeatureComparison, Rule> {
        for m in &marks {
            if !FEATURES.contains(&m.feature.as_str()) {
                return Err(Rule::FeatureUnknown {
                    feature: m.feature.clone(),
                });
            }
            if m.notes.chars().count() > MAX_FEATURE_NOTE_CHARS {
                return Err(Rule::FeatureNoteTooLong {
                    feature: m.feature.clone(),
                });
            }
        }
        let mut features = Vec::with_capacity(FEATURES.len());
        for key in FEATURES {
            let mut marked = marks.iter().filter(|m| m.feature == key);
            let mark = marked.next().ok_or_else(|| Rule::FeatureUnmarked {
                feature: key.to_string(),
            })?;
            if marked.next().is_some() {
                return Err(Rule::FeatureMarkedTwice {
                    feature: key.to_string(),
                });
            }
            features.push(FeatureMark {
                notes: mark.notes.trim().to_string(),
                ..mark.clone()
            });
        }
        Ok(FeatureComparison {
            reference,
            list: FEATURE_LIST.to_string(),
            features,
        })
    }

    /// How many features were marked `assessment`.
    pub fn count(&self, assessment: Assessment) -> usize {
        self.features
            .iter()
            .filter(|f| f.assessment == assessment)
            .count()
    }

    /// Refuses a comparison of another candidate than the one a conclusion names.
    pub fn check_names(&self, reference: Option<u64>) -> Result<(), Rule> {
        match reference {
            Some(r) if r != self.reference => Err(Rule::ComparisonOfAnotherCandidate {
                compared: self.reference,
                named: r,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(assessment: Assessment) -> Vec<FeatureMark> {
        FEATURES
            .iter()
            .map(|f| FeatureMark {
                feature: f.to_string(),
                assessment,
                notes: String::new(),
            })
            .collect()
    }

    /// One row per refusal: each changes one thing from a complete form.
    #[test]
    fn every_refusal_of_a_comparison_has_a_row() {
        let complete = all(Assessment::Similar);
        let mut unmarked = complete.clone();
        unmarked.retain(|m| m.feature != "ears");
        let mut twice = complete.clone();
        twice.push(FeatureMark {
            feature: "nose".into(),
            assessment: Assessment::Dissimilar,
            notes: String::new(),
        });
        let mut unknown = complete.clone();
        unknown.push(FeatureMark {
            feature: "aura".into(),
            assessment: Assessment::Similar,
            notes: String::new(),
        });
        let mut long = complete.clone();
        long[3].notes = "x".repeat(MAX_FEATURE_NOTE_CHARS + 1);
        let rows: Vec<(&str, Vec<FeatureMark>, &str)> = vec![
            ("a feature left open", unmarked, "feature_unmarked"),
            ("nothing marked", Vec::new(), "feature_unmarked"),
            ("a feature marked twice", twice, "feature_marked_twice"),
            ("a feature not on the list", unknown, "feature_unknown"),
            ("a note too long", long, "feature_note_too_long"),
        ];
        for (name, marks, code) in rows {
            let refused = FeatureComparison::new(7, marks).expect_err(name);
            assert_eq!(refused.code(), code, "{name}");
        }
        let c = FeatureComparison::new(7, complete).unwrap();
        assert_eq!(
            c.check_names(Some(8)).unwrap_err().code(),
            "comparison_of_another_candidate"
        );
        assert!(c.check_names(Some(7)).is_ok() && c.check_names(None).is_ok());
    }

    #[test]
    fn a_complete_form_is_kept_in_the_lists_order_with_its_counts() {
        let mut marks = all(Assessment::NotAssessable);
        marks.reverse();
        marks[0].assessment = Assessment::Dissimilar; // alterations
        marks[1].notes = "  mole left cheek  ".into(); // facial_marks
        let c = FeatureComparison::new(3, marks).unwrap();
        let keys: Vec<&str> = c.features.iter().map(|f| f.feature.as_str()).collect();
        assert_eq!(keys, FEATURES);
        assert_eq!(c.count(Assessment::Dissimilar), 1);
        assert_eq!(c.count(Assessment::NotAssessable), FEATURES.len() - 1);
        assert_eq!(c.features[16].notes, "mole left cheek");
        assert_eq!(c.list, FEATURE_LIST);
        for a in [
            Assessment::Similar,
            Assessment::Dissimilar,
            Assessment::NotAssessable,
        ] {
            assert_eq!(Assessment::parse(a.as_str()), Some(a));
        }
        assert_eq!(Assessment::parse("maybe"), None);
    }
}
