//! The labelled set: a CSV manifest, one image per row.
//!
//! ```text
//! path,identity,group,x1,y1,x2,y2
//! faces/a1.jpg,person-17,,,,,
//! faces/a2.jpg,person-17,group-b,10,12,140,170
//! ```
//!
//! `path` (relative to the manifest's folder) and `identity` are required; `group` is
//! optional, and so is a face box (`x1,y1,x2,y2` in the image's pixels) that says which face
//! is meant when an image shows more than one. A header row is recognised by its first field,
//! `path`. The data set's hash covers every row and every image's bytes, so an evaluation
//! names exactly what it measured.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::EvalError;

/// One row of the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The path as written.
    pub path: String,
    /// The path resolved against the manifest's folder.
    pub file: PathBuf,
    /// Who the image shows.
    pub identity: String,
    /// The group, if given.
    pub group: Option<String>,
    /// The face meant, if given.
    pub face_box: Option<[f32; 4]>,
}

/// Reads a manifest; a malformed row is an error that names it.
pub fn read_manifest(manifest: &Path) -> Result<Vec<Row>, EvalError> {
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(manifest)
        .map_err(|e| EvalError::Manifest(format!("cannot read {}: {e}", manifest.display())))?;
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let record = record
            .map_err(|e| EvalError::Manifest(format!("{} line {line}: {e}", manifest.display())))?;
        if line == 1 && record.get(0) == Some("path") {
            continue;
        }
        let field = |k: usize| record.get(k).filter(|v| !v.is_empty());
        let (Some(path), Some(identity)) = (field(0), field(1)) else {
            return Err(EvalError::Manifest(format!(
                "{} line {line}: a row needs at least path,identity",
                manifest.display()
            )));
        };
        let face_box = match (field(3), field(4), field(5), field(6)) {
            (None, None, None, None) => None,
            (Some(a), Some(b), Some(c), Some(d)) => {
                let mut v = [0f32; 4];
                for (slot, text) in v.iter_mut().zip([a, b, c, d]) {
                    *slot = text
                        .parse()
                        .ok()
                        .filter(|x: &f32| x.is_finite())
                        .ok_or_else(|| {
                            EvalError::Manifest(format!(
                                "{} line {line}: the face box {text:?} is not a number",
                                manifest.display()
                            ))
                        })?;
                }
                if v[2] <= v[0] || v[3] <= v[1] {
                    return Err(EvalError::Manifest(format!(
                        "{} line {line}: the face box needs x2 > x1 and y2 > y1",
                        manifest.display()
                    )));
                }
                Some(v)
            }
            _ => {
                return Err(EvalError::Manifest(format!(
                    "{} line {line}: a face box needs all four of x1,y1,x2,y2",
                    manifest.display()
                )))
            }
        };
        rows.push(Row {
            path: path.to_string(),
            file: base.join(path),
            identity: identity.to_string(),
            group: field(2).map(str::to_string),
            face_box,
        });
    }
    if rows.is_empty() {
        return Err(EvalError::Manifest(format!(
            "{} lists no images",
            manifest.display()
        )));
    }
    Ok(rows)
}

/// The data set's SHA-256: over each row's path, identity, group and box and its image's
/// SHA-256 (`None`: the image could not be read), in manifest order.
pub fn dataset_sha256(rows: &[Row], image_sha256: &[Option<String>]) -> String {
    let mut h = Sha256::new();
    for (row, image) in rows.iter().zip(image_sha256) {
        let line = format!(
            "{}\t{}\t{}\t{:?}\t{}\n",
            row.path,
            row.identity,
            row.group.as_deref().unwrap_or(""),
            row.face_box,
            image.as_deref().unwrap_or("unreadable")
        );
        h.update(line.as_bytes());
    }
    hex(&h.finalize())
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of bytes, as hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Overlap (intersection over union) of two boxes.
pub fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: [f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    let union = area(a) + area(b) - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// Which of the detected faces (boxes) a row means: the only one, or the one that overlaps
/// its box most (at least 0.3). `Err` says why none is chosen.
pub fn choose_face(row: &Row, boxes: &[[f32; 4]]) -> Result<usize, String> {
    match (row.face_box, boxes.len()) {
        (_, 0) => Err("no face found".into()),
        (None, 1) => Ok(0),
        (None, n) => Err(format!(
            "{n} faces found; give the face's box (x1,y1,x2,y2) in the manifest"
        )),
        (Some(want), _) => boxes
            .iter()
            .enumerate()
            .map(|(i, b)| (i, iou(want, *b)))
            .filter(|(_, o)| *o >= 0.3)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
            .ok_or_else(|| "no detected face overlaps the box given".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Result<Vec<Row>, EvalError> {
        let dir = std::env::temp_dir().join(format!("waarborg-eval-set-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("m{}.csv", text.len()));
        std::fs::write(&file, text).unwrap();
        read_manifest(&file)
    }

    #[test]
    fn rows_with_and_without_header_group_and_box() {
        let rows = manifest("path,identity,group\na.jpg,p1\nb.jpg, p1 ,g,1,2,30,40\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].group, None);
        assert_eq!(rows[1].identity, "p1");
        assert_eq!(rows[1].face_box, Some([1.0, 2.0, 30.0, 40.0]));
        assert!(rows[0].file.ends_with("a.jpg"));
    }

    #[test]
    fn malformed_rows_are_named() {
        for (text, says) in [
            ("a.jpg\n", "line 1: a row needs at least path,identity"),
            ("a.jpg,p,,1,2\n", "all four"),
            ("a.jpg,p,,1,2,x,4\n", "not a number"),
            ("a.jpg,p,,5,5,1,1\n", "x2 > x1"),
            ("path,identity\n", "lists no images"),
        ] {
            let err = manifest(text).unwrap_err().to_string();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }

    #[test]
    fn the_face_meant_is_the_only_one_or_the_one_the_box_overlaps() {
        let row = |b| Row {
            path: "a".into(),
            file: "a".into(),
            identity: "p".into(),
            group: None,
            face_box: b,
        };
        let boxes = [[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0]];
        assert_eq!(choose_face(&row(None), &boxes[..1]), Ok(0));
        assert!(choose_face(&row(None), &boxes)
            .unwrap_err()
            .contains("2 faces"));
        assert_eq!(
            choose_face(&row(Some([19.0, 1.0, 29.0, 11.0])), &boxes),
            Ok(1)
        );
        assert!(choose_face(&row(Some([50.0, 50.0, 60.0, 60.0])), &boxes).is_err());
        assert!(choose_face(&row(None), &[])
            .unwrap_err()
            .contains("no face"));
    }

    #[test]
    fn the_data_set_hash_changes_with_a_label_or_an_image() {
        let rows = manifest("a.jpg,p1\nb.jpg,p1\n").unwrap();
        let imgs = vec![Some("aa".to_string()), Some("bb".to_string())];
        let h = dataset_sha256(&rows, &imgs);
        let mut relabelled = rows.clone();
        relabelled[1].identity = "p2".into();
        assert_ne!(dataset_sha256(&relabelled, &imgs), h);
        assert_ne!(dataset_sha256(&rows, &[imgs[0].clone(), None]), h);
        assert_eq!(dataset_sha256(&rows, &imgs), h);
    }
}
