//! The image vault: facial images encrypted at rest, one file per image.
//!
//! Each file is `WBV1 ‖ key id (8) ‖ nonce (24) ‖ XChaCha20-Poly1305(image)`, with the
//! magic, the key id and the file's name as associated data, so a file moved to another
//! name, or altered by one bit, does not decrypt. Files are written to a temporary name,
//! synced and renamed, so a crash leaves either the whole file or none. Keys come from a
//! 0600 key file or the environment; [`Vault::rekey`] re-encrypts every file under the
//! current key after a rotation (the old key stays readable until then).
//!
//! ```
//! use waarborg_refdb::vault::{Vault, VaultKey};
//! # let dir = std::env::temp_dir().join(format!("vault-doc-{}", std::process::id()));
//! let vault = Vault::open(&dir, VaultKey::generate()?, Vec::new())?;
//! vault.put("00000000000000a1", b"jpeg bytes")?;
//! assert_eq!(vault.get("00000000000000a1")?, b"jpeg bytes");
//! assert!(vault.remove("00000000000000a1")?);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), waarborg_refdb::vault::VaultError>(())
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 4] = b"WBV1";
const HEADER: usize = 4 + 8 + 24;
const SUFFIX: &str = ".wbv";

/// What can go wrong with the vault.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// A key is malformed or its file is unsafe.
    #[error("{0}")]
    Key(String),
    /// A file does not decrypt: damaged, moved, or under a key not given.
    #[error("image {name} cannot be decrypted: {why}")]
    Undecryptable {
        /// The file's name.
        name: String,
        /// Why.
        why: String,
    },
    /// A name with characters other than lowercase hex digits, or empty.
    #[error("{0:?} is not a vault name (lowercase hex digits only)")]
    BadName(String),
    /// No such image.
    #[error("no image {0} in the vault")]
    NotFound(String),
}

type Result<T> = std::result::Result<T, VaultError>;

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> VaultError {
    let context = context.into();
    move |source| VaultError::Io { context, source }
}

/// A 256-bit vault key and its id (the first 8 bytes of a hash of it).
pub struct VaultKey {
    id: [u8; 8],
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VaultKey({})", self.id_hex())
    }
}

impl VaultKey {
    /// The environment variable that may hold the key (64 hex digits).
    pub const ENV: &'static str = "WAARBORG_VAULT_KEY";

    fn from_bytes(bytes: &[u8; 32]) -> VaultKey {
        let digest = Sha256::new()
            .chain_update(b"waarborg vault key id\0")
            .chain_update(bytes)
            .finalize();
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        VaultKey {
            id,
            cipher: XChaCha20Poly1305::new(bytes.into()),
        }
    }

    /// A fresh random key.
    pub fn generate() -> Result<VaultKey> {
        Ok(VaultKey::from_bytes(&random::<32>()?))
    }

