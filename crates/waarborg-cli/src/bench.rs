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
    /// Durable ledger appends per second with concurrent writers, and verification time.
    Ledger(LedgerBenchArgs),
    /// Exact 1:N search on .fvecs files: build, per-query latency, batch time, results.
    Search(crate::bench_search::SearchBenchArgs),
    /// Load millions of synthetic templates, reopen, search: times and memory per template.
    IndexScale(crate::bench_search::ScaleBenchArgs),
    /// Concurrent clients against a running server: throughput and p99 per operation.
    Http(crate::bench_http::HttpBenchArgs),
    /// Bulk import beside the bare face engine on the same images: images/s of each.
    Enrol(EnrolBenchArgs),
}

#[derive(Debug, Args)]
pub struct EnrolBenchArgs {
    /// The image directory (with manifest.csv, e.g. from `waarborg refdb sample-set`).
    dir: PathBuf,
    /// Alternating rounds of engine and import.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Print JSON lines, one per round.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Debug, Args)]
pub struct LedgerBenchArgs {
    /// Writer thread counts to measure, one run each.
    #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
    writers: Vec<usize>,
    /// Seconds per run.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Entries in the ledger whose verification is timed (appended with 64 writers).
    #[arg(long, default_value_t = 1_000_000)]
    verify_entries: u64,
    /// Where to create the benchmark ledgers (default: the system's temp dir); removed after.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
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
        BenchCommand::Ledger(args) => ledger(args),
        BenchCommand::Search(args) => crate::bench_search::search(args),
        BenchCommand::IndexScale(args) => crate::bench_search::scale(args),
        BenchCommand::Http(args) => crate::bench_http::http(args),
        BenchCommand::Enrol(args) => enrol(args),
    }
}

