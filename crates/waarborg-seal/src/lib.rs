//! Encryption at rest for everything biometric Waarborg keeps: reference images, templates
//! (index segments and their write-ahead log) and probe images.
//!
//! * [`Key`]: one 256-bit data key, from a 0600 key file or `$WAARBORG_VAULT_KEY`; its id
//!   (a hash prefix) is written beside every ciphertext, never the key.
//! * [`Keyring`]: the current key plus the previous keys still needed to read what was
//!   sealed before a rotation. New data is always sealed under the current key; readers
//!   say whether what they opened was current, so a re-encryption job knows what to redo.
//! * [`Keyring::seal`] / [`Keyring::open`]: one record (an image, a log record) as
//!   `magic ‖ key id ‖ nonce ‖ XChaCha20-Poly1305(message)` with the magic, the key id and
//!   the record's name as associated data: a record moved to another name, sealed under
//!   another kind's magic, or altered by one bit does not open.
//! * [`Keyring::seal_writer`] / [`Keyring::open_stream`]: large files (index segments of
//!   gigabytes) in 1 MiB chunks with the STREAM construction (`aead::stream`, big-endian
//!   32-bit counter), so a file is written without holding it whole in memory, and a
//!   truncated, reordered or spliced file is refused.
//!
//! XChaCha20-Poly1305's 192-bit random nonces need no bookkeeping: no counter to persist,
//! no reuse after a crash.
//!
//! ```
//! use waarborg_seal::{Key, Keyring};
//!
//! let keys = Keyring::new(Key::generate()?, Vec::new());
//! let sealed = keys.seal(b"DOC1", "00a1", b"template bytes")?;
//! let (plain, current) = keys.open(b"DOC1", "00a1", &sealed)?;
//! assert_eq!((plain.as_slice(), current), (&b"template bytes"[..], true));
//! assert!(keys.open(b"DOC1", "00a2", &sealed).is_err(), "the name is authenticated");
//! # Ok::<(), waarborg_seal::SealError>(())
//! ```

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// Bytes of a key id.
const ID: usize = 8;
/// Bytes of a record's nonce.
const NONCE: usize = 24;
/// Bytes of a stream's nonce prefix (the STREAM construction's counter and last-chunk flag
/// fill the remaining 5 of the 24).
const STREAM_NONCE: usize = 19;
/// Bytes of a Poly1305 tag.
const TAG: usize = 16;
/// Plaintext bytes per stream chunk.
pub const CHUNK: usize = 1 << 20;
/// Bytes before a sealed record's ciphertext: magic, key id, nonce.
pub const RECORD_HEADER: usize = 4 + ID + NONCE;
/// Bytes before a sealed stream's first chunk: magic, key id, nonce prefix.
pub const STREAM_HEADER: usize = 4 + ID + STREAM_NONCE;

/// What can go wrong sealing or opening.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// A key is malformed or its file is unsafe, or no randomness was available.
    #[error("{0}")]
    Key(String),
    /// Sealed bytes do not open: damaged, truncated, moved, or under a key not given.
    #[error("{name} cannot be decrypted: {why}")]
    Undecryptable {
        /// The record's or file's name.
        name: String,
        /// Why.
        why: String,
    },
}

type Result<T> = std::result::Result<T, SealError>;

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> SealError {
    let context = context.into();
    move |source| SealError::Io { context, source }
}

