//! The write-ahead log: inserts and deletions since the last flush, as framed records
//! (`waarborg-frames`), fsynced before the call that wrote them returns.
//!
//! One call's records are followed by a commit record; replay applies only committed
//! groups, so a call interrupted by a crash (even one whose `write` was cut short between
//! whole records) leaves nothing of itself behind.
//!
//! With data keys, each insert record (it holds a template) is sealed as a `WBW1` record
//! named after the log file; deletions and commits hold ids only and stay plain.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use waarborg_seal::Keyring;

use crate::quant::DIM;
use crate::IndexError;

/// The magic of a sealed insert record.
const SEALED: &[u8; 4] = b"WBW1";

const INSERT: u8 = 1;
const DELETE: u8 = 2;
const COMMIT: u8 = 3;

/// One logged change.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A template was inserted.
    Insert {
        /// Template id.
        id: u64,
        /// Reference image id.
        owner: u64,
        /// Reference database.
        database: String,
        /// The template.
        vector: Vec<f32>,
    },
    /// A template was deleted.
    Delete {
        /// Template id.
        id: u64,
    },
    /// The end of one call's records.
    Commit {
        /// How many records precede it in its group.
        records: u64,
    },
}

/// Encodes an insert record.
pub fn encode_insert(id: u64, owner: u64, database: &str, vector: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(18 + database.len() + 4 * DIM);
    out.push(INSERT);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&owner.to_le_bytes());
    out.push(database.len() as u8);
    out.extend_from_slice(database.as_bytes());
    out.extend_from_slice(bytemuck::cast_slice(vector));
    out
}

/// Encodes a delete record.
pub fn encode_delete(id: u64) -> Vec<u8> {
    let mut out = vec![DELETE];
    out.extend_from_slice(&id.to_le_bytes());
    out
}

/// Seals an encoded record for the log named `log`.
pub fn seal(keys: &Keyring, log: &str, record: &[u8]) -> Result<Vec<u8>, IndexError> {
    keys.seal(SEALED, log, record)
        .map_err(|e| IndexError::Failed(format!("sealing a log record: {e}")))
}

fn decode(p: &[u8]) -> Option<Record> {
    let u64_at = |at: usize| {
        p.get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    match *p.first()? {
        INSERT => {
            let len = usize::from(*p.get(17)?);
            let database = std::str::from_utf8(p.get(18..18 + len)?).ok()?.to_string();
            let floats = p.get(18 + len..)?;
            if floats.len() != 4 * DIM {
                return None;
            }
            let vector = floats
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Some(Record::Insert {
                id: u64_at(1)?,
                owner: u64_at(9)?,
                database,
                vector,
            })
        }
        DELETE if p.len() == 9 => Some(Record::Delete { id: u64_at(1)? }),
        COMMIT if p.len() == 9 => Some(Record::Commit {
            records: u64_at(1)?,
        }),
        _ => None,
    }
}

/// Reads the log at `path` (a missing file is empty; sealed records need `keys`), opens it
/// for appending with any torn tail and uncommitted group cut off, and returns the
/// committed records (commit markers left out) and the number of bytes cut.
pub fn open(path: &Path, keys: Option<&Keyring>) -> Result<(File, Vec<Record>, u64), IndexError> {
    let corrupt = |detail: String| IndexError::Corrupt {
        file: path.display().to_string(),
        detail,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut records = Vec::new();
    let mut bad = None;
    let scan = waarborg_frames::scan(path, |i, p| {
        let decoded = if p.starts_with(SEALED) {
            match keys.map(|k| k.open(SEALED, &name, p)) {
                Some(Ok((plain, _))) => decode(&plain)
                    .ok_or_else(|| "has a valid checksum but is not an index record".to_string()),
                Some(Err(e)) => Err(e.to_string()),
                None => Err("is encrypted and no data key was given".to_string()),
            }
        } else {
            decode(p).ok_or_else(|| "has a valid checksum but is not an index record".to_string())
        };
        match decoded {
            Ok(r) => records.push(r),
            Err(why) => {
                bad.get_or_insert((i, why));
            }
        }
    })
    .map_err(|e| corrupt(e.to_string()))?;
    if let Some((i, why)) = bad {
        return Err(corrupt(format!("record {i} {why}")));
    }
    let mut committed = Vec::with_capacity(records.len());
    let mut group = Vec::new();
    let mut end = 0u64;
    for (i, r) in records.into_iter().enumerate() {
        match r {
            Record::Commit { records } => {
                if records != group.len() as u64 {
                    return Err(corrupt(format!(
                        "record {i} commits {records} records, {} precede it",
                        group.len()
                    )));
                }
                committed.append(&mut group);
                end = scan.offsets.get(i + 1).copied().unwrap_or(scan.valid_end);
            }
            r => group.push(r),
        }
    }
    let file = waarborg_frames::open_for_append(path, end).map_err(|source| IndexError::Io {
        context: format!("opening {}", path.display()),
        source,
    })?;
    Ok((file, committed, scan.file_len - end))
}

/// Appends `payloads` and their commit record, and syncs. On failure the file is cut back to `valid_end` when
/// possible, so no half-written record stays behind.
pub fn append(file: &mut File, payloads: &[Vec<u8>], valid_end: u64) -> std::io::Result<u64> {
    let mut bytes = Vec::with_capacity(payloads.iter().map(|p| p.len() + 8).sum::<usize>() + 17);
    for p in payloads {
        bytes.extend_from_slice(&waarborg_frames::frame(p));
    }
    let mut commit = vec![COMMIT];
    commit.extend_from_slice(&(payloads.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&waarborg_frames::frame(&commit));
    let written = file.write_all(&bytes).and_then(|()| file.sync_data());
    match written {
        Ok(()) => Ok(valid_end + bytes.len() as u64),
        Err(e) => {
            let _ = file.set_len(valid_end);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let v: Vec<f32> = (0..DIM).map(|i| i as f32).collect();
        let ins = encode_insert(3, 4, "criminal", &v);
        assert_eq!(
            decode(&ins),
            Some(Record::Insert {
                id: 3,
                owner: 4,
                database: "criminal".into(),
                vector: v
            })
        );
        assert_eq!(decode(&encode_delete(9)), Some(Record::Delete { id: 9 }));
        assert_eq!(decode(&ins[..ins.len() - 1]), None);
        assert_eq!(decode(&[7, 0, 0]), None);
    }
}
