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
//! use waarborg_refdb::vault::Vault;
//! use waarborg_seal::{Key, Keyring};
//! # let dir = std::env::temp_dir().join(format!("vault-doc-{}", std::process::id()));
//! let vault = Vault::open(&dir, Keyring::new(Key::generate()?, Vec::new()))?;
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

use waarborg_seal::{Keyring, SealError};

const MAGIC: &[u8; 4] = b"WBV1";
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

impl From<SealError> for VaultError {
    fn from(e: SealError) -> VaultError {
        match e {
            SealError::Io { context, source } => VaultError::Io { context, source },
            SealError::Key(why) => VaultError::Key(why),
            SealError::Undecryptable { name, why } => VaultError::Undecryptable { name, why },
        }
    }
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
    keys: Keyring,
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

impl Vault {
    /// Opens (creating) a vault directory with a keyring: the current key and any previous
    /// keys still needed to read files not yet re-encrypted.
    pub fn open(dir: &Path, keys: Keyring) -> Result<Vault> {
        fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(io(format!("restricting {}", dir.display())))?;
        Ok(Vault {
            dir: dir.to_path_buf(),
            keys,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current key's id.
    pub fn key_id(&self) -> String {
        self.keys.key_id()
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
        Ok(self.keys.seal(MAGIC, name, image)?)
    }

    /// The data keys this vault seals with (the current one) and opens with.
    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Whether an image is stored under `name` (no decryption).
    pub fn contains(&self, name: &str) -> bool {
        check_name(name).is_ok() && self.path(name).is_file()
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
        Ok(self.keys.open(MAGIC, name, file)?)
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
    use waarborg_seal::Key;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("wb-vault-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn plaintext_never_reaches_the_disk_and_tampering_is_refused() {
        let dir = tempdir("tamper");
        let vault = Vault::open(&dir, Keyring::new(Key::generate().unwrap(), Vec::new())).unwrap();
        let image = b"a distinctive plaintext image body 0123456789".repeat(20);
        vault.put("1f", &image).unwrap();
        vault.put("2f", b"other").unwrap();
        let raw = fs::read(vault.path("1f")).unwrap();
        assert!(!raw.windows(16).any(|w| image.windows(16).any(|x| x == w)));
        // One bit flipped: refused.
        let mut bad = raw.clone();
        bad[waarborg_seal::RECORD_HEADER + 3] ^= 1;
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
        let key = |hex: &str| Key::from_hex(hex).unwrap();
        let old = Vault::open(&dir, Keyring::new(key(&old_hex), Vec::new())).unwrap();
        for name in ["a1", "b2", "c3"] {
            old.put(name, name.as_bytes()).unwrap();
        }
        // Without the old key the files cannot be read.
        let new_only = Vault::open(&dir, Keyring::new(key(&new_hex), Vec::new())).unwrap();
        assert!(new_only.get("a1").is_err());
        let both = Vault::open(&dir, Keyring::new(key(&new_hex), vec![key(&old_hex)])).unwrap();
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
}
