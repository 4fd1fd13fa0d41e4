//! The face engine: from image bytes to faces, quality reports and templates.
//!
//! It reproduces InsightFace's reference pipeline (`FaceAnalysis` with SCRFD-500M and
//! w600k MobileFaceNet, detector input 640×640) with ONNX Runtime, loaded dynamically from
//! the library the model cache verified:
//!
//! 1. [`decode`]: bounded decoding, EXIF orientation applied, 8-bit RGB out;
//! 2. [`detect`](FaceEngine::detect): SCRFD boxes, scores and five key points;
//! 3. [`align`]: similarity transform onto the ArcFace template, 112×112 crop;
//! 4. [`quality`]: measurements and a sufficient/insufficient verdict with reasons;
//! 5. [`embed`]: 512-d L2-normalised templates, batched.
//!
//! Architecture invariant: this crate knows nothing of cases, deployments or the ledger. It
//! reports the SHA-256 of the model bytes it loaded ([`FaceEngine::fingerprint`]) so that
//! the gate can refuse an engine whose technology the deployment did not approve.
//!
//! ```no_run
//! use waarborg_face::{EngineConfig, EnginePaths, FaceEngine, Normalisation};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let paths = EnginePaths {
//!     runtime_library: "runtime/libonnxruntime.so".into(),
//!     detector: "models/scrfd_500m_bnkps.onnx".into(),
//!     recognizer: "models/w600k_mbf.onnx".into(),
//!     detector_input: Normalisation::SCRFD,
//!     recognizer_input: Normalisation::ARCFACE,
//! };
//! let engine = FaceEngine::load(&paths, EngineConfig::default())?;
//! let image = waarborg_face::decode::decode_file("probe.jpg".as_ref(), &Default::default())?;
//! for face in engine.analyze(&image, true)? {
//!     println!("{:?} sufficient: {}", face.bbox, face.quality.sufficient);
//! }
//! # Ok(()) }
//! ```

pub mod align;
pub mod decode;
pub mod detect;
pub mod embed;
pub mod imgops;
pub mod quality;
mod runtime;

use std::path::PathBuf;

use image::RgbImage;
use serde::{Deserialize, Serialize};

pub use crate::decode::{DecodeError, DecodeLimits};
pub use crate::detect::{Detection, DetectorConfig};
pub use crate::embed::{similarity, Template, TEMPLATE_DIM};
pub use crate::quality::{QualityCheck, QualityReport, QualityThresholds};
use crate::runtime::{ModelBytes, SessionPool};

/// What can go wrong in the engine itself (decoding has its own [`DecodeError`]).
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// ONNX Runtime could not be loaded or started.
    #[error("{0}")]
    Runtime(String),
    /// A model file could not be read or loaded.
    #[error("cannot load model {path}: {reason}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Inference failed or returned something unexpected.
    #[error("inference failed: {0}")]
    Inference(String),
}

/// Where the engine finds ONNX Runtime and its two models, and how each model wants its
/// pixels (a property of the model pair, recorded in the model cache's manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct EnginePaths {
    /// `libonnxruntime.so`.
    pub runtime_library: PathBuf,
    /// SCRFD-style detector (`scrfd_500m_bnkps.onnx`): one image input, nine outputs.
    pub detector: PathBuf,
    /// ArcFace-style recogniser (`w600k_mbf.onnx`): 112×112 crops in, 512-d vectors out.
    pub recognizer: PathBuf,
    /// The detector's input normalisation.
    pub detector_input: Normalisation,
    /// The recogniser's input normalisation.
    pub recognizer_input: Normalisation,
}

/// How a model wants its pixels; recorded with the model pair in the model cache.
pub use waarborg_models::Normalisation;

fn check_normalisation(n: Normalisation, which: &str) -> Result<(), FaceError> {
    if n.is_valid() {
        Ok(())
    } else {
        Err(FaceError::Runtime(format!(
            "the {which}'s normalisation (mean {}, std {}) needs a finite mean and a positive std",
            n.mean, n.std
        )))
    }
}