fn undecryptable(name: &str, why: impl Into<String>) -> SealError {
    SealError::Undecryptable {
        name: name.to_string(),
        why: why.into(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A 256-bit data key and its id (the first 8 bytes of a hash of it).
#[derive(Clone)]
pub struct Key {
    id: [u8; ID],
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.id_hex())
    }
}

impl Key {
    /// The environment variable that may hold the key (64 hex digits).
    pub const ENV: &'static str = "WAARBORG_VAULT_KEY";

    fn from_bytes(bytes: &[u8; 32]) -> Key {
        let digest = Sha256::new()
            .chain_update(b"waarborg vault key id\0")
            .chain_update(bytes)
            .finalize();
        let mut id = [0u8; ID];
        id.copy_from_slice(&digest[..ID]);
        Key {
            id,
            cipher: XChaCha20Poly1305::new(bytes.into()),
        }
    }

    /// A fresh random key.
    pub fn generate() -> Result<Key> {
        Ok(Key::from_bytes(&random::<32>()?))
    }

    /// A key from 64 hex digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<Key> {
        let text = text.trim();
        let bad = || SealError::Key("a data key is 64 hexadecimal digits (256 bits)".into());
        if text.len() != 64 {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(text.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        Ok(Key::from_bytes(&bytes))
    }

    /// Loads a key file, refusing one that others can read (it must be mode 0600 or
    /// stricter).
    pub fn load(path: &Path) -> Result<Key> {
        let meta = fs::metadata(path).map_err(io(format!("reading {}", path.display())))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(SealError::Key(format!(
                "{} can be read by others (mode {:o}); run `chmod 600 {}`",
                path.display(),
                meta.permissions().mode() & 0o777,
                path.display()
            )));
        }
        let text = fs::read_to_string(path).map_err(io(format!("reading {}", path.display())))?;
        Key::from_hex(&text).map_err(|_| {
            SealError::Key(format!(
                "{} does not hold a data key (64 hexadecimal digits)",
                path.display()
            ))
        })
    }

    /// Writes a new random key to `path` (mode 0600; an existing file is never
    /// overwritten) and returns it.
    pub fn create(path: &Path) -> Result<Key> {
        let bytes = random::<32>()?;
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io(format!("creating {}", path.display())))?;
        f.write_all(format!("{}\n", hex(&bytes)).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(io(format!("writing {}", path.display())))?;
        Ok(Key::from_bytes(&bytes))
    }

    /// The key from `$WAARBORG_VAULT_KEY` if set, else from `path`, created there when
    /// `create` and it does not exist.
    pub fn from_env_or_file(path: &Path, create: bool) -> Result<Key> {
        if let Some(text) = std::env::var_os(Self::ENV).filter(|v| !v.is_empty()) {
            return Key::from_hex(&text.to_string_lossy()).map_err(|_| {
                SealError::Key(format!(
                    "${} does not hold a data key (64 hexadecimal digits)",
                    Self::ENV
                ))
            });
        }
        if create && !path.exists() {
            return Key::create(path);
        }
        Key::load(path)
    }

    /// The key's id, in hex (named in files and messages; reveals nothing of the key).
    pub fn id_hex(&self) -> String {
        hex(&self.id)
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| SealError::Key(format!("no randomness: {e}")))?;
    Ok(bytes)
}

fn aad(magic: &[u8; 4], key_id: &[u8], name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(4 + ID + name.len());
    aad.extend_from_slice(magic);
    aad.extend_from_slice(key_id);
    aad.extend_from_slice(name.as_bytes());
    aad
}

/// The current key and the previous ones still needed for reading.
#[derive(Debug, Clone)]
pub struct Keyring {
    current: Key,
    previous: Vec<Key>,
}

impl Keyring {
    /// A keyring sealing under `current`, opening under `current` or any of `previous`.
    pub fn new(current: Key, previous: Vec<Key>) -> Keyring {
        Keyring { current, previous }
    }

    /// The current key's id, in hex.
    pub fn key_id(&self) -> String {
        self.current.id_hex()
    }

    /// Whether `previous` keys are still held (a rotation not yet finished).
    pub fn rotating(&self) -> bool {
        !self.previous.is_empty()
    }

    fn find(&self, name: &str, key_id: &[u8]) -> Result<&Key> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
            .ok_or_else(|| {
                undecryptable(
                    name,
                    format!("sealed under key {}, which was not given", hex(key_id)),
                )
            })
    }

    /// Seals `message` as a record of kind `magic` named `name`, under the current key.
    pub fn seal(&self, magic: &[u8; 4], name: &str, message: &[u8]) -> Result<Vec<u8>> {
        let nonce = random::<NONCE>()?;
        let aad = aad(magic, &self.current.id, name);
        let sealed = self
            .current
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: message,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Key("encryption failed".into()))?;
        let mut out = Vec::with_capacity(RECORD_HEADER + sealed.len());
        out.extend_from_slice(magic);
        out.extend_from_slice(&self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens a record sealed by [`seal`](Keyring::seal) with the same `magic` and `name`;
    /// also says whether it was under the current key.
    pub fn open(&self, magic: &[u8; 4], name: &str, sealed: &[u8]) -> Result<(Vec<u8>, bool)> {
        if sealed.len() < RECORD_HEADER + TAG || &sealed[..4] != magic {
            return Err(undecryptable(
                name,
                "not a sealed record of this kind (truncated or wrong format)",
            ));
        }
        let key_id = &sealed[4..4 + ID];
        let key = self.find(name, key_id)?;
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(&sealed[4 + ID..RECORD_HEADER]),
                Payload {
                    msg: &sealed[RECORD_HEADER..],
                    aad: &aad(magic, key_id, name),
                },
            )
            .map_err(|_| undecryptable(name, "authentication failed: it was altered or moved"))?;
        Ok((plain, key.id == self.current.id))
    }

    /// A writer that seals everything written to it as a stream of kind `magic` named
    /// `name` into `inner`; call [`SealWriter::finish`] at the end (a stream without its
    /// last chunk does not open).
    pub fn seal_writer<W: Write>(
        &self,
        magic: &[u8; 4],
        name: &str,
        mut inner: W,
    ) -> Result<SealWriter<W>> {
        let nonce = random::<STREAM_NONCE>()?;
        inner
            .write_all(magic)
            .and_then(|()| inner.write_all(&self.current.id))
            .and_then(|()| inner.write_all(&nonce))
            .map_err(io(format!("writing {name}")))?;
        Ok(SealWriter {
            inner,
            encryptor: EncryptorBE32::from_aead(self.current.cipher.clone(), (&nonce).into()),
            aad: aad(magic, &self.current.id, name),
            buf: Vec::with_capacity(CHUNK + TAG),
        })
    }

    /// Opens a stream sealed by [`seal_writer`](Keyring::seal_writer) with the same `magic`
    /// and `name`, `sealed_len` bytes long in all, into `out`, which must be exactly
    /// [`stream_plaintext_len`]`(sealed_len)` long. Says whether it was under the current
    /// key.
    pub fn open_stream(
        &self,
        magic: &[u8; 4],
        name: &str,
        mut reader: impl Read,
        sealed_len: u64,
        out: &mut [u8],
    ) -> Result<bool> {
        let mut header = [0u8; STREAM_HEADER];
        reader
            .read_exact(&mut header)
            .map_err(|_| undecryptable(name, "truncated before its first chunk"))?;
        if &header[..4] != magic {
            return Err(undecryptable(name, "not a sealed stream of this kind"));
        }
        if stream_plaintext_len(sealed_len) != Some(out.len() as u64) {
            return Err(undecryptable(
                name,
                "its length is not a whole sealed stream",
            ));
        }
        let key_id = &header[4..4 + ID];
        let key = self.find(name, key_id)?;
        let nonce: [u8; STREAM_NONCE] = header[4 + ID..]
            .try_into()
            .map_err(|_| undecryptable(name, "bad header"))?;
        let mut decryptor = DecryptorBE32::from_aead(key.cipher.clone(), (&nonce).into());
        let aad = aad(magic, key_id, name);
        let mut remaining = sealed_len - STREAM_HEADER as u64;
        let mut at = 0usize;
        let mut chunk = Vec::with_capacity(CHUNK + TAG);
        let failed = || {
            undecryptable(
                name,
                "authentication failed: altered, truncated or reordered",
            )
        };
        loop {
            let n = remaining.min((CHUNK + TAG) as u64) as usize;
            chunk.resize(n, 0);
            reader
                .read_exact(&mut chunk)
                .map_err(io(format!("reading {name}")))?;
            remaining -= n as u64;
            if remaining == 0 {
                decryptor
                    .decrypt_last_in_place(&aad, &mut chunk)
                    .map_err(|_| failed())?;
                out[at..at + chunk.len()].copy_from_slice(&chunk);
                return Ok(key.id == self.current.id);
            }
            decryptor
                .decrypt_next_in_place(&aad, &mut chunk)
                .map_err(|_| failed())?;
            out[at..at + chunk.len()].copy_from_slice(&chunk);
            at += chunk.len();
        }
    }
}

