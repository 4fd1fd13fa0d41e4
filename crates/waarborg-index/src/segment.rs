//! Immutable segment files: the templates of one reference database, written once,
//! checksummed, memory-mapped for search.
//!
//! Layout (little-endian): a 4096-byte header, then seven sections, each starting on a
//! 4096-byte boundary:
//!
//! | section | contents |
//! |---|---|
//! | ids | template id per row, `u64` |
//! | owners | reference image id per row, `u64` |
//! | scales | int8 scale per row, `f32` |
//! | codes | int8 codes, `DIM` per row (what the scan reads) |
//! | vectors | f32 templates, `DIM` per row (what re-ranking reads) |
//! | vector CRCs | CRC-32 of each row's f32 bytes, `u32` |
//! | by id | row numbers sorted by template id, `u32` (lookups without a hash table) |
//!
//! The header holds the magic `WBIXSEG1`, version, dimension, row count, the database, the
//! largest quantisation error and reconstruction norms (the search's bound), each section's
//! offset, length and CRC-32, and its own CRC-32. Opening verifies everything except the
//! f32 vectors, whose per-row CRC is checked whenever a row is read.
//!
//! **Sealed segments** (with a keyring; how the service keeps them). Templates never reach
//! the disk in the clear, and memory holds only what the scan reads:
//!
//! | part | contents | in memory |
//! |---|---|---|
//! | preamble, 16 bytes, clear | magic `WBS2`, 4 zero bytes, the scan part's sealed length (`u64`) | — |
//! | scan part | the layout above, version 2, its vectors and vector-CRC sections empty; one `waarborg-seal` stream (magic `WBSS`, 1 MiB authenticated chunks, the file's name as associated data) | decrypted whole at open: ids, owners, scales, codes, by-id — 536 B per template |
//! | row blocks | the f32 templates, [`ROWS_PER_BLOCK`] rows per `waarborg-seal` record (magic `WBSR`), each at an offset computed from its number | decrypted one block at a time, only for the rows a search re-ranks |
//!
//! The version 2 header adds the rows per block (at 264) and a random segment id (at 268).
//! A block's record name is `file#segment id#block number`, so a block that is altered,
//! moved, swapped with another or taken from another segment does not open. A row read
//! from a block is quantised again and must give exactly its stored codes and scale within
//! the segment's error bounds — the premise of the search's proof — or the read is refused;
//! the length of the block region is checked at open. A failed read fails the search: no
//! result is computed from a row that was not verified.
//!
//! Why blocks: sealed whole (version 1, magic `WBS1`, the whole file as one stream) a
//! segment was decrypted whole into memory, 2.6 KB per template, so 10 million templates
//! did not fit on a 24 GiB machine. Version 1 files are still read, whole, and reported
//! stale, so that compaction rewrites them in blocks. Without a keyring (tests, benchmarks)
//! the plain version 1 file is memory-mapped.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use memmap2::Mmap;
use waarborg_seal::Keyring;

use crate::quant::{quantise, DIM};
use crate::IndexError;

const MAGIC: &[u8; 8] = b"WBIXSEG1";
/// The magic of a segment file sealed whole (version 1, read only).
const SEALED_WHOLE: &[u8; 4] = b"WBS1";
/// The magic of a sealed segment file with its f32 rows in blocks (version 2).
const SEALED_BLOCKS: &[u8; 4] = b"WBS2";
/// The magic of the scan part's stream in a `WBS2` file.
const SCAN_STREAM: &[u8; 4] = b"WBSS";
/// The magic of a block of f32 rows in a `WBS2` file.
const ROW_BLOCK: &[u8; 4] = b"WBSR";
/// Bytes before a `WBS2` file's scan part.
const PREAMBLE: u64 = 16;
/// All f32 rows inline (plain, or sealed whole).
const VERSION_INLINE: u32 = 1;
/// f32 rows in sealed blocks.
const VERSION_BLOCKS: u32 = 2;
/// f32 rows per sealed block. One: a search re-ranks a few hundred rows scattered over the
/// whole index, and a larger block would be decrypted for one of its rows (4 rows per
/// block measured 5–10 % slower per search at 1 million templates); the record overhead
/// is 52 bytes per 2 KiB row.
pub const ROWS_PER_BLOCK: usize = 1;
const AT_BLOCK_ROWS: usize = 264;
const AT_UID: usize = 268;
const UID: usize = 16;
const PAGE: u64 = 4096;
const SECTIONS: usize = 7;
const S_IDS: usize = 0;
const S_OWNERS: usize = 1;
const S_SCALES: usize = 2;
const S_CODES: usize = 3;
const S_VECTORS: usize = 4;
const S_CRCS: usize = 5;
const S_BY_ID: usize = 6;
const SECTION_NAMES: [&str; SECTIONS] = [
    "ids",
    "owners",
    "scales",
    "codes",
    "vectors",
    "vector CRCs",
    "by-id",
];
const HEADER_CRC_AT: usize = 508;

