//! Framed records for append-only files: each record is
//! `length (u32 LE) ‖ CRC-32 of the payload (u32 LE) ‖ payload`.
//!
//! Used by the audit ledger and the index's write-ahead log.
//!
//! A crash can leave the last records half-written (a *torn tail*); everything before them
//! was fsynced before it was acknowledged. [`scan`] tells the two cases apart: a bad record
//! followed by a good one is corruption (refused), and so is a whole last record whose
//! checksum fails unless its bytes end in zeros; a short record (or one ending in zeros,
//! what a file system leaves when a crash came after the file grew and before its data was
//! written) running to the end of the file is a torn tail (reported, and truncated by the
//! writer on open).

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// Largest payload a record may have (ledger entries are a few hundred bytes, index
/// log records about 2 KiB); a larger length in a header is damage, not data.
pub const MAX_PAYLOAD: u32 = 64 * 1024;
const HEADER: u64 = 8;

/// Frames `payload` for appending.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + HEADER as usize);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// What a scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Byte offset of each whole record's header, in order.
    pub offsets: Vec<u64>,
    /// Where the whole records end.
    pub valid_end: u64,
    /// File length; beyond `valid_end` is a torn tail.
    pub file_len: u64,
}

impl Scan {
    /// Bytes after the last whole record.
    pub fn torn_bytes(&self) -> u64 {
        self.file_len.saturating_sub(self.valid_end)
    }
}

/// A record that is damaged with good records after it: not a crash, but corruption.
#[derive(Debug, thiserror::Error)]
#[error("record {record} at byte {offset} is corrupt: {why}")]
pub struct Corrupt {
    /// Number of the record (its index, for the entry log).
    pub record: u64,
    /// Its byte offset.
    pub offset: u64,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Opens `path` for appending after a [`scan`]: creates it if missing, cuts a torn tail off
/// at `valid_end` (durably), and makes the file's creation durable by syncing its directory.
pub fn open_for_append(path: &Path, valid_end: u64) -> io::Result<File> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    if file.metadata()?.len() != valid_end {
        file.set_len(valid_end)?;
        file.sync_all()?;
    }
    sync_parent(path)?;
    Ok(file)
}

/// Syncs the directory holding `path`, so that a file created or renamed there survives a
/// crash.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => File::open(".")?.sync_all(),
    }
}

/// Either an I/O error or corruption.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Reading failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A record in the middle is damaged.
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
}

/// Reads every whole record, calling `each(record number, payload)`. A missing file scans as
/// empty.
pub fn scan(path: &Path, each: impl FnMut(u64, &[u8])) -> Result<Scan, ScanError> {
    scan_from(path, 0, 0, each)
}

/// Reads the whole records from byte `start` on (the end of an earlier scan), numbering them
/// from `first`: what an incremental reader of an append-only file uses, so that its cost
/// grows with what was appended. The [`Scan`]'s offsets are those of the records read; a
/// file shorter than `start` scans as empty with `file_len < valid_end` — the caller's sign
/// that the file was cut.
pub fn scan_from(
    path: &Path,
    start: u64,
    first: u64,
    mut each: impl FnMut(u64, &[u8]),
) -> Result<Scan, ScanError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Scan {
                valid_end: start,
                ..Scan::default()
            })
        }
        Err(e) => return Err(e.into()),
    };
    let file_len = file.metadata()?.len();
    let mut scan = Scan {
        file_len,
        valid_end: start,
        ..Scan::default()
    };
    if file_len < start {
        return Ok(scan);
    }
    let mut reader = BufReader::with_capacity(1 << 20, file);
    reader.seek(SeekFrom::Start(start))?;
    let mut payload = Vec::new();
    let mut offset = start;
    loop {
        match read_record(&mut reader, offset, file_len, &mut payload)? {
            Record::Good(len) => {
                each(first + scan.offsets.len() as u64, &payload);
                scan.offsets.push(offset);
                offset += HEADER + u64::from(len);
                scan.valid_end = offset;
            }
            Record::End => return Ok(scan),
            Record::Bad { why, claimed_len } => {
                // A crash leaves the last record short, or whole but ending in zeros (the
                // file grew before its data was written). A whole record whose checksum
                // fails otherwise is damage, even at the end; so is any damaged record
                // that an intact one follows.
                if let Some(len) = claimed_len {
                    if payload.last() != Some(&0) {
                        return Err(Corrupt {
                            record: first + scan.offsets.len() as u64,
                            offset,
                            why: "a whole record whose checksum fails (a crash leaves a record short or ending in zeros, not whole)",
                        }
                        .into());
                    }
                    let next = offset + HEADER + u64::from(len);
                    reader.seek(SeekFrom::Start(next))?;
                    if let Record::Good(_) = read_record(&mut reader, next, file_len, &mut payload)?
                    {
                        return Err(Corrupt {
                            record: first + scan.offsets.len() as u64,
                            offset,
                            why: match why {
                                "checksum mismatch" => {
                                    "checksum mismatch, and intact records follow"
                                }
                                _ => why,
                            },
                        }
                        .into());
                    }
                }
                return Ok(scan);
            }
        }
    }
}

enum Record {
    Good(u32),
    End,
    Bad {
        why: &'static str,
        claimed_len: Option<u32>,
    },
}

