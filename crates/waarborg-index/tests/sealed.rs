//! Templates encrypted at rest: no template's bytes (f32 or int8) in any file, search
//! unchanged, a missing or wrong key named, tampering refused, and key rotation (and
//! encrypting an index that was plain) by compaction.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{scratch, Rng};
use waarborg_index::quant::quantise;
use waarborg_index::{Index, IndexConfig, NewTemplate, SearchParams, DIM};
use waarborg_seal::{Key, Keyring};

fn key(digit: &str) -> Key {
    Key::from_hex(&digit.repeat(64)).unwrap()
}

fn config(keys: Option<Keyring>) -> IndexConfig {
    IndexConfig {
        threads: 2,
        flush_rows: 160,
        keys: keys.map(Arc::new),
    }
}

fn insert_all(index: &Index, vectors: &[Vec<f32>]) {
    for (i, chunk) in vectors.chunks(50).enumerate() {
        let batch: Vec<NewTemplate> = chunk
            .iter()
            .enumerate()
            .map(|(j, v)| {
                let id = (i * 50 + j) as u64;
                NewTemplate {
                    id,
                    owner: id + 1000,
                    vector: v,
                }
            })
            .collect();
        index.insert("criminal", &batch).unwrap();
    }
}

/// Whether any file in `dir` holds the first 64 bytes of a template's f32 form or its int8
/// codes.
fn leaks(dir: &Path, vectors: &[Vec<f32>]) -> Vec<String> {
    let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    let mut found = Vec::new();
    for v in vectors {
        let f32s: Vec<u8> = v[..16].iter().flat_map(|x| x.to_le_bytes()).collect();
        let mut codes = vec![0i8; DIM];
        quantise(v, &mut codes);
        let code_bytes: Vec<u8> = codes[..64].iter().map(|&c| c as u8).collect();
        for (name, bytes) in &files {
            for needle in [&f32s, &code_bytes] {
                if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                    found.push(name.clone());
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn sealed_index_keeps_no_template_bytes_and_searches_the_same() {
    let dir = scratch("sealed");
    let mut rng = Rng(5);
    let vectors: Vec<Vec<f32>> = (0..300).map(|_| rng.unit()).collect();
    let plain_dir = scratch("sealed-plain");
    let (plain, _) = Index::open(&plain_dir, config(None)).unwrap();
    insert_all(&plain, &vectors);
    {
        let (index, _) = Index::open(&dir, config(Some(Keyring::new(key("1"), vec![])))).unwrap();
        // 200 rows flushed to segments, the last 100 in the log only.
        insert_all(&index, &vectors);
        assert!(index.stats().segments > 0 && index.stats().in_memory > 0);
        assert_eq!(leaks(&dir, &vectors), Vec::<String>::new());
        // The plain index does hold them: the leak check can fail.
        assert!(!leaks(&plain_dir, &vectors).is_empty());
    }
    // Reopened: segments decrypted, sealed log records replayed; results equal the plain
    // index's.
    let (index, report) = Index::open(&dir, config(Some(Keyring::new(key("1"), vec![])))).unwrap();
    assert_eq!((report.replayed, report.stale_segments), (100, 0));
    for probe in vectors.iter().step_by(37) {
        let params = SearchParams::top(5);
        assert_eq!(
            index.search(probe, &params).unwrap(),
            plain.search(probe, &params).unwrap()
        );
    }
    index.delete(&[3, 250]).unwrap();
    index.compact().unwrap();
    assert_eq!(leaks(&dir, &vectors), Vec::<String>::new());
    drop(index);

    // No key, or the wrong one: refused, and the message says why.
    let err = Index::open(&dir, config(None)).unwrap_err().to_string();
    assert!(err.contains("no data key was given"), "{err}");
    let err = Index::open(&dir, config(Some(Keyring::new(key("2"), vec![]))))
        .unwrap_err()
        .to_string();
    assert!(err.contains("which was not given"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&plain_dir).ok();
}

#[test]
fn a_tampered_sealed_segment_is_refused() {
    let dir = scratch("sealed-tamper");
    let mut rng = Rng(9);
    let vectors: Vec<Vec<f32>> = (0..200).map(|_| rng.unit()).collect();
    let keys = || Some(Keyring::new(key("3"), vec![]));
    {
        let (index, _) = Index::open(&dir, config(keys())).unwrap();
        insert_all(&index, &vectors);
        index.flush().unwrap();
    }
    let segment = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "wbs"))
        .unwrap();
    let mut bytes = std::fs::read(&segment).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(&segment, &bytes).unwrap();
    let err = Index::open(&dir, config(keys())).unwrap_err().to_string();
    assert!(err.contains("authentication failed"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn compaction_encrypts_a_plain_index_and_finishes_a_key_rotation() {
    let dir = scratch("sealed-rotate");
    let mut rng = Rng(13);
    let vectors: Vec<Vec<f32>> = (0..200).map(|_| rng.unit()).collect();
    {
        let (index, _) = Index::open(&dir, config(None)).unwrap();
        insert_all(&index, &vectors);
        index.flush().unwrap();
    }
    assert!(!leaks(&dir, &vectors).is_empty());
    // Keys given to a plain index: it opens, reports the plain segments, and compaction
    // rewrites them sealed.
    let (index, report) = Index::open(&dir, config(Some(Keyring::new(key("4"), vec![])))).unwrap();
    assert!(report.stale_segments > 0);
    let compacted = index.compact().unwrap();
    assert_eq!(compacted.resealed, report.stale_segments);
    assert_eq!(leaks(&dir, &vectors), Vec::<String>::new());
    drop(index);
    // A rotation: the new key with the old one as previous; compaction reseals everything,
    // after which the old key is not needed.
    let rotating = Keyring::new(key("5"), vec![key("4")]);
    let (index, report) = Index::open(&dir, config(Some(rotating))).unwrap();
    assert!(report.stale_segments > 0);
    index.compact().unwrap();
    drop(index);
    let (index, report) = Index::open(&dir, config(Some(Keyring::new(key("5"), vec![])))).unwrap();
    assert_eq!(report.stale_segments, 0);
    let hits = index.search(&vectors[7], &SearchParams::top(1)).unwrap();
    assert_eq!(hits[0].template, 7);
    std::fs::remove_dir_all(&dir).ok();
}
