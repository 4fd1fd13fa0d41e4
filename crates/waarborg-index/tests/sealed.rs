//! Templates encrypted at rest: no template's bytes (f32 or int8) in any file, search
//! unchanged, a missing or wrong key named, tampering refused, and key rotation (and
//! encrypting an index that was plain) by compaction.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{scratch, Rng};
use waarborg_index::quant::quantise;
use waarborg_index::segment::{self, Form, Segment, SegmentRows};
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

fn segment_file(dir: &Path) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "wbs"))
        .unwrap()
}

/// A sealed index of 200 templates, flushed into one segment of 160 rows.
fn sealed_index(name: &str, seed: u64, keys: &Keyring) -> (std::path::PathBuf, Vec<Vec<f32>>) {
    let dir = scratch(name);
    let mut rng = Rng(seed);
    let vectors: Vec<Vec<f32>> = (0..200).map(|_| rng.unit()).collect();
    let (index, _) = Index::open(&dir, config(Some(keys.clone()))).unwrap();
    insert_all(&index, &vectors);
    index.flush().unwrap();
    (dir, vectors)
}

/// Where the row blocks of the sealed segment at `path` start (after the 16-byte
/// preamble and the scan part whose sealed length it gives).
fn blocks_start(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"WBS2");
    16 + u64::from_le_bytes(bytes[8..16].try_into().unwrap()) as usize
}

const PER_BLOCK: usize = waarborg_index::segment::ROWS_PER_BLOCK;
const BLOCK: usize = PER_BLOCK * DIM * 4 + 52;

