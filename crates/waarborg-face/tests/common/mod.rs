//! Shared set-up for the engine tests: the real models from the verified cache.

use std::path::PathBuf;
use std::sync::OnceLock;

use waarborg_face::{EngineConfig, EnginePaths, FaceEngine};
use waarborg_models::{ModelCache, ModelPaths};

/// The verified model cache. Fails the test (never skips it) when the cache is missing.
pub fn models() -> ModelPaths {
    ModelCache::from_env()
        .require()
        .unwrap_or_else(|e| panic!("the engine tests need the real models: {e}"))
}

/// One engine for the whole test binary (ONNX Runtime loads once per process).
pub fn engine() -> &'static FaceEngine {
    static ENGINE: OnceLock<FaceEngine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let m = models();
        let config = EngineConfig {
            workers: 2,
            ..EngineConfig::default()
        };
        FaceEngine::load(
            &EnginePaths {
                runtime_library: m.runtime_library,
                detector: m.detector,
                recognizer: m.recognizer,
                detector_input: waarborg_face::Normalisation::SCRFD,
                recognizer_input: waarborg_face::Normalisation::ARCFACE,
            },
            config,
        )
        .unwrap_or_else(|e| panic!("cannot load the engine: {e}"))
    })
}

/// A file under `tests/data`.
#[allow(dead_code)]
pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}
