//! Synthetic persons and templates (no images) for exercising a database the size of CATCH
//! (about 1.3 million persons, 2.6 million templates): search speed, retention runs, paging.
//! Records are marked synthetic (no image is stored; their quality note says so) and their
//! enrolment is one ledger entry per chunk.

use waarborg_govern::reference::{Provenance, SourceKind};
use waarborg_govern::Timestamp;
use waarborg_index::NewTemplate;
use waarborg_ledger::{BiometricOperation, Event, Operation};
use waarborg_store::ReferenceRecord;

use crate::{database_for, ReferenceDb, Result};

/// Deterministic synthetic template number `i`: a random unit direction (not a face).
pub fn template(i: u64, out: &mut [f32]) {
    let mut s = i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for x in out.iter_mut() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // Sum of two uniforms: cheap, symmetric, enough spread for search and scale tests.
        let (a, b) = ((r >> 40) as f32, ((r >> 16) & 0xFF_FFFF) as f32);
        *x = (a + b) / (1u64 << 24) as f32 - 1.0;
    }
    normalise(out);
}

/// Scales `v` to unit length (as templates are).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt() as f32;
    v.iter_mut().for_each(|x| *x /= norm);
}

/// A cheap deterministic number in `0..n` from `i` and a salt.
fn pick(i: u64, salt: u64, n: u64) -> u64 {
    let mut z = i.wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % n.max(1)
}

/// The synthetic provenance of person `p`'s image: a spread of offences, sentences and
/// capture dates over the last 40 years, so retention rules have work to do.
pub fn provenance(p: u64, now: Timestamp) -> Provenance {
    let alien = pick(p, 1, 10) == 0;
    let sentence = [1, 2, 4, 6, 8, 12][pick(p, 2, 6) as usize];
    let years_ago = pick(p, 3, 40) as i64;
    Provenance {
        source_kind: if alien {
            SourceKind::AlienRegistration
        } else {
            SourceKind::CustodyPhoto
        },
        legal_basis: if alien {
            "Vreemdelingenwet art. 106a"
        } else {
            "Wet politiegegevens art. 8"
        }
        .into(),
        person: format!("SYN-{p:08}"),
        offence: if alien {
            "none"
        } else {
            match sentence {
                1 => "shoplifting",
                2 => "vandalism",
                4 => "theft",
                6 => "burglary",
                8 => "robbery",
                _ => "armed robbery",
            }
        }
        .into(),
        max_sentence_years: if alien { 0 } else { sentence },
        sexual_offence: !alien && pick(p, 4, 50) == 0,
        captured_at: now
            .plus(-years_ago * 365 * Timestamp::DAY - pick(p, 5, 365) as i64 * Timestamp::DAY),
        capturing_unit: format!("unit-{}", pick(p, 6, 25)),
    }
}

/// Adds `persons` synthetic persons with `per_person` templates each; returns the number of
/// templates. `progress` is called with the templates written so far.
pub fn generate(
    db: &ReferenceDb,
    persons: u64,
    per_person: u64,
    now: Timestamp,
    user: &str,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    const CHUNK: u64 = 65_536;
    let total = persons * per_person;
    let first = db.store.reserve_reference_ids(total)?;
    let mut vectors = vec![0f32; CHUNK as usize * waarborg_index::DIM];
    let mut done = 0;
    while done < total {
        let n = CHUNK.min(total - done);
        let mut records = Vec::with_capacity(n as usize);
        for k in 0..n {
            let id = first + done + k;
            let p = (done + k) / per_person;
            let prov = provenance(p + first, now);
            template(
                id,
                &mut vectors[k as usize * waarborg_index::DIM..][..waarborg_index::DIM],
            );
            records.push(ReferenceRecord {
                id,
                database: database_for(prov.source_kind).to_string(),
                provenance: prov,
                image_sha256: String::new(),
                enrolled_at: now,
                enrolled_by: user.to_string(),
                quality: "synthetic (no image)".into(),
                duplicate: None,
                erasing: None,
            });
        }
        for database in ["criminal", "aliens"] {
            let rows: Vec<NewTemplate> = records
                .iter()
                .enumerate()
                .filter(|(_, r)| r.database == database)
                .map(|(k, r)| NewTemplate {
                    id: r.id,
                    owner: r.id,
                    vector: &vectors[k * waarborg_index::DIM..][..waarborg_index::DIM],
                })
                .collect();
            if !rows.is_empty() {
                db.index.insert(database, &rows)?;
            }
        }
        let at = waarborg_ledger::entry::now();
        let entry = Event::BiometricOperation(BiometricOperation {
            operation: Operation::Enrol,
            started: at.clone(),
            ended: at,
            user: user.to_string(),
            role: "reference_database_manager".into(),
            deployment_revision: None,
            case_authorisation: None,
            reference_database: None,
            input_sha256: None,
            verifiers: Vec::new(),
            model_sha256: Vec::new(),
            outcome: format!(
                "synthetic scale data: reference images {}..={} (no images)",
                first + done,
                first + done + n - 1
            ),
            best_score_milli: None,
        });
        let ledger = db.ledger;
        db.store.add_references(&records, &[], &mut || {
            ledger
                .append(entry.clone())
                .map(|r| vec![waarborg_store::LedgerMark::from(&r)])
                .map_err(|e| e.to_string())
        })?;
        done += n;
        progress(done);
    }
    Ok(total)
}

