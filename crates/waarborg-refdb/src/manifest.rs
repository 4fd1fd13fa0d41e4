//! Bulk-import manifests: CSV with a header row, or JSON Lines (one object per line).
//!
//! Columns (JSON keys): `file` (relative to the image directory), `person`, `source_kind`,
//! `legal_basis`, `offence`, `max_sentence_years`, `captured_at` (RFC 3339 or a date),
//! `capturing_unit`, and optionally `sexual_offence` (`true`/`false`, `yes`/`no`, `1`/`0`).
//! A CSV without a required column is refused as a whole, naming the columns; a row with a
//! missing or malformed value is rejected with its reason and the rest goes on.

use std::path::{Component, Path, PathBuf};

use waarborg_govern::reference::{Provenance, SourceKind};
use waarborg_govern::Timestamp;

/// Required columns.
pub const REQUIRED: [&str; 8] = [
    "file",
    "person",
    "source_kind",
    "legal_basis",
    "offence",
    "max_sentence_years",
    "captured_at",
    "capturing_unit",
];

/// Optional columns.
pub const OPTIONAL: [&str; 1] = ["sexual_offence"];

/// One manifest row, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRow {
    /// 1-based data row number (CSV: not counting the header; JSONL: line number).
    pub row: u64,
    /// The image file, relative to the image directory.
    pub file: String,
    /// The row's provenance, or why the row cannot be used.
    pub provenance: Result<Provenance, String>,
}

/// A manifest that cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read the manifest {path}: {source}")]
    Io {
        /// The manifest.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Required columns are missing from the header.
    #[error("the manifest lacks the column(s) {missing}; required: {required}")]
    MissingColumns {
        /// Missing columns.
        missing: String,
        /// All required columns.
        required: String,
    },
    /// Not CSV or JSONL as expected.
    #[error("the manifest is malformed: {0}")]
    Malformed(String),
}

/// Parses manifest bytes; `jsonl` chooses JSON Lines over CSV. `now` refuses future dates.
pub fn parse(bytes: &[u8], jsonl: bool, now: Timestamp) -> Result<Vec<ManifestRow>, ManifestError> {
    if jsonl {
        parse_jsonl(bytes, now)
    } else {
        parse_csv(bytes, now)
    }
}

/// Whether a manifest path names JSON Lines (`.jsonl`, `.ndjson`) rather than CSV.
pub fn is_jsonl(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson")
    )
}

fn parse_csv(bytes: &[u8], now: Timestamp) -> Result<Vec<ManifestRow>, ManifestError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ManifestError::Malformed(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(ManifestError::MissingColumns {
            missing: missing.join(", "),
            required: REQUIRED.join(", "),
        });
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i as u64 + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rows.push(ManifestRow {
                    row,
                    file: String::new(),
                    provenance: Err(format!("unreadable CSV row: {e}")),
                });
                continue;
            }
        };
        let get = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|at| record.get(at))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        rows.push(row_from(row, &get, now));
    }
    Ok(rows)
}

fn parse_jsonl(bytes: &[u8], now: Timestamp) -> Result<Vec<ManifestRow>, ManifestError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ManifestError::Malformed(format!("not UTF-8: {e}")))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let row = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
        {
            Ok(o) => o,
            Err(e) => {
                rows.push(ManifestRow {
                    row,
                    file: String::new(),
                    provenance: Err(format!("line {row} is not a JSON object: {e}")),
                });
                continue;
            }
        };
        if let Some(unknown) = object
            .keys()
            .find(|k| !REQUIRED.contains(&k.as_str()) && !OPTIONAL.contains(&k.as_str()))
        {
            rows.push(ManifestRow {
                row,
                file: object
                    .get("file")
                    .and_then(|f| f.as_str())
                    .unwrap_or("")
                    .to_string(),
                provenance: Err(format!("unknown field {unknown:?}")),
            });
            continue;
        }
        let get = |name: &str| match object.get(name) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                Some(s.trim().to_string())
            }
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        };
        rows.push(row_from(row, &get, now));
    }
    Ok(rows)
}

fn row_from(row: u64, get: &dyn Fn(&str) -> Option<String>, now: Timestamp) -> ManifestRow {
    let file = get("file").unwrap_or_default();
    let provenance = provenance_from(get, now).and_then(|p| {
        check_relative(&file)?;
        Ok(p)
    });
    ManifestRow {
        row,
        file,
        provenance,
    }
}