/// Rows to be written as a segment.
pub struct SegmentRows<'a> {
    /// Template ids (unique).
    pub ids: &'a [u64],
    /// Reference image ids.
    pub owners: &'a [u64],
    /// f32 templates, `DIM` per row, validated.
    pub vectors: &'a [f32],
}

/// How a segment file is written.
#[derive(Clone, Copy)]
pub enum Form<'k> {
    /// In the clear, memory-mapped when opened (tests and benchmarks).
    Plain,
    /// Sealed, the f32 rows in blocks (version 2): how the index writes with a keyring.
    Sealed(&'k Keyring),
    /// Sealed whole (version 1), as before version 2: only for tests that an old file is
    /// still read.
    #[doc(hidden)]
    SealedWhole(&'k Keyring),
}

fn io(path: &Path, what: &str) -> impl Fn(std::io::Error) -> IndexError {
    let context = format!("{what} {}", path.display());
    move |source| IndexError::Io {
        context: context.clone(),
        source,
    }
}

fn align(x: u64) -> u64 {
    x.div_ceil(PAGE) * PAGE
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn sealing(path: &Path) -> impl Fn(waarborg_seal::SealError) -> IndexError {
    let file = path.display().to_string();
    move |e| IndexError::Corrupt {
        file: file.clone(),
        detail: e.to_string(),
    }
}

/// What the record names of the row blocks of segment `uid` in file `file` begin with;
/// the block's number follows.
fn block_names(file: &str, uid: &[u8; UID]) -> String {
    let uid: String = uid.iter().map(|b| format!("{b:02x}")).collect();
    format!("{file}#{uid}#")
}

/// Bytes of a sealed block of `rows` rows.
fn block_len(rows: usize) -> u64 {
    waarborg_seal::record_len(rows * DIM * 4) as u64
}

/// Bytes of the row blocks of `count` rows, `per_block` rows each.
fn blocks_len(count: usize, per_block: usize) -> u64 {
    let (full, rest) = (count / per_block, count % per_block);
    full as u64 * block_len(per_block) + if rest > 0 { block_len(rest) } else { 0 }
}

/// Writes `rows` of `database` as a segment at `path` (via a temporary file, synced and
/// renamed, so the segment either exists whole or not at all), sealed under the keyring's
/// current key when `keys` is given.
pub fn write(
    path: &Path,
    database: &str,
    rows: &SegmentRows,
    keys: Option<&Keyring>,
) -> Result<(), IndexError> {
    let form = keys.map_or(Form::Plain, Form::Sealed);
    write_as(path, database, rows, form, None)
}

/// [`write`] in a chosen form; `codes`, when given, replace the int8 codes computed from
/// the rows (only tests give them: a segment whose codes and rows disagree must be refused).
#[doc(hidden)]
pub fn write_as(
    path: &Path,
    database: &str,
    rows: &SegmentRows,
    form: Form,
    codes: Option<&[i8]>,
) -> Result<(), IndexError> {
    let n = rows.ids.len();
    assert!(rows.owners.len() == n && rows.vectors.len() == n * DIM);
    if n > u32::MAX as usize {
        return Err(IndexError::TooLarge(n));
    }
    let blocked = matches!(form, Form::Sealed(_));
    let mut computed = vec![0i8; n * DIM];
    let mut scales = Vec::with_capacity(n);
    let (mut err_max, mut hat_max) = (0f32, 0f32);
    for (v, c) in rows
        .vectors
        .chunks_exact(DIM)
        .zip(computed.chunks_exact_mut(DIM))
    {
        let q = quantise(v, c);
        scales.push(q.scale);
        err_max = err_max.max(q.err_norm);
        hat_max = hat_max.max(q.hat_norm);
    }
    let codes = codes.unwrap_or(&computed);
    let crcs: Vec<u32> = if blocked {
        Vec::new()
    } else {
        rows.vectors
            .chunks_exact(DIM)
            .map(|v| crc32fast::hash(bytemuck::cast_slice(v)))
            .collect()
    };
    let mut by_id: Vec<u32> = (0..n as u32).collect();
    by_id.sort_unstable_by_key(|&r| rows.ids[r as usize]);

    let sections: [&[u8]; SECTIONS] = [
        bytemuck::cast_slice(rows.ids),
        bytemuck::cast_slice(rows.owners),
        bytemuck::cast_slice(&scales),
        bytemuck::cast_slice(codes),
        if blocked {
            &[]
        } else {
            bytemuck::cast_slice(rows.vectors)
        },
        bytemuck::cast_slice(&crcs),
        bytemuck::cast_slice(&by_id),
    ];
    let uid: [u8; UID] = if blocked {
        let mut uid = [0u8; UID];
        getrandom::fill(&mut uid).map_err(|e| IndexError::Failed(format!("no randomness: {e}")))?;
        uid
    } else {
        [0u8; UID]
    };
    let mut header = vec![0u8; PAGE as usize];
    header[..8].copy_from_slice(MAGIC);
    let version = if blocked {
        VERSION_BLOCKS
    } else {
        VERSION_INLINE
    };
    header[8..12].copy_from_slice(&version.to_le_bytes());
    header[12..16].copy_from_slice(&(DIM as u32).to_le_bytes());
    header[16..24].copy_from_slice(&(n as u64).to_le_bytes());
    let db = database.as_bytes();
    header[24] = db.len() as u8;
    header[25..25 + db.len()].copy_from_slice(db);
    header[88..92].copy_from_slice(&err_max.to_le_bytes());
    header[92..96].copy_from_slice(&hat_max.to_le_bytes());
    let mut offset = PAGE;
    for (i, s) in sections.iter().enumerate() {
        let at = 96 + 24 * i;
        header[at..at + 8].copy_from_slice(&offset.to_le_bytes());
        header[at + 8..at + 16].copy_from_slice(&(s.len() as u64).to_le_bytes());
        header[at + 16..at + 20].copy_from_slice(&crc32fast::hash(s).to_le_bytes());
        offset = align(offset + s.len() as u64);
    }
    if blocked {
        header[AT_BLOCK_ROWS..AT_BLOCK_ROWS + 4]
            .copy_from_slice(&(ROWS_PER_BLOCK as u32).to_le_bytes());
        header[AT_UID..AT_UID + UID].copy_from_slice(&uid);
    }
    let crc = crc32fast::hash(&header[..HEADER_CRC_AT]);
    header[HEADER_CRC_AT..HEADER_CRC_AT + 4].copy_from_slice(&crc.to_le_bytes());

    let name = file_name(path);
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp).map_err(io(&tmp, "creating"))?;
    let mut buffered = BufWriter::with_capacity(1 << 20, file);
    let parts = std::iter::once(&header[..]).chain(sections.iter().copied());
    let writing = io(&tmp, "writing");
    match form {
        Form::Plain => write_padded(&mut buffered, parts).map_err(&writing)?,
        Form::SealedWhole(keys) => {
            let mut w = keys
                .seal_writer(SEALED_WHOLE, &name, buffered)
                .map_err(sealing(path))?;
            write_padded(&mut w, parts).map_err(&writing)?;
            buffered = w.finish().map_err(&writing)?;
        }
        Form::Sealed(keys) => {
            buffered
                .write_all(&[0u8; PREAMBLE as usize])
                .map_err(&writing)?;
            let mut w = keys
                .seal_writer(SCAN_STREAM, &name, buffered)
                .map_err(sealing(path))?;
            write_padded(&mut w, parts).map_err(&writing)?;
            buffered = w.finish().map_err(&writing)?;
            let stream_len = buffered.stream_position().map_err(&writing)? - PREAMBLE;
            let names = block_names(&name, &uid);
            for (b, block) in rows.vectors.chunks(ROWS_PER_BLOCK * DIM).enumerate() {
                let record = keys
                    .seal(
                        ROW_BLOCK,
                        &format!("{names}{b}"),
                        bytemuck::cast_slice(block),
                    )
                    .map_err(sealing(path))?;
                buffered.write_all(&record).map_err(&writing)?;
            }
            // The preamble last: until it is written the file does not open.
            let mut preamble = [0u8; PREAMBLE as usize];
            preamble[..4].copy_from_slice(SEALED_BLOCKS);
            preamble[8..16].copy_from_slice(&stream_len.to_le_bytes());
            buffered.seek(SeekFrom::Start(0)).map_err(&writing)?;
            buffered.write_all(&preamble).map_err(&writing)?;
        }
    }
    let file = buffered.into_inner().map_err(|e| writing(e.into_error()))?;
    file.sync_all().map_err(io(&tmp, "syncing"))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io(path, "renaming into place"))?;
    waarborg_frames::sync_parent(path).map_err(io(path, "syncing the directory of"))?;
    Ok(())
}

