//! The reference database with the real engine, index, store, vault and ledger: bulk import
//! with a reason for every rejected row, resumption without duplicates, the duplicate-person
//! flag, retention with deletion receipts, and the erasure proof (the erased template's and
//! image's bytes are in no file of the data directory afterwards).

use std::path::{Path, PathBuf};

use waarborg_face::{EngineConfig, EnginePaths, FaceEngine};
use waarborg_govern::reference::{Provenance, SourceKind};
use waarborg_govern::retention::{PersonEvent, RetentionRules};
use waarborg_govern::Timestamp;
use waarborg_index::{Index, IndexConfig};
use waarborg_ledger::{Ledger, NoteSigner};
use waarborg_refdb::enrol::{self, EnrolSettings, Enrolment, Quiet};
use waarborg_refdb::vault::Vault;
use waarborg_refdb::{retention, vault_name, ReferenceDb, ReferenceStore};
use waarborg_seal::{Key, Keyring};
use waarborg_store::{RowOutcome, SqliteStore};

fn engine() -> (FaceEngine, PathBuf) {
    let paths = waarborg_models::ModelCache::from_env()
        .require()
        .unwrap_or_else(|e| panic!("these tests need the real models: {e}"));
    let engine = FaceEngine::load(
        &EnginePaths {
            runtime_library: paths.runtime_library,
            detector: paths.detector,
            recognizer: paths.recognizer,
            detector_input: waarborg_face::Normalisation::SCRFD,
            recognizer_input: waarborg_face::Normalisation::ARCFACE,
        },
        EngineConfig {
            threads: 2,
            workers: 2,
            ..Default::default()
        },
    )
    .unwrap();
    (engine, paths.samples)
}

struct Parts {
    store: SqliteStore,
    index: Index,
    vault: Vault,
    ledger: Ledger,
}

impl Parts {
    fn open(dir: &Path) -> Parts {
        std::fs::create_dir_all(dir).unwrap();
        Parts {
            store: SqliteStore::open(&dir.join("waarborg.sqlite")).unwrap(),
            // A plain index, so the erasure proof below can look for the template's bytes;
            // the service's sealed index erases by the same compaction
            // (waarborg-index/tests/sealed.rs shows sealed files hold no template bytes).
            index: Index::open(&dir.join("index"), IndexConfig::default())
                .unwrap()
                .0,
            vault: Vault::open(
                &dir.join("images"),
                Keyring::new(Key::from_hex(&"42".repeat(32)).unwrap(), Vec::new()),
            )
            .unwrap(),
            ledger: Ledger::open(
                &dir.join("ledger"),
                NoteSigner::generate("test.local/ledger").unwrap(),
            )
            .unwrap()
            .0,
        }
    }

    fn db(&self) -> ReferenceDb<'_> {
        ReferenceDb {
            store: &self.store,
            index: &self.index,
            vault: &self.vault,
            ledger: &self.ledger,
        }
    }
}

fn now() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    )
}