/// Engine settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// CPU threads the engine may use in all.
    pub threads: usize,
    /// How many images may be inferred at the same time. Each gets `threads / workers`
    /// threads; for throughput over many images one thread each is best, for the latency
    /// of a single probe one worker with all threads.
    pub workers: usize,
    /// Detector settings.
    pub detector: DetectorConfig,
    /// Quality verdict thresholds.
    pub quality: QualityThresholds,
}

impl Default for EngineConfig {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            threads,
            workers: 1,
            detector: DetectorConfig::default(),
            quality: QualityThresholds::default(),
        }
    }
}

/// SHA-256 of the model bytes the engine loaded: the technology actually in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineFingerprint {
    /// Detector model SHA-256.
    pub detector_sha256: String,
    /// Recogniser model SHA-256.
    pub recognizer_sha256: String,
    /// Detector settings.
    pub detector: DetectorConfig,
}

/// One analysed face, in the coordinates of the image given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyzedFace {
    /// `[x1, y1, x2, y2]`.
    pub bbox: [f32; 4],
    /// Five key points: right eye, left eye, nose, right and left mouth corner.
    pub kps: [[f32; 2]; 5],
    /// Detector confidence.
    pub det_score: f32,
    /// Quality measurements and verdict.
    pub quality: QualityReport,
    /// The template, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Template>,
}

/// An image prepared for the detector (see [`FaceEngine::prepare`]).
pub struct PreparedImage(detect::DetectorInput);

/// The loaded engine. Cheap to share between threads (`&FaceEngine` is `Sync`).
pub struct FaceEngine {
    detector: SessionPool,
    recognizer: SessionPool,
    detector_input: Normalisation,
    recognizer_input: Normalisation,
    config: EngineConfig,
    fingerprint: EngineFingerprint,
}

