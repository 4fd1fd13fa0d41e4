//! `waarborg face …` and `waarborg demo`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;
use waarborg_face::decode::decode_file;
use waarborg_face::{AnalyzedFace, DecodeLimits, EngineConfig, FaceEngine};
use waarborg_models::ModelCache;

#[derive(Debug, Subcommand)]
pub enum FaceCommand {
    /// Detect faces and report quality (and templates) for each image, in argument order.
    Analyze {
        /// Image files (JPEG, PNG, WebP, BMP, TIFF).
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// Print one JSON array on stdout.
        #[arg(long)]
        json: bool,
        /// Leave the 512-value templates out.
        #[arg(long)]
        no_embedding: bool,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Print the similarity of the best face in each of two images.
    Compare {
        /// First image.
        a: PathBuf,
        /// Second image.
        b: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        engine: EngineArgs,
    },
}

/// Engine settings shared by the face commands.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// CPU threads in all (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Images inferred at the same time, each on threads/workers threads
    /// (default: one per thread when there are several images).
    #[arg(long)]
    workers: Option<usize>,
    /// Quality thresholds as a JSON object, e.g. {"min_interocular_px": 30}; fields left
    /// out keep their defaults.
    #[arg(long, value_name = "FILE")]
    quality: Option<PathBuf>,
}

impl EngineArgs {
    pub fn load(&self, images: usize) -> anyhow::Result<FaceEngine> {
        let paths = ModelCache::from_env().require()?;
        let mut config = EngineConfig::default();
        if let Some(t) = self.threads {
            anyhow::ensure!(t > 0, "--threads must be at least 1");
            config.threads = t;
        }
        if let Some(file) = &self.quality {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read quality thresholds {}", file.display()))?;
            config.quality = serde_json::from_str(&text).with_context(|| {
                format!("{} is not a valid quality-threshold object", file.display())
            })?;
        }
        // Many images: one image per thread. One image: all threads on it.
        config.workers = match self.workers {
            Some(w) => {
                anyhow::ensure!(w > 0, "--workers must be at least 1");
                w
            }
            None => images.clamp(1, config.threads),
        };
        let engine = FaceEngine::load(&crate::models::engine_paths(paths), config)?;
        Ok(engine)
    }
}

/// The result for one image, in the CLI's stable JSON shape.
#[derive(Debug, Serialize)]
pub struct ImageResult {
    pub image: String,
    width: Option<u32>,
    height: Option<u32>,
    faces: Vec<AnalyzedFace>,
    pub error: Option<String>,
}

impl ImageResult {
    /// Faces found.
    pub fn faces(&self) -> usize {
        self.faces.len()
    }

    /// The faces found, best detector score first.
    pub fn found(&self) -> &[AnalyzedFace] {
        &self.faces
    }
}

/// Analyses images in parallel over the engine's workers; results in input order.
pub fn analyze_all(engine: &FaceEngine, images: &[PathBuf], embed: bool) -> Vec<ImageResult> {
    let limits = DecodeLimits::default();
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<ImageResult>>> =
        images.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..engine.config().workers.min(images.len()).max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = images.get(i) else { break };
                let result = analyze_one(engine, path, &limits, embed);
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(result);
                }
            });
        }
    });
    results
        .into_iter()
        .zip(images)
        .map(|(slot, path)| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| ImageResult {
                    image: path.display().to_string(),
                    width: None,
                    height: None,
                    faces: Vec::new(),
                    error: Some("internal error: the worker analysing this image stopped".into()),
                })
        })
        .collect()
}

fn analyze_one(
    engine: &FaceEngine,
    path: &Path,
    limits: &DecodeLimits,
    embed: bool,
) -> ImageResult {
    let mut result = ImageResult {
        image: path.display().to_string(),
        width: None,
        height: None,
        faces: Vec::new(),
        error: None,
    };
    match decode_file(path, limits) {
        Err(e) => result.error = Some(e.to_string()),
        Ok(image) => {
            result.width = Some(image.width());
            result.height = Some(image.height());
            match engine.analyze(&image, embed) {
                Ok(faces) => result.faces = faces,
                Err(e) => result.error = Some(e.to_string()),
            }
        }
    }
    result
}