fn provenance_from(
    get: &dyn Fn(&str) -> Option<String>,
    now: Timestamp,
) -> Result<Provenance, String> {
    let need = |name: &str| get(name).ok_or_else(|| format!("{name} is missing"));
    let years = need("max_sentence_years")?;
    let max_sentence_years = years
        .parse::<u32>()
        .map_err(|_| format!("max_sentence_years {years:?} is not a whole number of years"))?;
    let sexual_offence = match get("sexual_offence").as_deref() {
        None | Some("false" | "no" | "0") => false,
        Some("true" | "yes" | "1") => true,
        Some(other) => return Err(format!("sexual_offence {other:?} is not true or false")),
    };
    let captured = need("captured_at")?;
    let provenance = Provenance {
        source_kind: SourceKind::parse(&need("source_kind")?)?,
        legal_basis: need("legal_basis")?,
        person: need("person")?,
        offence: need("offence")?,
        max_sentence_years,
        sexual_offence,
        captured_at: Timestamp::parse(&captured).map_err(|e| format!("captured_at: {e}"))?,
        capturing_unit: need("capturing_unit")?,
    };
    need("file")?;
    provenance.validate(now)?;
    Ok(provenance)
}

/// Refuses a file name that could leave the image directory (absolute, `..`, or empty).
pub fn check_relative(file: &str) -> Result<(), String> {
    let path = Path::new(file);
    if file.is_empty()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(format!(
            "file {file:?} must be a relative path inside the image directory (no '..', not absolute)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "file,person,source_kind,legal_basis,offence,max_sentence_years,captured_at,capturing_unit,sexual_offence";

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-22").unwrap()
    }

    #[test]
    fn csv_rows_each_get_a_reason() {
        let text = format!(
            "{HEADER}\n\
             a.jpg,P-1,custody_photo,Wpg art. 8,theft,4,2024-01-01,unit-a,no\n\
             b.jpg,P-2,internet,Wpg,theft,4,2024-01-01,unit-a,\n\
             c.jpg,P-3,custody_photo,Wpg,theft,4,2030-01-01,unit-a,\n\
             d.jpg,P-4,custody_photo,,theft,4,2024-01-01,unit-a,\n\
             ../e.jpg,P-5,custody_photo,Wpg,theft,4,2024-01-01,unit-a,\n\
             f.jpg,P-6,custody_photo,Wpg,theft,four,2024-01-01,unit-a,\n\
             g.jpg,P-7,custody_photo,Wpg,theft,4,yesterday,unit-a,\n"
        );
        let rows = parse(text.as_bytes(), false, now()).unwrap();
        assert_eq!(rows.len(), 7);
        assert!(rows[0].provenance.is_ok());
        let reasons: Vec<String> = rows[1..]
            .iter()
            .map(|r| r.provenance.clone().unwrap_err())
            .collect();
        for (reason, expected) in reasons.iter().zip([
            "unknown source kind",
            "in the future",
            "legal_basis is missing",
            "relative path",
            "not a whole number",
            "captured_at",
        ]) {
            assert!(reason.contains(expected), "{reason} should say {expected}");
        }
    }

    #[test]
    fn a_missing_column_refuses_the_manifest() {
        let err = parse(b"file,person\na.jpg,P-1\n", false, now()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("source_kind") && text.contains("capturing_unit"),
            "{text}"
        );
    }

    #[test]
    fn jsonl_rows() {
        let text = "{\"file\":\"a.jpg\",\"person\":\"P-1\",\"source_kind\":\"alien_registration\",\"legal_basis\":\"Vw\",\"offence\":\"none\",\"max_sentence_years\":0,\"captured_at\":\"2020-05-01T10:00:00Z\",\"capturing_unit\":\"ind\"}\n\
                    not json\n\
                    {\"file\":\"b.jpg\",\"persn\":\"P-1\"}\n";
        let rows = parse(text.as_bytes(), true, now()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0].provenance.as_ref().unwrap().source_kind,
            SourceKind::AlienRegistration
        );
        assert!(rows[1]
            .provenance
            .as_ref()
            .unwrap_err()
            .contains("not a JSON object"));
        assert!(rows[2]
            .provenance
            .as_ref()
            .unwrap_err()
            .contains("unknown field"));
    }
}