impl FaceEngine {
    /// Loads ONNX Runtime and both models.
    pub fn load(paths: &EnginePaths, config: EngineConfig) -> Result<Self, FaceError> {
        if config.detector.input_size == 0 || !config.detector.input_size.is_multiple_of(32) {
            return Err(FaceError::Runtime(format!(
                "detector input size {} must be a positive multiple of 32",
                config.detector.input_size
            )));
        }
        check_normalisation(paths.detector_input, "detector")?;
        check_normalisation(paths.recognizer_input, "recogniser")?;
        let env = runtime::environment(&paths.runtime_library)?;
        let workers = config.workers.max(1);
        let intra = (config.threads / workers).max(1);
        let det_bytes = ModelBytes::read(&paths.detector)?;
        let rec_bytes = ModelBytes::read(&paths.recognizer)?;
        let detector = SessionPool::new(env, &det_bytes, &paths.detector, workers, intra)?;
        let recognizer = SessionPool::new(env, &rec_bytes, &paths.recognizer, workers, intra)?;
        check_io(&detector, 1, 9, &paths.detector)?;
        check_io(&recognizer, 1, 1, &paths.recognizer)?;
        check_recognizer_shape(&recognizer, &paths.recognizer)?;
        let fingerprint = EngineFingerprint {
            detector_sha256: det_bytes.sha256,
            recognizer_sha256: rec_bytes.sha256,
            detector: config.detector,
        };
        Ok(Self {
            detector,
            recognizer,
            detector_input: paths.detector_input,
            recognizer_input: paths.recognizer_input,
            config,
            fingerprint,
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The technology in use.
    pub fn fingerprint(&self) -> &EngineFingerprint {
        &self.fingerprint
    }

    /// Detects faces: boxes, scores and key points, best score first.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>, FaceError> {
        self.detect_prepared(&self.prepare(image))
    }

    /// The detector's input for an image (resized, padded, normalised). With
    /// [`detect_prepared`](Self::detect_prepared) this splits [`detect`](Self::detect) in
    /// two, so a benchmark can time the network apart from the preparation.
    pub fn prepare(&self, image: &RgbImage) -> PreparedImage {
        PreparedImage(detect::prepare(
            image,
            self.config.detector.input_size,
            self.detector_input,
        ))
    }

    /// Runs the detector on a prepared image.
    pub fn detect_prepared(&self, input: &PreparedImage) -> Result<Vec<Detection>, FaceError> {
        detect::detect(&self.detector, &self.config.detector, &input.0)
    }

    /// Detects faces and reports the quality of each; with `embed`, also their templates.
    pub fn analyze(&self, image: &RgbImage, embed: bool) -> Result<Vec<AnalyzedFace>, FaceError> {
        let detections = self.detect(image)?;
        let mut crops = Vec::with_capacity(detections.len());
        for d in &detections {
            // Key points come from the network; degenerate ones give a black crop rather
            // than an error, and the quality report then says the face is insufficient.
            crops.push(
                align::align_face(image, &d.kps)
                    .unwrap_or_else(|| RgbImage::new(align::ALIGNED_SIZE, align::ALIGNED_SIZE)),
            );
        }
        let templates = if embed && !crops.is_empty() {
            let refs: Vec<&RgbImage> = crops.iter().collect();
            Some(embed::embed(
                &self.recognizer,
                &refs,
                self.recognizer_input,
            )?)
        } else {
            None
        };
        Ok(detections
            .iter()
            .zip(&crops)
            .enumerate()
            .map(|(i, (d, crop))| AnalyzedFace {
                bbox: d.bbox,
                kps: d.kps,
                det_score: d.score,
                quality: quality::assess(d, crop, &self.config.quality),
                embedding: templates.as_ref().map(|t| t[i].clone()),
            })
            .collect())
    }

    /// Templates for faces already aligned to 112×112.
    pub fn embed_aligned(&self, crops: &[&RgbImage]) -> Result<Vec<Template>, FaceError> {
        embed::embed(&self.recognizer, crops, self.recognizer_input)
    }
}

fn check_io(
    pool: &SessionPool,
    inputs: usize,
    outputs: usize,
    path: &std::path::Path,
) -> Result<(), FaceError> {
    let session = pool.first();
    if session.inputs().len() != inputs || session.outputs().len() != outputs {
        return Err(FaceError::Model {
            path: path.to_path_buf(),
            reason: format!(
                "has {} inputs and {} outputs; expected {inputs} and {outputs}",
                session.inputs().len(),
                session.outputs().len()
            ),
        });
    }
    Ok(())
}

/// An ArcFace-style recogniser takes `N×3×112×112` and gives `N×512`; a dimension the graph
/// leaves open (−1) is taken on trust and checked again on the first run.
fn check_recognizer_shape(pool: &SessionPool, path: &std::path::Path) -> Result<(), FaceError> {
    let session = pool.first();
    let side = i64::from(align::ALIGNED_SIZE);
    let fits = |shape: Option<&[i64]>, want: &[i64]| {
        shape.is_none_or(|s| {
            s.len() == want.len() && s.iter().zip(want).all(|(&d, &w)| d < 0 || w < 0 || d == w)
        })
    };
    let shape_of = |t: &ort::value::ValueType| match t {
        ort::value::ValueType::Tensor { shape, .. } => Some(shape.to_vec()),
        _ => None,
    };
    let input = shape_of(session.inputs()[0].dtype());
    let output = shape_of(session.outputs()[0].dtype());
    let dim = TEMPLATE_DIM as i64;
    if !fits(input.as_deref(), &[-1, 3, side, side]) || !fits(output.as_deref(), &[-1, dim]) {
        return Err(FaceError::Model {
            path: path.to_path_buf(),
            reason: format!(
                "takes {input:?} and gives {output:?}; an ArcFace-style recogniser takes \
                 [N, 3, {side}, {side}] and gives [N, {dim}]"
            ),
        });
    }
    Ok(())
}
