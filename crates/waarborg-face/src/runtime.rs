//! ONNX Runtime, loaded once per process from the library the model cache verified, and a
//! small pool of sessions per model so that several images can be inferred at once.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use sha2::{Digest, Sha256};

use crate::FaceError;

static ENVIRONMENT: OnceLock<Result<(PathBuf, Environment), String>> = OnceLock::new();

/// Loads `libonnxruntime.so` from `library` (once per process) and returns the environment.
///
/// The dynamic library can be loaded only once; a later call naming another file is an
/// error rather than a silent use of the first one.
pub(crate) fn environment(library: &Path) -> Result<&'static Environment, FaceError> {
    let loaded = ENVIRONMENT.get_or_init(|| {
        let builder = ort::init_from(library).map_err(|e| {
            format!(
                "cannot load ONNX Runtime from {}: {e}; run `waarborg models install`",
                library.display()
            )
        })?;
        let env = builder
            .with_name("waarborg")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime: {e}"))?;
        Ok((library.to_path_buf(), env))
    });
    match loaded {
        Ok((path, env)) if path == library => Ok(env),
        Ok((path, _)) => Err(FaceError::Runtime(format!(
            "ONNX Runtime was already loaded from {} in this process; cannot also load {}",
            path.display(),
            library.display()
        ))),
        Err(e) => Err(FaceError::Runtime(e.clone())),
    }
}

/// A model file read once: its bytes and their SHA-256, so the hash that is reported is the
/// hash of exactly what was loaded (no window between checking and loading).
pub(crate) struct ModelBytes {
    pub bytes: Vec<u8>,
    pub sha256: String,
}

impl ModelBytes {
    pub fn read(path: &Path) -> Result<Self, FaceError> {
        let bytes = std::fs::read(path).map_err(|e| FaceError::Model {
            path: path.to_path_buf(),
            reason: format!("{e}; run `waarborg models install`"),
        })?;
        let sha256 = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self { bytes, sha256 })
    }
}

/// Several sessions of one model. Each inference borrows an idle one, so concurrent
/// callers run in parallel up to the pool's size.
pub(crate) struct SessionPool {
    sessions: Vec<Mutex<Session>>,
}

impl SessionPool {
    /// `count` sessions, each with `intra_threads` threads inside an operator.
    pub fn new(
        env: &Environment,
        model: &ModelBytes,
        path: &Path,
        count: usize,
        intra_threads: usize,
    ) -> Result<Self, FaceError> {
        let fail = |e: &dyn std::fmt::Display| FaceError::Model {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let mut sessions = Vec::with_capacity(count.max(1));
        for _ in 0..count.max(1) {
            let session = Session::builder(env)
                .map_err(|e| fail(&e))?
                .with_optimization_level(GraphOptimizationLevel::All)
                .map_err(|e| fail(&e))?
                .with_intra_threads(intra_threads.max(1))
                .map_err(|e| fail(&e))?
                .with_inter_threads(1)
                .map_err(|e| fail(&e))?
                .commit_from_memory(&model.bytes)
                .map_err(|e| fail(&e))?;
            sessions.push(Mutex::new(session));
        }
        Ok(Self { sessions })
    }

    /// Any one session, for reading metadata.
    pub fn first(&self) -> MutexGuard<'_, Session> {
        self.sessions[0]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Up to `max` sessions that are idle now; when none is, waits for one. Lets a large
    /// batch spread over the cores that other callers are not using at this moment.
    pub fn acquire_idle(&self, max: usize) -> Vec<MutexGuard<'_, Session>> {
        let mut idle: Vec<_> = self
            .sessions
            .iter()
            .filter_map(|s| s.try_lock().ok())
            .take(max.max(1))
            .collect();
        if idle.is_empty() {
            idle.push(self.acquire());
        }
        idle
    }

    /// An idle session if there is one, else waits for one.
    pub fn acquire(&self) -> MutexGuard<'_, Session> {
        for s in &self.sessions {
            if let Ok(guard) = s.try_lock() {
                return guard;
            }
        }
        // All busy: wait on one chosen by thread, so waiters spread over the pool.
        let slot = thread_slot() % self.sessions.len();
        self.sessions[slot]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn thread_slot() -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    h.finish() as usize
}