/// Writes each part followed by zeros up to the next page boundary.
fn write_padded<'a>(
    w: &mut impl Write,
    parts: impl Iterator<Item = &'a [u8]>,
) -> std::io::Result<()> {
    let pad = [0u8; PAGE as usize];
    let mut written = 0u64;
    for part in parts {
        w.write_all(part)?;
        written += part.len() as u64;
        let padding = (align(written) - written) as usize;
        w.write_all(&pad[..padding])?;
        written += padding as u64;
    }
    Ok(())
}

/// A segment's bytes: the plain file mapped, or a sealed file's scan part (or, version 1,
/// the whole file) decrypted into memory (8-byte aligned, so the id and template sections
/// can be read in place).
enum Bytes {
    Mapped(Mmap),
    Decrypted { words: Vec<u64>, len: usize },
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Decrypted { words, len } => &bytemuck::cast_slice(words)[..*len],
        }
    }
}

/// A segment file as read at open.
struct Opened {
    bytes: Bytes,
    sealing: Sealing,
    /// A `WBS2` file: the file, where its row blocks start, and its length.
    blocks: Option<(File, u64, u64)>,
}

impl Bytes {
    /// Reads the file at `path`: a sealed one needs `keys` (and says whether it is under
    /// their current key); a plain one is mapped.
    fn read(path: &Path, keys: Option<&Keyring>) -> Result<Opened, IndexError> {
        let mut file = File::open(path).map_err(io(path, "opening"))?;
        let len = file.metadata().map_err(io(path, "reading"))?.len();
        let corrupt = |detail: &str| IndexError::Corrupt {
            file: path.display().to_string(),
            detail: detail.into(),
        };
        let mut magic = [0u8; 4];
        if len >= 4 {
            file.read_exact(&mut magic).map_err(io(path, "reading"))?;
        }
        let (stream_magic, at, sealed_len) = match &magic {
            SEALED_WHOLE => (SEALED_WHOLE, 0, len),
            SEALED_BLOCKS => {
                let mut preamble = [0u8; PREAMBLE as usize];
                file.seek(SeekFrom::Start(0)).map_err(io(path, "reading"))?;
                file.read_exact(&mut preamble)
                    .map_err(|_| corrupt("truncated: it ends inside its preamble"))?;
                let mut stream_len = [0u8; 8];
                stream_len.copy_from_slice(&preamble[8..16]);
                let stream_len = u64::from_le_bytes(stream_len);
                if stream_len > len - PREAMBLE {
                    return Err(corrupt("truncated: it ends inside its scan part"));
                }
                (SCAN_STREAM, PREAMBLE, stream_len)
            }
            _ => {
                // SAFETY: segment files are immutable once renamed into place and only
                // this index writes in its directory; a truncated file is refused before
                // any access.
                let map = unsafe { Mmap::map(&file) }.map_err(io(path, "mapping"))?;
                return Ok(Opened {
                    bytes: Bytes::Mapped(map),
                    sealing: Sealing::Plain,
                    blocks: None,
                });
            }
        };
        let keys =
            keys.ok_or_else(|| corrupt("the segment is encrypted and no data key was given"))?;
        let plain = waarborg_seal::stream_plaintext_len(sealed_len)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| corrupt("truncated: its length is not a whole sealed file"))?;
        let mut words = vec![0u64; plain.div_ceil(8)];
        file.seek(SeekFrom::Start(at))
            .map_err(io(path, "reading"))?;
        let current = keys
            .open_stream(
                stream_magic,
                &file_name(path),
                std::io::BufReader::with_capacity(1 << 20, (&file).take(sealed_len)),
                sealed_len,
                &mut bytemuck::cast_slice_mut(&mut words)[..plain],
            )
            .map_err(sealing(path))?;
        let whole = stream_magic == SEALED_WHOLE;
        let sealing = match (current, whole) {
            (false, _) => Sealing::PreviousKey,
            (true, true) => Sealing::Whole,
            (true, false) => Sealing::Current,
        };
        Ok(Opened {
            bytes: Bytes::Decrypted { words, len: plain },
            sealing,
            blocks: (!whole).then_some((file, at + sealed_len, len)),
        })
    }
}