pub fn run(command: FaceCommand) -> anyhow::Result<ExitCode> {
    match command {
        FaceCommand::Analyze {
            images,
            json,
            no_embedding,
            engine,
        } => {
            let engine = engine.load(images.len())?;
            let results = analyze_all(&engine, &images, !no_embedding);
            if json {
                println!("{}", serde_json::to_string(&results)?);
            } else {
                print_human(&results);
            }
            Ok(ExitCode::SUCCESS)
        }
        FaceCommand::Compare { a, b, json, engine } => {
            let engine = engine.load(2)?;
            let results = analyze_all(&engine, &[a, b], true);
            let best = |r: &ImageResult| -> anyhow::Result<Vec<f32>> {
                if let Some(e) = &r.error {
                    anyhow::bail!("{}: {e}", r.image);
                }
                r.faces
                    .first()
                    .and_then(|f| f.embedding.clone())
                    .with_context(|| format!("{}: no face found", r.image))
            };
            let similarity = waarborg_face::similarity(&best(&results[0])?, &best(&results[1])?);
            if json {
                println!(
                    "{}",
                    serde_json::json!({"a": results[0].image, "b": results[1].image, "similarity": similarity})
                );
            } else {
                println!("{similarity:.4}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_human(results: &[ImageResult]) {
    for r in results {
        match (&r.error, r.width, r.height) {
            (Some(e), _, _) => println!("{}: error: {e}", r.image),
            (None, Some(w), Some(h)) => {
                println!("{} ({w}×{h}): {} face(s)", r.image, r.faces.len());
                for (i, f) in r.faces.iter().enumerate() {
                    let q = &f.quality;
                    let verdict = if q.sufficient {
                        "sufficient".to_string()
                    } else {
                        format!("insufficient: {}", q.reasons.join("; "))
                    };
                    println!(
                        "  #{:<2} box [{:.0}, {:.0}, {:.0}, {:.0}]  score {:.2}  eyes {:.0} px  yaw {:+.0}°  roll {:+.0}°  sharpness {:.0}  → {verdict}",
                        i + 1,
                        f.bbox[0],
                        f.bbox[1],
                        f.bbox[2],
                        f.bbox[3],
                        f.det_score,
                        q.interocular_px,
                        q.yaw_deg,
                        q.roll_deg,
                        q.sharpness
                    );
                }
            }
            _ => println!("{}: no result", r.image),
        }
    }
}

/// The demo: analyse the sample photos, record each analysis in the audit ledger, then
/// show how alike the faces are and verify the ledger.
pub fn demo(
    args: &EngineArgs,
    data: &crate::audit::DataArgs,
    key: &crate::audit::KeyArgs,
) -> anyhow::Result<ExitCode> {
    let signer = key.signer(&data.dir(), true)?;
    let (ledger, _) = waarborg_ledger::Ledger::open(&data.ledger_dir(), signer)?;
    let paths = ModelCache::from_env().require()?;
    let mut images: Vec<PathBuf> = waarborg_models::SAMPLE_PHOTOS
        .iter()
        .map(|p| paths.samples.join(p))
        .collect();
    images.sort();
    let engine = args.load(images.len())?;
    let started = std::time::Instant::now();
    let started_at = waarborg_ledger::entry::now();
    let results = analyze_all(&engine, &images, true);
    let elapsed = started.elapsed();
    // Log first: the results are shown only after their entries are durable.
    let fp = engine.fingerprint();
    for (r, path) in results.iter().zip(&images) {
        let sufficient = r.faces.iter().filter(|f| f.quality.sufficient).count();
        ledger.append(waarborg_ledger::Event::BiometricOperation(
            waarborg_ledger::BiometricOperation {
                operation: waarborg_ledger::Operation::Extract,
                started: started_at.clone(),
                ended: waarborg_ledger::entry::now(),
                user: "demo-examiner".into(),
                role: "examiner".into(),
                deployment_revision: None,
                case_authorisation: None,
                reference_database: None,
                input_sha256: Some(waarborg_models::sha256_file(path)?),
                verifiers: Vec::new(),
                model_sha256: vec![fp.detector_sha256.clone(), fp.recognizer_sha256.clone()],
                outcome: match &r.error {
                    Some(e) => format!("error: {e}"),
                    None => format!(
                        "{} faces, {sufficient} of sufficient quality",
                        r.faces.len()
                    ),
                },
                best_score_milli: None,
            },
        ))?;
    }
    let checkpoint = ledger.checkpoint()?;
    print_human(&results);
    let faces: Vec<(&str, usize, &AnalyzedFace)> = results
        .iter()
        .flat_map(|r| {
            r.faces
                .iter()
                .enumerate()
                .map(move |(i, f)| (r.image.as_str(), i, f))
        })
        .collect();
    println!(
        "\n{} faces in {} images analysed in {:.2} s ({} threads).",
        faces.len(),
        results.len(),
        elapsed.as_secs_f64(),
        engine.config().threads
    );
    // The most similar pair of faces from different photos: what a 1:N search would rank first.
    let mut best: Option<(f32, usize, usize)> = None;
    for (i, a) in faces.iter().enumerate() {
        for (j, b) in faces.iter().enumerate().skip(i + 1) {
            if a.0 == b.0 {
                continue;
            }
            if let (Some(ea), Some(eb)) = (&a.2.embedding, &b.2.embedding) {
                let s = waarborg_face::similarity(ea, eb);
                if best.is_none_or(|(bs, _, _)| s > bs) {
                    best = Some((s, i, j));
                }
            }
        }
    }
    if let Some((s, i, j)) = best {
        println!(
            "Most similar faces across photos: {} #{} and {} #{} (similarity {s:.3}); a candidate, never an identification.",
            faces[i].0,
            faces[i].1 + 1,
            faces[j].0,
            faces[j].1 + 1
        );
    }
    let report = waarborg_ledger::verify(ledger.dir(), ledger.current_key().as_ref())?;
    println!(
        "\nAudit ledger {}: {} entries, checkpoint at size {} signed by {}; verification {}.",
        ledger.dir().display(),
        report.entries,
        checkpoint.checkpoint.size,
        ledger
            .current_key()
            .map(|k| k.to_string())
            .unwrap_or_default(),
        if report.is_ok() { "OK" } else { "FAILED" }
    );
    println!("Try `waarborg audit verify`, `waarborg audit prove --index 1`, `waarborg audit checkpoint`.");
    Ok(if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
