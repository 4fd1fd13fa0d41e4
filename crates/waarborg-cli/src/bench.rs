//! `waarborg bench face`: throughput of the face engine, and of its model stage alone.
//!
//! Speed is measured here, never in timed unit tests. `bench/face/run.sh` runs this beside
//! the insightface reference pipeline on the same images and thread count, and prints the
//! ratios.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use image::RgbImage;
use serde::Serialize;
use waarborg_face::decode::decode_file;
use waarborg_face::{align, DecodeLimits, FaceEngine, PreparedImage};

use crate::face::{analyze_all, EngineArgs};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Images → templates throughput, whole pipeline and model stage alone.
    Face(FaceBenchArgs),
}

#[derive(Debug, Args)]
pub struct FaceBenchArgs {
    /// Image files; each round processes all of them.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// How many times to process the whole set (after one warm-up round).
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Debug, Serialize)]
struct FaceBenchReport {
    images: usize,
    faces: usize,
    threads: usize,
    workers: usize,
    /// Decode + detect + align + quality + templates, from files.
    pipeline_s: f64,
    pipeline_images_per_s: f64,
    /// Detector and recogniser runs only, on inputs prepared in advance, same sessions.
    model_only_s: f64,
    model_images_per_s: f64,
    /// pipeline time / model-only time: 1.0 means no overhead beyond the models.
    pipeline_over_model: f64,
}

pub fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Face(args) => face(args),
    }
}

fn face(args: FaceBenchArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    let engine = args.engine.load(usize::MAX)?;
    let limits = DecodeLimits::default();

    // Inputs for the model-only measurement: prepared images and aligned crops.
    let mut prepared: Vec<(PreparedImage, Vec<RgbImage>)> = Vec::new();
    for path in &args.images {
        let image = decode_file(path, &limits).with_context(|| path.display().to_string())?;
        let input = engine.prepare(&image);
        let crops = engine
            .detect_prepared(&input)?
            .iter()
            .filter_map(|d| align::align_face(&image, &d.kps))
            .collect();
        prepared.push((input, crops));
    }
    let faces_per_round: usize = prepared.iter().map(|(_, c)| c.len()).sum();

    let batch: Vec<PathBuf> = args
        .images
        .iter()
        .cycle()
        .take(args.images.len() * args.rounds)
        .collect::<Vec<_>>()
        .into_iter()
        .cloned()
        .collect();
    // Warm-up: first runs of a session allocate and tune.
    analyze_all(&engine, &args.images, true);
    let started = Instant::now();
    let results = analyze_all(&engine, &batch, true);
    let pipeline_s = started.elapsed().as_secs_f64();
    if let Some(bad) = results.iter().find(|r| r.error.is_some()) {
        anyhow::bail!(
            "{}: {}",
            bad.image,
            bad.error.as_deref().unwrap_or_default()
        );
    }

    model_only(&engine, &prepared, 1)?;
    let started = Instant::now();
    model_only(&engine, &prepared, args.rounds)?;
    let model_only_s = started.elapsed().as_secs_f64();

    let images = batch.len();
    let report = FaceBenchReport {
        images,
        faces: faces_per_round * args.rounds,
        threads: engine.config().threads,
        workers: engine.config().workers,
        pipeline_s,
        pipeline_images_per_s: images as f64 / pipeline_s,
        model_only_s,
        model_images_per_s: images as f64 / model_only_s,
        pipeline_over_model: pipeline_s / model_only_s,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} images, {} faces, {} threads in {} workers\n  pipeline:   {:.3} s  {:.1} images/s\n  model only: {:.3} s  {:.1} images/s\n  pipeline / model only: {:.3}",
            report.images,
            report.faces,
            report.threads,
            report.workers,
            report.pipeline_s,
            report.pipeline_images_per_s,
            report.model_only_s,
            report.model_images_per_s,
            report.pipeline_over_model
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs only the two networks over the prepared inputs, spread over the engine's workers
/// exactly as the pipeline spreads images.
fn model_only(
    engine: &FaceEngine,
    prepared: &[(PreparedImage, Vec<RgbImage>)],
    rounds: usize,
) -> anyhow::Result<()> {
    let total = prepared.len() * rounds;
    let next = AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..engine.config().workers.min(total).max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let (input, crops) = &prepared[i % prepared.len()];
                let refs: Vec<&RgbImage> = crops.iter().collect();
                let outcome = engine.detect_prepared(input).and_then(|_| {
                    if refs.is_empty() {
                        Ok(Vec::new())
                    } else {
                        engine.embed_aligned(&refs)
                    }
                });
                if let Err(e) = outcome {
                    if let Ok(mut f) = failed.lock() {
                        *f = Some(e);
                    }
                    break;
                }
            });
        }
    });
    match failed.into_inner().ok().flatten() {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}