/// How a segment file is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sealing {
    /// Encrypted under the keyring's current key, its rows in blocks.
    Current,
    /// Encrypted under the current key but whole (version 1): held whole in memory until
    /// compaction rewrites it in blocks.
    Whole,
    /// Encrypted under a previous key (a rotation not yet finished).
    PreviousKey,
    /// Not encrypted.
    Plain,
}

/// The f32 rows of a `WBS2` segment, sealed in blocks on disk.
struct RowBlocks {
    file: File,
    keys: Keyring,
    /// Where the first block starts.
    start: u64,
    per_block: usize,
    /// See [`block_names`].
    names: String,
}

/// An open segment. Rows are deleted by marking them; the bytes go when compaction
/// rewrites the segment without them.
pub struct Segment {
    path: PathBuf,
    map: Bytes,
    sealing: Sealing,
    /// Version 2: the f32 rows, sealed on disk.
    blocks: Option<RowBlocks>,
    database: String,
    count: usize,
    /// Largest `‖e‖` and `‖x̂‖` over the rows (for the search's bound).
    pub err_max: f32,
    /// See `err_max`.
    pub hat_max: f32,
    sections: [(usize, usize); SECTIONS],
    deleted: Vec<AtomicU64>,
    deleted_count: AtomicUsize,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("path", &self.path)
            .field("database", &self.database)
            .field("count", &self.count)
            .finish()
    }
}