/// Writes an import set made from real photos: every sufficient face of each photo in
/// `photos`, cropped with a margin (and, with `variants` > 1, mirrored and rescaled copies:
/// the same person, other bytes) as JPEG files in `out`, and a `manifest.csv` giving each a
/// pseudonymous person and a spread of provenance. Returns the number of images written.
pub fn sample_set(
    engine: &waarborg_face::FaceEngine,
    photos: &[std::path::PathBuf],
    out: &std::path::Path,
    variants: usize,
    now: Timestamp,
) -> Result<usize> {
    use std::fmt::Write as _;
    let io = |context: String| move |source| crate::RefDbError::Io { context, source };
    std::fs::create_dir_all(out).map_err(io(format!("creating {}", out.display())))?;
    let mut manifest = String::from(
        "file,person,source_kind,legal_basis,offence,max_sentence_years,captured_at,capturing_unit,sexual_offence\n",
    );
    let mut n = 0usize;
    for (p, photo) in photos.iter().enumerate() {
        let image = waarborg_face::decode::decode_file(photo, &Default::default())
            .map_err(|e| crate::RefDbError::Rejected(format!("{}: {e}", photo.display())))?;
        let faces = engine.analyze(&image, false)?;
        for (f, face) in faces.iter().filter(|f| f.quality.sufficient).enumerate() {
            let [x1, y1, x2, y2] = face.bbox;
            let (w, h) = (x2 - x1, y2 - y1);
            let (cx, cy) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
            let half = w.max(h) * 0.9;
            let left = (cx - half).max(0.0) as u32;
            let top = (cy - half).max(0.0) as u32;
            let right = ((cx + half) as u32).min(image.width());
            let bottom = ((cy + half) as u32).min(image.height());
            let crop =
                image::imageops::crop_imm(&image, left, top, right - left, bottom - top).to_image();
            let person = format!("DEMO-{p}{f:02}");
            let key = p as u64 * 100 + f as u64;
            // Recent captures: an import set should not be due for erasure on arrival.
            let prov = Provenance {
                captured_at: now.plus(-((key % 15) as i64 * 365 + 30) * Timestamp::DAY),
                ..provenance(key, now)
            };
            for v in 0..variants.max(1) {
                let variant = match v % 3 {
                    0 if v == 0 => crop.clone(),
                    0 => image::imageops::resize(
                        &crop,
                        crop.width() * 9 / 10,
                        crop.height() * 9 / 10,
                        image::imageops::FilterType::Triangle,
                    ),
                    1 => image::imageops::flip_horizontal(&crop),
                    _ => image::imageops::resize(
                        &crop,
                        crop.width() * 11 / 10,
                        crop.height() * 11 / 10,
                        image::imageops::FilterType::Triangle,
                    ),
                };
                let file = format!("face-{p}-{f:02}-{v}.jpg");
                let mut bytes = Vec::new();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 92 - (v % 5) as u8)
                    .encode_image(&variant)
                    .map_err(|e| crate::RefDbError::Rejected(format!("encoding {file}: {e}")))?;
                std::fs::write(out.join(&file), &bytes).map_err(io(format!("writing {file}")))?;
                let _ = writeln!(
                    manifest,
                    "{file},{person},{},{},{},{},{},{},{}",
                    prov.source_kind.as_str(),
                    prov.legal_basis,
                    prov.offence,
                    prov.max_sentence_years,
                    prov.captured_at,
                    prov.capturing_unit,
                    prov.sexual_offence
                );
                n += 1;
            }
        }
    }
    std::fs::write(out.join("manifest.csv"), manifest)
        .map_err(io("writing manifest.csv".into()))?;
    Ok(n)
}