fn read_record(
    r: &mut impl Read,
    offset: u64,
    file_len: u64,
    payload: &mut Vec<u8>,
) -> io::Result<Record> {
    if offset >= file_len {
        return Ok(Record::End);
    }
    if file_len - offset < HEADER {
        return Ok(Record::Bad {
            why: "incomplete header",
            claimed_len: None,
        });
    }
    let mut header = [0u8; 8];
    r.read_exact(&mut header)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if len == 0 || len > MAX_PAYLOAD {
        return Ok(Record::Bad {
            why: "impossible length",
            claimed_len: None,
        });
    }
    if file_len - offset - HEADER < u64::from(len) {
        return Ok(Record::Bad {
            why: "incomplete payload",
            claimed_len: None,
        });
    }
    payload.resize(len as usize, 0);
    r.read_exact(payload)?;
    if crc32fast::hash(payload) != crc {
        return Ok(Record::Bad {
            why: "checksum mismatch",
            claimed_len: Some(len),
        });
    }
    Ok(Record::Good(len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp(name: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("waarborg-frames-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        p
    }

    fn write(path: &Path, records: &[&[u8]]) -> Vec<u8> {
        let bytes: Vec<u8> = records.iter().flat_map(|r| frame(r)).collect();
        std::fs::File::create(path)
            .unwrap()
            .write_all(&bytes)
            .unwrap();
        bytes
    }

    fn payloads(path: &Path) -> Result<(Vec<Vec<u8>>, Scan), ScanError> {
        let mut out = Vec::new();
        let s = scan(path, |_, p| out.push(p.to_vec()))?;
        Ok((out, s))
    }

    #[test]
    fn whole_records_scan_back() {
        let p = temp("whole");
        write(&p, &[b"one", b"two", b"three"]);
        let (got, s) = payloads(&p).unwrap();
        assert_eq!(
            got,
            vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
        assert_eq!(s.torn_bytes(), 0);
    }

    #[test]
    fn a_scan_goes_on_where_the_last_one_ended() {
        let p = temp("from");
        write(&p, &[b"one", b"two"]);
        let first = scan(&p, |_, _| {}).unwrap();
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.extend(frame(b"three"));
        bytes.extend(&frame(b"four")[..5]); // a torn tail
        std::fs::write(&p, &bytes).unwrap();
        let mut seen = Vec::new();
        let next = scan_from(&p, first.valid_end, 2, |n, payload| {
            seen.push((n, payload.to_vec()))
        })
        .unwrap();
        assert_eq!(seen, vec![(2, b"three".to_vec())]);
        assert_eq!(next.offsets, vec![first.valid_end]);
        assert_eq!(next.torn_bytes(), 5);
        // A file cut below where the last scan ended reads as nothing, and says so.
        std::fs::write(&p, &bytes[..4]).unwrap();
        let cut = scan_from(&p, next.valid_end, 3, |_, _| panic!("nothing to read")).unwrap();
        assert!(cut.file_len < cut.valid_end);
    }

    #[test]
    fn every_torn_tail_is_detected_and_bounded() {
        let p = temp("torn");
        let bytes = write(&p, &[b"first", b"second record"]);
        let first_len = frame(b"first").len() as u64;
        for cut in first_len + 1..bytes.len() as u64 {
            std::fs::write(&p, &bytes[..cut as usize]).unwrap();
            let (got, s) = payloads(&p).unwrap();
            assert_eq!(got.len(), 1, "cut at {cut}");
            assert_eq!(s.valid_end, first_len);
            assert_eq!(s.torn_bytes(), cut - first_len);
        }
        // A tail of zeros (what a crash can leave after a pre-allocated block) is torn too.
        let mut zeros = bytes.clone();
        zeros.extend_from_slice(&[0u8; 100]);
        std::fs::write(&p, &zeros).unwrap();
        let (got, s) = payloads(&p).unwrap();
        assert_eq!((got.len(), s.torn_bytes()), (2, 100));
    }

    #[test]
    fn damage_before_intact_records_is_corruption() {
        let p = temp("corrupt");
        let mut bytes = write(&p, &[b"aaaa", b"bbbb", b"cccc"]);
        bytes[8 + 4 + 8 + 1] ^= 1; // inside the second payload
        std::fs::write(&p, &bytes).unwrap();
        match payloads(&p) {
            Err(ScanError::Corrupt(c)) => assert_eq!((c.record, c.offset), (1, 12)),
            other => panic!("expected corruption, got {other:?}"),
        }
        // The same damage in a whole last record is damage too: a crash leaves a record
        // short, or ending in zeros, never whole with other bytes.
        let mut bytes = write(&p, &[b"aaaa", b"bbbb"]);
        let n = bytes.len();
        bytes[n - 2] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        match payloads(&p) {
            Err(ScanError::Corrupt(c)) => assert_eq!((c.record, c.offset), (1, 12)),
            other => panic!("expected corruption, got {other:?}"),
        }
        // A whole last record whose data never reached the disk (zeros): a torn write.
        let mut bytes = write(&p, &[b"aaaa", b"bbbb"]);
        let n = bytes.len();
        bytes[n - 2..].fill(0);
        std::fs::write(&p, &bytes).unwrap();
        let (got, s) = payloads(&p).unwrap();
        assert_eq!((got.len(), s.torn_bytes()), (1, 12));
    }
}