fn who() -> Enrolment {
    Enrolment {
        user: "manager-1".into(),
        role: "reference_database_manager".into(),
        models: Vec::new(),
        now: now(),
        settings: EnrolSettings::default(),
    }
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wb-refdb-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const ROW: &str = "custody_photo,Wet politiegegevens art. 8,theft,4,2024-01-01,unit-a,false";

/// A sample set plus one row for each kind of bad input.
fn import_set(engine: &FaceEngine, samples: &Path, dir: &Path) -> usize {
    let photos: Vec<PathBuf> = waarborg_models::SAMPLE_PHOTOS
        .iter()
        .map(|p| samples.join(p))
        .collect();
    let n = waarborg_refdb::synthetic::sample_set(engine, &photos, dir, 2, now()).unwrap();
    std::fs::write(dir.join("garbage.jpg"), b"not an image at all").unwrap();
    let face = std::fs::read(dir.join("face-0-00-0.jpg")).unwrap();
    std::fs::write(dir.join("truncated.jpg"), &face[..face.len() / 3]).unwrap();
    std::fs::write(dir.join("copy.jpg"), &face).unwrap();
    image::RgbImage::from_pixel(200, 200, image::Rgb([128, 128, 128]))
        .save(dir.join("blank.png"))
        .unwrap();
    std::fs::copy(samples.join("gdp.jpg"), dir.join("group.jpg")).unwrap();
    let mut manifest = std::fs::read_to_string(dir.join("manifest.csv")).unwrap();
    for line in [
        format!("garbage.jpg,P-G,{ROW}"),
        format!("truncated.jpg,P-T,{ROW}"),
        format!("copy.jpg,P-C,{ROW}"),
        format!("blank.png,P-B,{ROW}"),
        format!("group.jpg,P-GR,{ROW}"),
        format!("face-0-00-0.jpg,P-D,{ROW}"),
        format!("absent.jpg,P-A,{ROW}"),
        format!("../outside.jpg,P-O,{ROW}"),
        "future.jpg,P-F,custody_photo,Wpg,theft,4,2099-01-01,unit-a,false".into(),
        "net.jpg,P-N,internet,Wpg,theft,4,2024-01-01,unit-a,false".into(),
        "old.jpg,P-OLD,custody_photo,Wpg,theft,4,1990-01-01,unit-a,false".into(),
        "nolegal.jpg,P-L,custody_photo,,theft,4,2024-01-01,unit-a,false".into(),
    ] {
        manifest.push_str(&line);
        manifest.push('\n');
    }
    std::fs::copy(dir.join("face-0-00-0.jpg"), dir.join("old.jpg")).unwrap();
    std::fs::write(dir.join("manifest.csv"), manifest).unwrap();
    n
}

#[test]
fn import_gives_every_row_a_reason_resumes_and_retention_erases_provably() {
    let (engine, samples) = engine();
    let root = tempdir("import");
    let set = root.join("set");
    let faces = import_set(&engine, &samples, &set);
    assert!(faces >= 8, "the sample photos give {faces} face images");
    let data = root.join("data");
    let parts = Parts::open(&data);
    let db = parts.db();
    let manifest = set.join("manifest.csv");

    // A manifest without required columns is refused as a whole.
    std::fs::write(root.join("bad.csv"), "file,person\nx.jpg,P\n").unwrap();
    let err = enrol::import(&db, &engine, &set, &root.join("bad.csv"), 2, &who(), &Quiet)
        .unwrap_err()
        .to_string();
    assert!(err.contains("lacks the column(s) source_kind"), "{err}");

    let s = enrol::import(&db, &engine, &set, &manifest, 2, &who(), &Quiet).unwrap();
    let reason = |file: &str| {
        s.outcomes
            .iter()
            .rev()
            .find(|o| o.file == file)
            .map(|o| (o.outcome, o.reason.clone()))
            .unwrap_or_else(|| panic!("no row for {file}"))
    };
    for (file, expected) in [
        ("garbage.jpg", "unreadable image: not a supported image"),
        ("truncated.jpg", "unreadable image"),
        ("copy.jpg", "the same bytes as row 1"),
        ("blank.png", "no face found"),
        ("group.jpg", "several faces"),
        ("face-0-00-0.jpg", "duplicate row: the same file as row 1"),
        ("absent.jpg", "cannot read the file"),
        ("../outside.jpg", "relative path inside the image directory"),
        ("future.jpg", "in the future"),
        ("net.jpg", "unknown source kind \"internet\""),
        ("old.jpg", "already due for erasure"),
        ("nolegal.jpg", "legal_basis is missing"),
    ] {
        let (outcome, why) = reason(file);
        assert_eq!(outcome, RowOutcome::Rejected, "{file}: {why}");
        assert!(
            why.contains(expected),
            "{file}: {why:?} should say {expected:?}"
        );
    }
    assert!(s.accepted >= 6, "{s:?}");
    assert_eq!(s.accepted + s.rejected, s.rows);
    let enrolled = parts.store.reference_count().unwrap();
    assert_eq!(enrolled, s.accepted);
    assert_eq!(parts.index.stats().templates as u64, enrolled);
    assert_eq!(parts.vault.names().unwrap().len() as u64, enrolled);
    // Variants of one person are not flagged against each other.
    assert_eq!(s.flagged, 0, "{:?}", s.outcomes);

    // A rerun does nothing again.
    let again = enrol::import(&db, &engine, &set, &manifest, 2, &who(), &Quiet).unwrap();
    assert_eq!(again.already_done, s.rows);
    assert_eq!(again.analysed, 0);
    assert_eq!(parts.store.reference_count().unwrap(), enrolled);

    // The same face under another person id: flagged, not merged; under the same id: not.
    let face = std::fs::read(set.join("face-0-00-0.jpg")).unwrap();
    let reencoded = {
        let img = image::load_from_memory(&face).unwrap().to_rgb8();
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
            .encode_image(&img)
            .unwrap();
        out
    };
    let person = |p: &str| Provenance {
        source_kind: SourceKind::CustodyPhoto,
        legal_basis: "Wpg art. 8".into(),
        person: p.into(),
        offence: "theft".into(),
        max_sentence_years: 4,
        sexual_offence: false,
        captured_at: Timestamp::parse("2025-01-01").unwrap(),
        capturing_unit: "unit-b".into(),
    };
    // Issue 23: a page start past the largest SQLite integer (a `?after=` from a URL) lists
    // nothing, instead of wrapping to a negative number that every record passes.
    assert!(parts.store.references(u64::MAX, 10).unwrap().is_empty());
    assert!(parts.store.reference(u64::MAX).unwrap().is_none());
    let first_person = parts.store.references(0, 1).unwrap()[0]
        .provenance
        .person
        .clone();
    let mut img = image::load_from_memory(&reencoded).unwrap().to_rgb8();
    img = image::imageops::flip_horizontal(&img);
    let mut flipped = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut flipped, 80)
        .encode_image(&img)
        .unwrap();
    let same = db
        .enrol_one(&engine, flipped, "same.jpg", person(&first_person), &who())
        .unwrap();
    assert!(
        same.reference.is_some() && same.duplicate.is_none(),
        "{same:?}"
    );

    let flagged = db
        .enrol_one(
            &engine,
            reencoded.clone(),
            "again.jpg",
            person("P-OTHER"),
            &who(),
        )
        .unwrap();
    let flag = flagged
        .duplicate
        .expect("a possible duplicate person is flagged");
    assert_eq!(flag.person, first_person);
    assert!(flag.score > 0.8, "{flag:?}");
    assert_eq!(parts.store.flagged_duplicates().unwrap().len(), 1);
    // Retention: the person is acquitted; every image of theirs is due, and erased.
    let their: Vec<u64> = all_records(&parts.store)
        .into_iter()
        .filter(|r| r.provenance.person == first_person)
        .map(|r| r.id)
        .collect();
    assert!(their.len() >= 2);
    let template = enrol::analyse(&engine, &face, &EnrolSettings::default())
        .unwrap()
        .unwrap()
        .template;
    let template_bytes: Vec<u8> = template.iter().flat_map(|x| x.to_le_bytes()).collect();
    let sealed = std::fs::read(vault_file(&parts.vault, their[0])).unwrap();
    let rules = RetentionRules::default();
    assert!(retention::plan(db.store, &rules, now())
        .unwrap()
        .iter()
        .all(|i| !their.contains(&i.id)));
    parts
        .store
        .record_person_event(&first_person, PersonEvent::Acquittal, now(), &mut || {
            Ok(Vec::new())
        })
        .unwrap();
    let plan = retention::plan(db.store, &rules, now()).unwrap();
    let planned: Vec<u64> = plan.iter().map(|i| i.id).collect();
    assert_eq!(planned, their);
    assert!(plan.iter().all(|i| i.due.rule == "no_longer_suspect"));
    let before = parts.ledger.size();
    let report = retention::apply(&db, &rules, now()).unwrap();
    assert_eq!(report.erased, their.len());
    let receipts: Vec<String> = (before..parts.ledger.size())
        .map(|i| String::from_utf8(parts.ledger.entry(i).unwrap()).unwrap())
        .filter(|e| e.contains("deletion_receipt"))
        .collect();
    assert_eq!(receipts.len(), their.len());
    assert!(receipts.iter().all(|r| r.contains("no_longer_suspect")));
    for id in &their {
        assert!(parts.store.reference(*id).unwrap().is_none());
        assert!(parts.index.get(*id).is_none());
        assert!(!vault_file(&parts.vault, *id).exists());
    }
    // Idempotent: nothing more to do.
    assert_eq!(retention::apply(&db, &rules, now()).unwrap().erased, 0);
    // The erasure proof: neither the template's bytes, nor the sealed image, nor the image
    // itself are in any file of the data directory.
    for (what, needle) in [
        ("template", &template_bytes[..64]),
        ("sealed image", &sealed[sealed.len() - 64..]),
        ("image", &face[face.len() / 2..face.len() / 2 + 64]),
    ] {
        if let Some(file) = file_containing(&data, needle) {
            panic!("the erased {what}'s bytes are still in {}", file.display());
        }
    }
    // The images of others are still readable and still searchable.
    let left = all_records(&parts.store);
    assert_eq!(left.len() as u64 + their.len() as u64, enrolled + 2);
    for r in &left {
        assert!(parts.vault.get(&vault_name(r.id)).is_ok());
        assert!(parts.index.get(r.id).is_some());
    }
    assert_eq!(db.reconcile().unwrap(), Default::default());
    drop(parts);
    std::fs::remove_dir_all(&root).unwrap();
}

fn all_records(store: &SqliteStore) -> Vec<waarborg_store::ReferenceRecord> {
    store.references(0, usize::MAX >> 1).unwrap()
}

fn vault_file(vault: &Vault, id: u64) -> PathBuf {
    let name = vault_name(id);
    vault
        .dir()
        .join(&name[name.len() - 2..])
        .join(format!("{name}.wbv"))
}

fn file_containing(dir: &Path, needle: &[u8]) -> Option<PathBuf> {
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            return Some(entry);
        }
    }
    None
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}
