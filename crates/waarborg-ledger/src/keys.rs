//! Where the signing key comes from: a file only its owner can read, or the environment.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::note::{NoteError, NoteSigner};

/// Environment variable that may hold the signing key (`PRIVATE+KEY+…`).
pub const KEY_ENV: &str = "WAARBORG_LEDGER_KEY";

/// Why a key could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file is readable by others.
    #[error("{path} is readable by others (mode {mode:o}); run `chmod 600 {path}` — a signing key must be private")]
    TooOpen {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The content is not a signer key.
    #[error(transparent)]
    Malformed(#[from] NoteError),
}

/// Loads a signer key from `path`, refusing a file that group or others may read or write.
pub fn load_file(path: &Path) -> Result<NoteSigner, KeyError> {
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::TooOpen {
            path: path.display().to_string(),
            mode,
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    Ok(NoteSigner::parse(&text)?)
}

/// Loads the signer key from [`KEY_ENV`] if it is set.
pub fn load_env() -> Result<Option<NoteSigner>, KeyError> {
    match std::env::var(KEY_ENV) {
        Ok(text) if !text.trim().is_empty() => Ok(Some(NoteSigner::parse(&text)?)),
        _ => Ok(None),
    }
}

/// Writes a signer key to a new file created with mode 0600 (never overwrites).
pub fn save_new(path: &Path, signer: &NoteSigner) -> Result<(), KeyError> {
    use std::io::Write;
    let io = |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(format!("{}\n", signer.to_private_string()).as_bytes())
        .map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_key_file_loads_and_an_open_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("waarborg-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.key");
        let signer = NoteSigner::from_seed("example.org/ledger", [1; 32]).unwrap();
        save_new(&path, &signer).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load_file(&path).unwrap().verifier(), signer.verifier());
        assert!(save_new(&path, &signer).is_err(), "never overwrites a key");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_file(&path).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