impl Segment {
    /// Opens and verifies the segment at `path` (every section but the f32 vectors, whose
    /// rows are verified when read); `threads` share the checksum work. A sealed segment
    /// needs `keys`.
    pub fn open(
        path: &Path,
        threads: usize,
        keys: Option<&Keyring>,
    ) -> Result<Segment, IndexError> {
        let Opened {
            bytes: map,
            sealing,
            blocks,
        } = Bytes::read(path, keys)?;
        let corrupt = |detail: String| IndexError::Corrupt {
            file: path.display().to_string(),
            detail,
        };
        if map.len() < PAGE as usize || &map[..8] != MAGIC {
            return Err(corrupt(
                "not a segment file (bad magic or too short)".into(),
            ));
        }
        let u32_at =
            |at: usize| u32::from_le_bytes([map[at], map[at + 1], map[at + 2], map[at + 3]]);
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&map[at..at + 8]);
            u64::from_le_bytes(b)
        };
        if crc32fast::hash(&map[..HEADER_CRC_AT]) != u32_at(HEADER_CRC_AT) {
            return Err(corrupt("the header's checksum does not match".into()));
        }
        let version = u32_at(8);
        if !(version == VERSION_INLINE || version == VERSION_BLOCKS) || u32_at(12) as usize != DIM {
            return Err(corrupt(format!(
                "version {version} with dimension {}; this index reads versions {VERSION_INLINE} and {VERSION_BLOCKS}, dimension {DIM}",
                u32_at(12)
            )));
        }
        let blocked = version == VERSION_BLOCKS;
        if blocked != blocks.is_some() {
            return Err(corrupt(format!(
                "a version {version} header in a file of the other layout"
            )));
        }
        let count =
            usize::try_from(u64_at(16)).map_err(|_| corrupt("impossible row count".into()))?;
        let db_len = usize::from(map[24]).min(63);
        let database = String::from_utf8(map[25..25 + db_len].to_vec())
            .map_err(|_| corrupt("the database name is not UTF-8".into()))?;
        let err_max = f32::from_le_bytes([map[88], map[89], map[90], map[91]]);
        let hat_max = f32::from_le_bytes([map[92], map[93], map[94], map[95]]);
        let inline = usize::from(!blocked);
        let expected = [
            8 * count,
            8 * count,
            4 * count,
            DIM * count,
            inline * 4 * DIM * count,
            inline * 4 * count,
            4 * count,
        ];
        let mut sections = [(0usize, 0usize); SECTIONS];
        let mut crcs = [0u32; SECTIONS];
        for i in 0..SECTIONS {
            let at = 96 + 24 * i;
            let (off, len) = (u64_at(at) as usize, u64_at(at + 8) as usize);
            if len != expected[i]
                || off % PAGE as usize != 0
                || off.checked_add(len).is_none_or(|end| end > map.len())
            {
                return Err(corrupt(format!(
                    "the {} section lies outside the file (truncated?)",
                    SECTION_NAMES[i]
                )));
            }
            sections[i] = (off, len);
            crcs[i] = u32_at(at + 16);
        }
        // Re-ranking reads a few rows of f32 templates at random: no readahead around them
        // (it would pull gigabytes of neighbours into memory); the scan reads the codes
        // front to back.
        if let Bytes::Mapped(map) = &map {
            let (off, len) = sections[S_VECTORS];
            let _ = map.advise_range(memmap2::Advice::Random, off, len);
            let (off, len) = sections[S_CODES];
            let _ = map.advise_range(memmap2::Advice::Sequential, off, len);
        }
        let blocks = match (blocks, keys) {
            (Some((file, start, len)), Some(keys)) => {
                let per_block = u32_at(AT_BLOCK_ROWS) as usize;
                if !(1..=4096).contains(&per_block) {
                    return Err(corrupt(format!("{per_block} rows per block is impossible")));
                }
                let want = blocks_len(count, per_block);
                if len - start != want {
                    return Err(corrupt(format!(
                        "its row blocks take {} bytes where {count} rows in blocks of {per_block} take {want} (truncated or extended)",
                        len - start
                    )));
                }
                let mut uid = [0u8; UID];
                uid.copy_from_slice(&map[AT_UID..AT_UID + UID]);
                let names = block_names(&file_name(path), &uid);
                Some(RowBlocks {
                    file,
                    keys: keys.clone(),
                    start,
                    per_block,
                    names,
                })
            }
            _ => None,
        };
        let segment = Segment {
            path: path.to_path_buf(),
            map,
            sealing,
            blocks,
            database,
            count,
            err_max,
            hat_max,
            sections,
            deleted: (0..count.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            deleted_count: AtomicUsize::new(0),
        };
        for i in [S_IDS, S_OWNERS, S_SCALES, S_CRCS, S_BY_ID, S_CODES] {
            if parallel_crc(segment.bytes(i), threads) != crcs[i] {
                return Err(corrupt(format!(
                    "the {} section's checksum does not match",
                    SECTION_NAMES[i]
                )));
            }
        }
        if !err_max.is_finite() || !hat_max.is_finite() {
            return Err(corrupt("impossible quantisation bounds".into()));
        }
        if segment.by_id().iter().any(|&r| r as usize >= count) {
            return Err(corrupt(
                "the by-id table names rows that do not exist".into(),
            ));
        }
        Ok(segment)
    }

    fn bytes(&self, section: usize) -> &[u8] {
        let (off, len) = self.sections[section];
        &self.map[off..off + len]
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file is protected.
    pub fn sealing(&self) -> Sealing {
        self.sealing
    }

    /// The reference database.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Rows, deleted ones included.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Rows not deleted.
    pub fn live(&self) -> usize {
        self.count - self.deleted_count.load(Ordering::Acquire)
    }

    /// Template ids.
    pub fn ids(&self) -> &[u64] {
        bytemuck::cast_slice(self.bytes(S_IDS))
    }

    /// Reference image ids.
    pub fn owners(&self) -> &[u64] {
        bytemuck::cast_slice(self.bytes(S_OWNERS))
    }

    /// Int8 scales.
    pub fn scales(&self) -> &[f32] {
        bytemuck::cast_slice(self.bytes(S_SCALES))
    }

    /// Int8 codes.
    pub fn codes(&self) -> &[i8] {
        bytemuck::cast_slice(self.bytes(S_CODES))
    }

    fn by_id(&self) -> &[u32] {
        bytemuck::cast_slice(self.bytes(S_BY_ID))
    }

    /// Row `row`'s f32 template, verified: against its checksum, or (sealed in blocks)
    /// decrypted from its block and checked against its int8 codes.
    pub fn vector(&self, row: usize) -> Result<Cow<'_, [f32]>, IndexError> {
        if let Some(blocks) = &self.blocks {
            return self.read_row(blocks, row).map(Cow::Owned);
        }
        let bytes = &self.bytes(S_VECTORS)[row * DIM * 4..(row + 1) * DIM * 4];
        let crcs: &[u32] = bytemuck::cast_slice(self.bytes(S_CRCS));
        if crc32fast::hash(bytes) != crcs[row] {
            return Err(IndexError::Corrupt {
                file: self.path.display().to_string(),
                detail: format!("the f32 template of row {row} does not match its checksum"),
            });
        }
        Ok(Cow::Borrowed(bytemuck::cast_slice(bytes)))
    }

    /// Decrypts row `row` from its block and checks that it quantises to exactly its
    /// stored codes and scale, within the segment's bounds.
    fn read_row(&self, blocks: &RowBlocks, row: usize) -> Result<Vec<f32>, IndexError> {
        let corrupt = |detail: String| IndexError::Corrupt {
            file: self.path.display().to_string(),
            detail,
        };
        let per = blocks.per_block;
        let block = row / per;
        let first = block * per;
        let rows = per.min(self.count - first);
        let mut record = vec![0u8; block_len(rows) as usize];
        let at = blocks.start + block as u64 * block_len(per);
        blocks
            .file
            .read_exact_at(&mut record, at)
            .map_err(io(&self.path, "reading a row block of"))?;
        let (plain, _) = blocks
            .keys
            .open(ROW_BLOCK, &format!("{}{block}", blocks.names), &record)
            .map_err(|e| corrupt(format!("row block {block}: {e}")))?;
        if plain.len() != rows * DIM * 4 {
            return Err(corrupt(format!(
                "row block {block} holds {} bytes, not {rows} rows",
                plain.len()
            )));
        }
        let from = (row - first) * DIM * 4;
        let vector: Vec<f32> = plain[from..from + DIM * 4]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let mut codes = [0i8; DIM];
        let q = quantise(&vector, &mut codes);
        if codes[..] != self.codes()[row * DIM..(row + 1) * DIM]
            || q.scale.to_bits() != self.scales()[row].to_bits()
            || q.err_norm > self.err_max
            || q.hat_norm > self.hat_max
        {
            return Err(corrupt(format!(
                "the f32 template of row {row} disagrees with its int8 codes"
            )));
        }
        Ok(vector)
    }

    /// The row holding template `id`, deleted or not.
    pub fn find(&self, id: u64) -> Option<usize> {
        let ids = self.ids();
        let by_id = self.by_id();
        by_id
            .binary_search_by_key(&id, |&r| ids[r as usize])
            .ok()
            .map(|i| by_id[i] as usize)
    }

    /// Whether `row` is deleted.
    pub fn is_deleted(&self, row: usize) -> bool {
        self.deleted[row / 64].load(Ordering::Acquire) & (1 << (row % 64)) != 0
    }

    /// Marks `row` deleted; false if it already was.
    pub fn delete(&self, row: usize) -> bool {
        let bit = 1u64 << (row % 64);
        let before = self.deleted[row / 64].fetch_or(bit, Ordering::AcqRel);
        let fresh = before & bit == 0;
        if fresh {
            self.deleted_count.fetch_add(1, Ordering::AcqRel);
        }
        fresh
    }

    /// Deleted rows, ascending.
    pub fn deleted_rows(&self) -> Vec<u32> {
        (0..self.count)
            .filter(|&r| self.is_deleted(r))
            .map(|r| r as u32)
            .collect()
    }
}

/// CRC-32 of `bytes`, computed in `threads` pieces and combined.
fn parallel_crc(bytes: &[u8], threads: usize) -> u32 {
    const MIN_PIECE: usize = 8 << 20;
    let pieces = threads.clamp(1, bytes.len() / MIN_PIECE + 1);
    if pieces == 1 {
        return crc32fast::hash(bytes);
    }
    let size = bytes.len().div_ceil(pieces);
    let hashers: Vec<crc32fast::Hasher> = std::thread::scope(|s| {
        let handles: Vec<_> = bytes
            .chunks(size)
            .map(|c| {
                s.spawn(move || {
                    let mut h = crc32fast::Hasher::new();
                    h.update(c);
                    h
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut total = crc32fast::Hasher::new();
    for h in &hashers {
        total.combine(h);
    }
    total.finalize()
}
