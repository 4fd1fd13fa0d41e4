//! Signed checkpoints in the formats transparency-log tooling already reads:
//! C2SP `tlog-checkpoint` bodies, signed as C2SP `signed-note`s with Ed25519.
//!
//! A checkpoint body is three lines: the log's origin, the tree size in decimal, and the
//! root hash in standard base64. The signed note appends a blank line and one line per
//! signature: `— <key name> <base64(key ID ‖ signature)>`. The key ID is the first four
//! bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key); 0x01 marks Ed25519. Keys are written
//! as `<name>+<key ID hex>+<base64(0x01 ‖ public key)>` (verifier) and
//! `PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 ‖ seed)>` (signer), as Go's
//! `golang.org/x/mod/sumdb/note` writes them.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

const ALG_ED25519: u8 = 0x01;
const SIG_PREFIX: &str = "\u{2014} ";

/// Why a key, note or checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key string is malformed.
    #[error("malformed key: {0}")]
    BadKey(String),
    /// A note is malformed.
    #[error("malformed signed note: {0}")]
    BadNote(String),
    /// No signature by the expected key verifies.
    #[error("no valid signature by key {0}")]
    NoValidSignature(String),
    /// The checkpoint body is malformed or for another log.
    #[error("malformed checkpoint: {0}")]
    BadCheckpoint(String),
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(NoteError::BadKey(format!(
            "key name {name:?} must be non-empty without spaces or '+'"
        )));
    }
    Ok(())
}

fn key_id(name: &str, public: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// An Ed25519 key that signs notes under a name (for a log: its origin).
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish()
    }
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, &key.verifying_key());
        Ok(Self {
            name: name.to_string(),
            key,
            id,
        })
    }

    /// A new random key from the operating system's generator.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| NoteError::BadKey(format!("no randomness: {e}")))?;
        Self::from_seed(name, seed)
    }

    /// Parses `PRIVATE+KEY+<name>+<id hex>+<base64(0x01 ‖ seed)>`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::BadKey(format!("signer key: {why}"));
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("must start with PRIVATE+KEY+"))?;
        // The base64 key may itself contain '+': split at the first two only.
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected PRIVATE+KEY+name+id+key"));
        };
        let bytes = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        if bytes.len() != 33 || bytes[0] != ALG_ED25519 {
            return Err(bad("not an Ed25519 key"));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&bytes[1..]);
        let signer = Self::from_seed(name, seed)?;
        if format!("{:08x}", signer.id) != id {
            return Err(bad("key ID does not match the key"));
        }
        Ok(signer)
    }

    /// The private key string (keep it secret: file mode 0600).
    pub fn to_private_string(&self) -> String {
        let mut bytes = vec![ALG_ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(bytes)
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            id: self.id,
        }
    }

    /// Raw Ed25519 signature over `message` (used for key-rotation announcements).
    pub fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// Signs a note text (which must end with a newline) and returns the signed note.
    pub fn sign_note(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') || text.contains("\n\n") || text.is_empty() {
        return Err(NoteError::BadNote(
            "the text must end with one newline and contain no blank line".into(),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::BadNote(
            "the text contains control characters".into(),
        ));
    }
    Ok(())
}

/// A public key that verifies notes signed under a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key: VerifyingKey,
    id: u32,
}

impl NoteVerifier {
    /// A verifier from a raw 32-byte public key.
    pub fn from_public_key(name: &str, public: &[u8]) -> Result<Self, NoteError> {
        check_name(name)?;
        let bytes: [u8; 32] = public
            .try_into()
            .map_err(|_| NoteError::BadKey("an Ed25519 public key has 32 bytes".into()))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|e| NoteError::BadKey(e.to_string()))?;
        let id = key_id(name, &key);
        Ok(Self {
            name: name.to_string(),
            key,
            id,
        })
    }

    /// Parses `<name>+<id hex>+<base64(0x01 ‖ public key)>`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::BadKey(format!("verifier key: {why}"));
        // The base64 key may itself contain '+': split at the first two only.
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+id+key"));
        };
        let bytes = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        if bytes.len() != 33 || bytes[0] != ALG_ED25519 {
            return Err(bad("not an Ed25519 key"));
        }
        let v = Self::from_public_key(name, &bytes[1..])?;
        if format!("{:08x}", v.id) != id {
            return Err(bad("key ID does not match the key"));
        }
        Ok(v)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The raw public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Checks a raw Ed25519 signature (strict verification).
    pub fn verify_raw(&self, message: &[u8], signature: &[u8]) -> Result<(), NoteError> {
        let sig = Signature::from_slice(signature).map_err(|e| NoteError::BadKey(e.to_string()))?;
        self.key
            .verify_strict(message, &sig)
            .map_err(|_| NoteError::NoValidSignature(self.to_string()))
    }

    /// Verifies a signed note and returns its text. Signatures by other keys are ignored,
    /// as the format allows; at least one by this key must verify.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| NoteError::BadNote("no blank line before the signatures".into()))?;
        let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
        check_text(text)?;
        if !sigs.ends_with('\n') {
            return Err(NoteError::BadNote(
                "the signature block must end with a newline".into(),
            ));
        }
        for line in sigs.lines() {
            let body = line
                .strip_prefix(SIG_PREFIX)
                .ok_or_else(|| NoteError::BadNote(format!("not a signature line: {line:?}")))?;
            let (name, blob) = body
                .split_once(' ')
                .ok_or_else(|| NoteError::BadNote(format!("not a signature line: {line:?}")))?;
            if name != self.name {
                continue;
            }
            let Ok(blob) = B64.decode(blob) else { continue };
            if blob.len() != 68
                || u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]) != self.id
            {
                continue;
            }
            if self.verify_raw(text.as_bytes(), &blob[4..]).is_ok() {
                return Ok(text);
            }
        }
        Err(NoteError::NoValidSignature(self.to_string()))
    }
}