    /// A key from 64 hex digits (surrounding white space ignored).
    pub fn from_hex(text: &str) -> Result<VaultKey> {
        let text = text.trim();
        let bad = || VaultKey::bad_hex();
        if text.len() != 64 {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(text.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        Ok(VaultKey::from_bytes(&bytes))
    }

    fn bad_hex() -> VaultError {
        VaultError::Key("a vault key is 64 hexadecimal digits (256 bits)".into())
    }

    /// Loads a key file, refusing one that others can read (it must be mode 0600 or
    /// stricter).
    pub fn load(path: &Path) -> Result<VaultKey> {
        let meta = fs::metadata(path).map_err(io(format!("reading {}", path.display())))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(VaultError::Key(format!(
                "{} can be read by others (mode {:o}); run `chmod 600 {}`",
                path.display(),
                meta.permissions().mode() & 0o777,
                path.display()
            )));
        }
        let text = fs::read_to_string(path).map_err(io(format!("reading {}", path.display())))?;
        VaultKey::from_hex(&text).map_err(|_| {
            VaultError::Key(format!(
                "{} does not hold a vault key (64 hexadecimal digits)",
                path.display()
            ))
        })
    }

    /// Writes a new random key to `path` (mode 0600; an existing file is never
    /// overwritten) and returns it.
    pub fn create(path: &Path) -> Result<VaultKey> {
        let bytes = random::<32>()?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io(format!("creating {}", path.display())))?;
        f.write_all(format!("{hex}\n").as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(io(format!("writing {}", path.display())))?;
        Ok(VaultKey::from_bytes(&bytes))
    }

    /// The key from `$WAARBORG_VAULT_KEY` if set, else from `path`, created there when
    /// `create` and it does not exist.
    pub fn from_env_or_file(path: &Path, create: bool) -> Result<VaultKey> {
        if let Some(text) = std::env::var_os(Self::ENV).filter(|v| !v.is_empty()) {
            return VaultKey::from_hex(&text.to_string_lossy()).map_err(|_| {
                VaultError::Key(format!(
                    "${} does not hold a vault key (64 hexadecimal digits)",
                    Self::ENV
                ))
            });
        }
        if create && !path.exists() {
            return VaultKey::create(path);
        }
        VaultKey::load(path)
    }

    /// The key's id, in hex (named in files and messages; reveals nothing of the key).
    pub fn id_hex(&self) -> String {
        self.id.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| VaultError::Key(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// What a re-encryption did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RekeyReport {
    /// Files re-encrypted under the current key.
    pub reencrypted: u64,
    /// Files already under the current key.
    pub current: u64,
}

/// A directory of encrypted images.
#[derive(Debug)]
pub struct Vault {
    dir: PathBuf,
    current: VaultKey,
    previous: Vec<VaultKey>,
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(VaultError::BadName(name.to_string()));
    }
    Ok(())
}

fn aad(key_id: &[u8], name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(HEADER + name.len());
    aad.extend_from_slice(MAGIC);
    aad.extend_from_slice(key_id);
    aad.extend_from_slice(name.as_bytes());
    aad
}

impl Vault {
    /// Opens (creating) a vault directory with the current key and any previous keys still
    /// needed to read files not yet re-encrypted.
    pub fn open(dir: &Path, current: VaultKey, previous: Vec<VaultKey>) -> Result<Vault> {
        fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(io(format!("restricting {}", dir.display())))?;
        Ok(Vault {
            dir: dir.to_path_buf(),
            current,
            previous,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current key's id.
    pub fn key_id(&self) -> String {
        self.current.id_hex()
    }

    fn shard(&self, name: &str) -> PathBuf {
        // 256 subdirectories by the name's last two digits: millions of files stay listable.
        let tail = &name[name.len().saturating_sub(2)..];
        self.dir.join(format!("{tail:0>2}"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.shard(name).join(format!("{name}{SUFFIX}"))
    }

    /// Encrypts and stores `image` under `name`, replacing any file of that name; durable
    /// when this returns.
    pub fn put(&self, name: &str, image: &[u8]) -> Result<()> {
        check_name(name)?;
        let file = self.encrypt(name, image)?;
        let shard = self.shard(name);
        fs::create_dir_all(&shard).map_err(io(format!("creating {}", shard.display())))?;
        let path = self.path(name);
        let tmp = shard.join(format!("{name}.tmp"));
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(format!("creating {}", tmp.display())))?;
        f.write_all(&file)
            .and_then(|_| f.sync_all())
            .map_err(io(format!("writing {}", tmp.display())))?;
        fs::rename(&tmp, &path).map_err(io(format!("renaming {}", tmp.display())))?;
        sync_dir(&shard)
    }

    fn encrypt(&self, name: &str, image: &[u8]) -> Result<Vec<u8>> {
        let nonce = random::<24>()?;
        let aad = aad(&self.current.id, name);
        let sealed = self
            .current
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: image,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Key("encryption failed".into()))?;
        let mut file = Vec::with_capacity(HEADER + sealed.len());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&self.current.id);
        file.extend_from_slice(&nonce);
        file.extend_from_slice(&sealed);
        Ok(file)
    }

    /// Decrypts the image stored under `name`.
    pub fn get(&self, name: &str) -> Result<Vec<u8>> {
        check_name(name)?;
        let path = self.path(name);
        let file = match fs::read(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VaultError::NotFound(name.to_string()))
            }
            Err(e) => return Err(io(format!("reading {}", path.display()))(e)),
        };
        self.decrypt(name, &file).map(|(image, _)| image)
    }

    /// Decrypts a file's bytes; also says whether it was under the current key.
    fn decrypt(&self, name: &str, file: &[u8]) -> Result<(Vec<u8>, bool)> {
        let undecryptable = |why: &str| VaultError::Undecryptable {
            name: name.to_string(),
            why: why.to_string(),
        };
        if file.len() < HEADER + 16 || &file[..4] != MAGIC {
            return Err(undecryptable(
                "not a vault file (truncated or wrong format)",
            ));
        }
        let key_id = &file[4..12];
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
            .ok_or_else(|| {
                undecryptable(&format!(
                    "encrypted under key {}, which was not given",
                    key_id
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                ))
            })?;
        let image = key
            .cipher
            .decrypt(
                XNonce::from_slice(&file[12..HEADER]),
                Payload {
                    msg: &file[HEADER..],
                    aad: &aad(key_id, name),
                },
            )
            .map_err(|_| undecryptable("authentication failed: the file was altered or moved"))?;
        Ok((image, key.id == self.current.id))
    }

    /// Removes the image stored under `name`; `false` if there was none. Durable when this
    /// returns.
    pub fn remove(&self, name: &str) -> Result<bool> {
        check_name(name)?;
        let path = self.path(name);
        match fs::remove_file(&path) {
            Ok(()) => {
                sync_dir(&self.shard(name))?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io(format!("removing {}", path.display()))(e)),
        }
    }

    /// The names of every stored image. Leftover temporary files of an interrupted write
    /// are removed on the way.
    pub fn names(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let shards =
            fs::read_dir(&self.dir).map_err(io(format!("listing {}", self.dir.display())))?;
        for shard in shards {
            let shard = shard.map_err(io("listing the vault"))?.path();
            if !shard.is_dir() {
                continue;
            }
            for f in fs::read_dir(&shard).map_err(io(format!("listing {}", shard.display())))? {
                let path = f.map_err(io("listing the vault"))?.path();
                let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if let Some(name) = file.strip_suffix(SUFFIX) {
                    names.push(name.to_string());
                } else if file.ends_with(".tmp") {
                    fs::remove_file(&path).map_err(io(format!("removing {}", path.display())))?;
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Re-encrypts every image not under the current key (after a key rotation). Each file
    /// is replaced atomically, so the job can be interrupted and run again.
    pub fn rekey(&self) -> Result<RekeyReport> {
        let mut report = RekeyReport::default();
        for name in self.names()? {
            let path = self.path(&name);
            let file = fs::read(&path).map_err(io(format!("reading {}", path.display())))?;
            let (image, current) = self.decrypt(&name, &file)?;
            if current {
                report.current += 1;
            } else {
                self.put(&name, &image)?;
                report.reencrypted += 1;
            }
        }
        Ok(report)
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("syncing {}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("wb-vault-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn plaintext_never_reaches_the_disk_and_tampering_is_refused() {
        let dir = tempdir("tamper");
        let vault = Vault::open(&dir, VaultKey::generate().unwrap(), Vec::new()).unwrap();
        let image = b"a distinctive plaintext image body 0123456789".repeat(20);
        vault.put("1f", &image).unwrap();
        vault.put("2f", b"other").unwrap();
        let raw = fs::read(vault.path("1f")).unwrap();
        assert!(!raw.windows(16).any(|w| image.windows(16).any(|x| x == w)));
        // One bit flipped: refused.
        let mut bad = raw.clone();
        bad[HEADER + 3] ^= 1;
        fs::write(vault.path("1f"), &bad).unwrap();
        assert!(matches!(
            vault.get("1f"),
            Err(VaultError::Undecryptable { .. })
        ));
        // Moved to another name: refused (the name is authenticated).
        fs::write(vault.path("2f"), &raw).unwrap();
        assert!(matches!(
            vault.get("2f"),
            Err(VaultError::Undecryptable { .. })
        ));
        // Truncated: refused.
        fs::write(vault.path("1f"), &raw[..20]).unwrap();
        assert!(matches!(
            vault.get("1f"),
            Err(VaultError::Undecryptable { .. })
        ));
        assert!(matches!(vault.get("3f"), Err(VaultError::NotFound(_))));
        assert!(matches!(
            vault.put("../x", b""),
            Err(VaultError::BadName(_))
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rotation_reencrypts_and_the_old_key_is_then_not_needed() {
        let dir = tempdir("rotate");
        let old_hex = "11".repeat(32);
        let new_hex = "22".repeat(32);
        let old = Vault::open(&dir, VaultKey::from_hex(&old_hex).unwrap(), Vec::new()).unwrap();
        for name in ["a1", "b2", "c3"] {
            old.put(name, name.as_bytes()).unwrap();
        }
        // Without the old key the files cannot be read.
        let new_only =
            Vault::open(&dir, VaultKey::from_hex(&new_hex).unwrap(), Vec::new()).unwrap();
        assert!(new_only.get("a1").is_err());
        let both = Vault::open(
            &dir,
            VaultKey::from_hex(&new_hex).unwrap(),
            vec![VaultKey::from_hex(&old_hex).unwrap()],
        )
        .unwrap();
        assert_eq!(
            both.rekey().unwrap(),
            RekeyReport {
                reencrypted: 3,
                current: 0
            }
        );
        assert_eq!(
            both.rekey().unwrap(),
            RekeyReport {
                reencrypted: 0,
                current: 3
            }
        );
        assert_eq!(new_only.get("b2").unwrap(), b"b2");
        assert_eq!(new_only.names().unwrap(), vec!["a1", "b2", "c3"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn key_files_must_be_private_and_well_formed() {
        let dir = tempdir("keys");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vault.key");
        let key = VaultKey::create(&path).unwrap();
        assert_eq!(VaultKey::load(&path).unwrap().id_hex(), key.id_hex());
        assert!(VaultKey::create(&path).is_err(), "never overwritten");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = VaultKey::load(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
        assert!(VaultKey::from_hex("abc").is_err());
        assert!(VaultKey::from_hex(&"zz".repeat(32)).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