/// The length of a record sealed by [`Keyring::seal`] from a message `message_len` bytes
/// long.
pub fn record_len(message_len: usize) -> usize {
    RECORD_HEADER + message_len + TAG
}

/// The plaintext length of a sealed stream `sealed_len` bytes long, `None` if no sealed
/// stream has that length.
pub fn stream_plaintext_len(sealed_len: u64) -> Option<u64> {
    let body = sealed_len.checked_sub(STREAM_HEADER as u64)?;
    let (chunk, tag) = ((CHUNK + TAG) as u64, TAG as u64);
    let (full, rest) = (body / chunk, body % chunk);
    match rest {
        0 if full > 0 => Some(full * CHUNK as u64),
        r if r >= tag => Some(full * CHUNK as u64 + r - tag),
        _ => None,
    }
}

/// Seals a stream as it is written; see [`Keyring::seal_writer`].
pub struct SealWriter<W: Write> {
    inner: W,
    encryptor: EncryptorBE32<XChaCha20Poly1305>,
    aad: Vec<u8>,
    buf: Vec<u8>,
}

impl<W: Write> SealWriter<W> {
    /// Seals the last chunk and returns the inner writer (not flushed or synced).
    pub fn finish(mut self) -> std::io::Result<W> {
        self.encryptor
            .encrypt_last_in_place(&self.aad, &mut self.buf)
            .map_err(|_| std::io::Error::other("encryption failed"))?;
        self.inner.write_all(&self.buf)?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, mut data: &[u8]) -> std::io::Result<usize> {
        let len = data.len();
        while !data.is_empty() {
            // A full chunk is sealed only when more follows: the last chunk, full or not,
            // is sealed by `finish` with the STREAM's last-chunk flag.
            if self.buf.len() == CHUNK {
                self.encryptor
                    .encrypt_next_in_place(&self.aad, &mut self.buf)
                    .map_err(|_| std::io::Error::other("encryption failed"))?;
                self.inner.write_all(&self.buf)?;
                self.buf.clear();
            }
            let n = (CHUNK - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        Ok(len)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(hexdigit: &str) -> Keyring {
        Keyring::new(Key::from_hex(&hexdigit.repeat(64)).unwrap(), Vec::new())
    }

    fn sealed_stream(keys: &Keyring, name: &str, plain: &[u8]) -> Vec<u8> {
        let mut w = keys.seal_writer(b"TST1", name, Vec::new()).unwrap();
        // Uneven writes: chunk boundaries must not depend on how the caller writes.
        for part in plain.chunks(333_333) {
            w.write_all(part).unwrap();
        }
        w.finish().unwrap()
    }

    fn open_stream(keys: &Keyring, name: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        let len = stream_plaintext_len(sealed.len() as u64)
            .ok_or_else(|| undecryptable(name, "bad length"))?;
        let mut out = vec![0u8; len as usize];
        keys.open_stream(b"TST1", name, sealed, sealed.len() as u64, &mut out)?;
        Ok(out)
    }

    #[test]
    fn streams_round_trip_at_every_chunk_boundary() {
        let k = keys("a");
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 77] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let sealed = sealed_stream(&k, "seg-1", &plain);
            assert_eq!(
                stream_plaintext_len(sealed.len() as u64),
                Some(len as u64),
                "{len}"
            );
            assert_eq!(open_stream(&k, "seg-1", &sealed).unwrap(), plain, "{len}");
            if len >= 64 {
                assert!(!sealed.windows(32).any(|w| w == &plain[..32]));
            }
        }
    }

    #[test]
    fn altered_truncated_reordered_or_renamed_streams_are_refused() {
        let k = keys("b");
        let plain: Vec<u8> = (0..3 * CHUNK).map(|i| (i % 7) as u8).collect();
        let sealed = sealed_stream(&k, "seg-2", &plain);
        let mut flipped = sealed.clone();
        flipped[STREAM_HEADER + CHUNK + 40] ^= 1;
        assert!(open_stream(&k, "seg-2", &flipped).is_err());
        // Cut after a whole chunk: the length is valid but the last-chunk flag is missing.
        let cut = &sealed[..STREAM_HEADER + CHUNK + TAG];
        assert!(open_stream(&k, "seg-2", cut).is_err());
        let mut swapped = sealed.clone();
        let (a, b) = (STREAM_HEADER, STREAM_HEADER + CHUNK + TAG);
        swapped[a..b].copy_from_slice(&sealed[b..b + CHUNK + TAG]);
        swapped[b..b + CHUNK + TAG].copy_from_slice(&sealed[a..b]);
        assert!(open_stream(&k, "seg-2", &swapped).is_err());
        assert!(open_stream(&k, "seg-3", &sealed).is_err());
        assert!(open_stream(&keys("c"), "seg-2", &sealed).is_err());
        assert_eq!(open_stream(&k, "seg-2", &sealed).unwrap(), plain);
    }

    #[test]
    fn records_open_under_a_previous_key_and_say_so() {
        let (old, new) = (keys("d"), keys("e"));
        let sealed = old.seal(b"REC1", "r", b"x").unwrap();
        let both = Keyring::new(new.current.clone(), vec![old.current.clone()]);
        assert_eq!(
            both.open(b"REC1", "r", &sealed).unwrap(),
            (b"x".to_vec(), false)
        );
        assert!(new.open(b"REC1", "r", &sealed).is_err());
        assert!(old.open(b"REC2", "r", &sealed).is_err(), "another kind");
        let resealed = both.seal(b"REC1", "r", b"x").unwrap();
        assert!(new.open(b"REC1", "r", &resealed).unwrap().1);
    }

    #[test]
    fn key_files_must_be_private_and_well_formed() {
        let dir = std::env::temp_dir().join(format!("wb-seal-keys-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vault.key");
        let key = Key::create(&path).unwrap();
        assert_eq!(Key::load(&path).unwrap().id_hex(), key.id_hex());
        assert!(Key::create(&path).is_err(), "never overwritten");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Key::load(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        assert!(Key::from_hex("abc").is_err());
        assert!(Key::from_hex(&"zz".repeat(32)).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