impl std::fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut bytes = vec![ALG_ED25519];
        bytes.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(bytes))
    }
}

/// A C2SP `tlog-checkpoint`: which log, how many entries, and the root hash over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// Number of entries covered.
    pub size: u64,
    /// RFC 9162 root hash over the first `size` entries.
    pub root: Hash,
}

impl Checkpoint {
    /// The note body: origin, size and base64 root, one per line.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a checkpoint body (extension lines after the root are allowed and ignored).
    pub fn parse_body(text: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::BadCheckpoint(why.to_string());
        let mut lines = text.lines();
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size_text = lines.next().ok_or_else(|| bad("no size line"))?;
        if size_text.is_empty()
            || size_text.starts_with('+')
            || (size_text.len() > 1 && size_text.starts_with('0'))
        {
            return Err(bad(
                "the size must be a decimal number without sign or leading zeros",
            ));
        }
        let size = size_text
            .parse::<u64>()
            .map_err(|_| bad("the size is not a number"))?;
        let root = B64
            .decode(lines.next().ok_or_else(|| bad("no root line"))?)
            .map_err(|_| bad("the root is not base64"))?;
        let root: Hash = root
            .try_into()
            .map_err(|_| bad("the root is not 32 bytes"))?;
        Ok(Self {
            origin: origin.to_string(),
            size,
            root,
        })
    }

    /// Verifies a signed checkpoint note with `verifier` and checks its origin.
    pub fn open(note: &str, verifier: &NoteVerifier, origin: &str) -> Result<Self, NoteError> {
        let cp = Self::parse_body(verifier.open(note)?)?;
        if cp.origin != origin {
            return Err(NoteError::BadCheckpoint(format!(
                "origin {:?}, expected {origin:?}",
                cp.origin
            )));
        }
        Ok(cp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> NoteSigner {
        NoteSigner::from_seed("example.com/log", [7u8; 32]).unwrap()
    }

    #[test]
    fn keys_round_trip_through_their_strings() {
        let s = signer();
        let again = NoteSigner::parse(&s.to_private_string()).unwrap();
        assert_eq!(again.verifier(), s.verifier());
        let v = NoteVerifier::parse(&s.verifier().to_string()).unwrap();
        assert_eq!(v, s.verifier());
        assert!(
            format!("{s:?}").find(&s.to_private_string()).is_none(),
            "Debug must not leak the key"
        );
    }

    #[test]
    fn keys_whose_base64_contains_plus_signs_round_trip() {
        let mut seen_plus = 0;
        for seed in 0..64u8 {
            let s = NoteSigner::from_seed("example.com/log", [seed; 32]).unwrap();
            let (private, public) = (s.to_private_string(), s.verifier().to_string());
            seen_plus +=
                usize::from(public.matches('+').count() > 2 || private.matches('+').count() > 4);
            assert_eq!(
                NoteSigner::parse(&private).unwrap().verifier(),
                s.verifier()
            );
            assert_eq!(NoteVerifier::parse(&public).unwrap(), s.verifier());
        }
        assert!(seen_plus > 0, "no key with '+' in its base64 was exercised");
    }

    #[test]
    fn a_signed_checkpoint_opens_and_a_tampered_one_does_not() {
        let s = signer();
        let cp = Checkpoint {
            origin: "example.com/log".into(),
            size: 42,
            root: [9u8; 32],
        };
        let note = s.sign_note(&cp.body()).unwrap();
        assert!(note.contains("\n\n\u{2014} example.com/log "));
        assert_eq!(
            Checkpoint::open(&note, &s.verifier(), "example.com/log").unwrap(),
            cp
        );
        let tampered = note.replacen("42", "43", 1);
        assert!(matches!(
            Checkpoint::open(&tampered, &s.verifier(), "example.com/log"),
            Err(NoteError::NoValidSignature(_))
        ));
        let other = NoteSigner::from_seed("example.com/log", [8u8; 32]).unwrap();
        assert!(Checkpoint::open(&note, &other.verifier(), "example.com/log").is_err());
        assert!(Checkpoint::open(&note, &s.verifier(), "another.org/log").is_err());
    }

    #[test]
    fn extra_signatures_by_other_keys_are_ignored() {
        let s = signer();
        let witness = NoteSigner::from_seed("witness.example", [3u8; 32]).unwrap();
        let note = s
            .sign_note("example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
            .unwrap();
        let cosigned = format!(
            "{note}{}",
            witness
                .sign_note("x\n")
                .unwrap()
                .lines()
                .last()
                .unwrap()
                .to_owned()
                + "\n"
        );
        assert!(s.verifier().open(&cosigned).is_ok());
    }

    #[test]
    fn malformed_keys_and_notes_are_refused() {
        assert!(NoteSigner::parse("PRIVATE+KEY+a+00000000+AAAA").is_err());
        assert!(NoteVerifier::parse("name+deadbeef").is_err());
        assert!(NoteSigner::from_seed("has space", [0; 32]).is_err());
        assert!(signer().sign_note("no final newline").is_err());
        assert!(signer().verifier().open("text\n").is_err());
        assert!(Checkpoint::parse_body("o\n012\nAAAA\n").is_err());
    }
}