#[test]
fn a_tampered_sealed_segment_is_refused() {
    let keys = Keyring::new(key("3"), vec![]);
    // The scan part (codes, ids): refused at open.
    let (dir, _) = sealed_index("sealed-tamper-scan", 9, &keys);
    let segment = segment_file(&dir);
    let mut bytes = std::fs::read(&segment).unwrap();
    bytes[blocks_start(&segment) / 2] ^= 0x10;
    std::fs::write(&segment, &bytes).unwrap();
    let err = Index::open(&dir, config(Some(keys.clone())))
        .unwrap_err()
        .to_string();
    assert!(err.contains("authentication failed"), "{err}");
    std::fs::remove_dir_all(&dir).ok();

    // Cut short or extended: refused at open, the block region named.
    for (name, change) in [("cut", -1i64), ("longer", 1)] {
        let (dir, _) = sealed_index(&format!("sealed-tamper-{name}"), 9, &keys);
        let segment = segment_file(&dir);
        let len = std::fs::metadata(&segment).unwrap().len();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&segment)
            .unwrap();
        f.set_len((len as i64 + change) as u64).unwrap();
        let err = Index::open(&dir, config(Some(keys.clone())))
            .unwrap_err()
            .to_string();
        assert!(err.contains("row blocks take"), "{name}: {err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// A damaged or reordered row block opens (the scan does not read it) but is refused when
/// a search would re-rank one of its rows: the search fails and names the block, and no
/// result is computed from it.
#[test]
fn a_damaged_or_reordered_row_block_fails_the_search_that_reads_it() {
    let keys = Keyring::new(key("3"), vec![]);
    for reorder in [false, true] {
        let (dir, vectors) = sealed_index(&format!("sealed-block-{reorder}"), 11, &keys);
        let segment = segment_file(&dir);
        let start = blocks_start(&segment);
        let mut bytes = std::fs::read(&segment).unwrap();
        // Template 9 is row 9 of the segment; row 40 lies in another block.
        let block = 9 / PER_BLOCK;
        assert_ne!(block, 40 / PER_BLOCK);
        if reorder {
            // The block and the next change places: each is whole and authentic, but not
            // where it belongs.
            let (a, b) = (start + block * BLOCK, start + (block + 1) * BLOCK);
            let second = bytes[b..b + BLOCK].to_vec();
            bytes.copy_within(a..a + BLOCK, b);
            bytes[a..a + BLOCK].copy_from_slice(&second);
        } else {
            bytes[start + block * BLOCK + 100] ^= 0x01;
        }
        std::fs::write(&segment, &bytes).unwrap();
        let (index, _) = Index::open(&dir, config(Some(keys.clone()))).unwrap();
        let err = index
            .search(&vectors[9], &SearchParams::top(1))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("row block {block}:")) && err.contains("authentication failed"),
            "{err}"
        );
        let hits = index.search(&vectors[40], &SearchParams::top(1)).unwrap();
        assert_eq!(hits[0].template, 40);
        drop(index);
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// A segment whose int8 codes do not come from its f32 rows breaks the premise of the
/// search's proof: reading such a row is refused.
#[test]
fn a_segment_whose_codes_and_rows_disagree_is_refused_at_read() {
    let dir = scratch("sealed-disagree");
    std::fs::create_dir_all(&dir).unwrap();
    let keys = Keyring::new(key("3"), vec![]);
    let mut rng = Rng(17);
    let vectors: Vec<f32> = (0..10).flat_map(|_| rng.unit()).collect();
    let ids: Vec<u64> = (0..10).collect();
    let mut codes = vec![0i8; 10 * DIM];
    for (v, c) in vectors.chunks(DIM).zip(codes.chunks_mut(DIM)) {
        quantise(v, c);
    }
    codes[5 * DIM + 3] = codes[5 * DIM + 3].saturating_add(9);
    let rows = SegmentRows {
        ids: &ids,
        owners: &ids,
        vectors: &vectors,
    };
    let path = dir.join("seg-00000000.wbs");
    segment::write_as(&path, "criminal", &rows, Form::Sealed(&keys), Some(&codes)).unwrap();
    let seg = Segment::open(&path, 1, Some(&keys)).unwrap();
    assert_eq!(seg.vector(4).unwrap().as_ref(), &vectors[4 * DIM..5 * DIM]);
    let err = seg.vector(5).unwrap_err().to_string();
    assert!(err.contains("row 5 disagrees with its int8 codes"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A segment sealed whole by an earlier version still opens and searches; it is reported
/// stale, and compaction rewrites it with its rows in blocks.
#[test]
fn a_segment_sealed_whole_is_read_and_rewritten_in_blocks() {
    let keys = Keyring::new(key("3"), vec![]);
    let (dir, vectors) = sealed_index("sealed-whole", 19, &keys);
    // The same rows, written as the earlier version did.
    let segment = segment_file(&dir);
    let seg = Segment::open(&segment, 1, Some(&keys)).unwrap();
    let ids = seg.ids().to_vec();
    let owners = seg.owners().to_vec();
    let flat: Vec<f32> = (0..seg.count())
        .flat_map(|r| seg.vector(r).unwrap().to_vec())
        .collect();
    drop(seg);
    let old = SegmentRows {
        ids: &ids,
        owners: &owners,
        vectors: &flat,
    };
    segment::write_as(&segment, "criminal", &old, Form::SealedWhole(&keys), None).unwrap();
    assert_eq!(&std::fs::read(&segment).unwrap()[..4], b"WBS1");
    let (index, report) = Index::open(&dir, config(Some(keys.clone()))).unwrap();
    assert_eq!(report.stale_segments, 1);
    assert_eq!(
        index.search(&vectors[7], &SearchParams::top(1)).unwrap()[0].template,
        7
    );
    assert_eq!(index.compact().unwrap().resealed, 1);
    drop(index);
    let (index, report) = Index::open(&dir, config(Some(keys.clone()))).unwrap();
    assert_eq!(report.stale_segments, 0);
    assert_eq!(&std::fs::read(segment_file(&dir)).unwrap()[..4], b"WBS2");
    for i in [0, 7, 159, 199] {
        assert_eq!(
            index.search(&vectors[i], &SearchParams::top(1)).unwrap()[0].template,
            i as u64
        );
    }
    drop(index);
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