/// The bare engine (read, decode, detect, quality, templates of every image, in parallel
/// over the engine's workers) and then a whole bulk import into a fresh data directory
/// (the same, plus provenance checks, duplicate checks, encryption, index, records and
/// ledger), alternating; one line per round with both rates and their ratio.
fn enrol(args: EnrolBenchArgs) -> anyhow::Result<ExitCode> {
    use waarborg_refdb::enrol::{import, Enrolment, Quiet};
    let manifest = args.dir.join("manifest.csv");
    let text =
        std::fs::read(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
    let now = waarborg_govern::Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    );
    let rows = waarborg_refdb::manifest::parse(&text, false, now)?;
    let images: Vec<PathBuf> = rows.iter().map(|r| args.dir.join(&r.file)).collect();
    let engine = args.engine.load(usize::MAX)?;
    let workers = engine.config().workers;
    let who = Enrolment::new("bench", &engine, now);
    analyze_all(&engine, &images[..images.len().min(4)], true); // warm-up
    for round in 0..args.rounds {
        let started = Instant::now();
        let results = analyze_all(&engine, &images, true);
        let engine_s = started.elapsed().as_secs_f64();
        let faces: usize = results.iter().map(|r| r.faces()).sum();
        let data = std::env::temp_dir().join(format!(
            "waarborg-bench-enrol-{}-{round}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&data);
        let parts = crate::refdb::open_parts(&data)?;
        let started = Instant::now();
        let summary = import(
            &parts.db(),
            &engine,
            &args.dir,
            &manifest,
            workers,
            &who,
            &Quiet,
        )?;
        let import_s = started.elapsed().as_secs_f64();
        drop(parts);
        std::fs::remove_dir_all(&data).ok();
        let engine_rate = images.len() as f64 / engine_s;
        let import_rate = summary.analysed as f64 / import_s;
        let report = serde_json::json!({
            "round": round,
            "images": images.len(),
            "faces": faces,
            "workers": workers,
            "engine_images_per_s": engine_rate,
            "import_images_per_s": import_rate,
            "accepted": summary.accepted,
            "rejected": summary.rejected,
            "import_over_engine": import_rate / engine_rate,
        });
        if args.json {
            println!("{report}");
        } else {
            println!(
                "round {round}: engine {engine_rate:.1} images/s, import {import_rate:.1} images/s ({} accepted, {} rejected): import/engine {:.3}",
                summary.accepted,
                summary.rejected,
                import_rate / engine_rate
            );
        }
    }
    Ok(ExitCode::SUCCESS)
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

fn sample_operation(writer: usize, n: u64) -> waarborg_ledger::Event {
    use waarborg_ledger::{BiometricOperation, Event, Operation};
    let now = waarborg_ledger::entry::now();
    Event::BiometricOperation(BiometricOperation {
        operation: Operation::Search,
        started: now.clone(),
        ended: now,
        user: format!("examiner-{writer}"),
        role: "examiner".into(),
        deployment_revision: Some("catch-2026.1".into()),
        case_authorisation: Some(format!("OM-2026-{n:06}")),
        reference_database: Some("criminal".into()),
        input_sha256: Some(format!("{:064x}", u128::from(n) * 2_654_435_761)),
        verifiers: Vec::new(),
        model_sha256: waarborg_models::PINNED_MODELS
            .iter()
            .map(|m| m.sha256.to_string())
            .collect(),
        outcome: "50 candidates".into(),
        best_score_milli: None,
    })
}

/// Appends from `writers` threads until `until` says stop; returns entries appended.
fn append_with(
    ledger: &waarborg_ledger::Ledger,
    writers: usize,
    until: &(dyn Fn(u64) -> bool + Sync),
) -> anyhow::Result<u64> {
    let count = AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(None);
    std::thread::scope(|s| {
        for w in 0..writers {
            let (count, failed) = (&count, &failed);
            s.spawn(move || {
                let mut n = 0u64;
                while !until(count.load(Ordering::Relaxed) as u64) {
                    if let Err(e) = ledger.append(sample_operation(w, n)) {
                        if let Ok(mut f) = failed.lock() {
                            *f = Some(e);
                        }
                        return;
                    }
                    n += 1;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    match failed.into_inner().ok().flatten() {
        Some(e) => Err(e.into()),
        None => Ok(count.into_inner() as u64),
    }
}

fn ledger(args: LedgerBenchArgs) -> anyhow::Result<ExitCode> {
    let base = args
        .dir
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("waarborg-bench-ledger-{}", std::process::id()));
    let signer = waarborg_ledger::NoteSigner::generate("bench.local/ledger")?;
    let mut runs = Vec::new();
    for &writers in &args.writers {
        anyhow::ensure!(writers > 0, "--writers must be at least 1");
        let dir = base.join(format!("w{writers}"));
        let (ledger, _) = waarborg_ledger::Ledger::open(&dir, signer.clone())?;
        let started = Instant::now();
        let limit = args.seconds;
        let appended = append_with(&ledger, writers, &|_| {
            started.elapsed().as_secs_f64() >= limit
        })?;
        let secs = started.elapsed().as_secs_f64();
        runs.push(serde_json::json!({"writers": writers, "entries": appended, "seconds": secs, "entries_per_s": appended as f64 / secs}));
        if !args.json {
            println!("{writers:>3} writers: {appended:>8} durable entries in {secs:.2} s = {:>9.0} entries/s", appended as f64 / secs);
        }
        drop(ledger);
        std::fs::remove_dir_all(&dir).ok();
    }
    /// Entries appended after the full verification, for the incremental one.
    const INCREMENT: u64 = 100;
    let dir = base.join("verify");
    let (ledger, _) = waarborg_ledger::Ledger::open(&dir, signer.clone())?;
    let target = args.verify_entries;
    let started = Instant::now();
    append_with(&ledger, 64, &|done| done + 1 >= target)?;
    let fill_s = started.elapsed().as_secs_f64();
    ledger.checkpoint()?;
    let entries = ledger.size();
    let bytes = std::fs::metadata(dir.join(waarborg_ledger::ENTRIES_FILE))?.len();
    drop(ledger);
    let started = Instant::now();
    let report = waarborg_ledger::verify(&dir, Some(&signer.verifier()))?;
    let verify_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.is_ok(),
        "the benchmark ledger did not verify: {:?}",
        report.problems.first()
    );
    // A year's report over the same ledger: reading it into memory, then counting every
    // entry — beside the verification every report needs first (its peer here).
    let started = Instant::now();
    let snapshot = waarborg_ledger::Snapshot::read(&dir)?;
    let read_s = started.elapsed().as_secs_f64();
    let period = waarborg_report::Period::new("2000-01-01", "2100-01-01")?;
    let started = Instant::now();
    let figures = waarborg_report::figures(&snapshot, entries, &period)?;
    let count_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        figures.overall.searches > 0,
        "the benchmark report counted no searches"
    );
    // What the service does instead after start: carry the verification and the figures
    // forward over the entries added since (here 100), at a cost that grows with them.
    let mut verifier = waarborg_ledger::Verifier::new(Some(&signer.verifier()));
    verifier.advance(&dir, None)?;
    let mut running = waarborg_report::RunningFigures::new(&period);
    for index in 0..entries {
        running.add(snapshot.entry(index).unwrap_or_default())?;
    }
    drop(snapshot);
    let (ledger, _) = waarborg_ledger::Ledger::open(&dir, signer.clone())?;
    append_with(&ledger, 1, &|done| done >= INCREMENT)?;
    ledger.checkpoint()?;
    let started = Instant::now();
    let step = verifier.advance(&dir, Some(ledger.size()))?;
    let increment_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        step.is_ok() && step.entries == ledger.size(),
        "the incremental verification did not verify: {:?}",
        step.problems.first()
    );
    let started = Instant::now();
    for index in running.size()..step.entries {
        running.add(&ledger.entry(index)?)?;
    }
    let increment_report = running.report(step.root);
    let increment_count_s = started.elapsed().as_secs_f64();
    let added = step.entries - entries;
    anyhow::ensure!(increment_report.ledger.size == step.entries);
    drop(ledger);
    std::fs::remove_dir_all(&base).ok();
    if args.json {
        println!(
            "{}",
            serde_json::json!({"appends": runs, "verify": {"entries": entries, "bytes": bytes, "fill_s": fill_s, "verify_s": verify_s}, "report": {"read_s": read_s, "count_s": count_s, "count_over_verify": count_s / verify_s}, "incremental": {"entries_added": added, "verify_s": increment_s, "count_s": increment_count_s, "full_over_incremental": verify_s / increment_s}})
        );
    } else {
        println!("verify: {entries} entries ({:.0} MB) verified in {verify_s:.2} s (filled in {fill_s:.1} s)", bytes as f64 / 1e6);
        println!(
            "report: snapshot read in {read_s:.2} s, every entry counted in {count_s:.2} s = {:.2} × the verification",
            count_s / verify_s
        );
        println!(
            "incremental: {added} new entries verified in {:.2} ms and counted in {:.2} ms (the full verification takes {:.0} × as long)",
            increment_s * 1e3,
            increment_count_s * 1e3,
            verify_s / increment_s
        );
    }
    Ok(ExitCode::SUCCESS)
}
