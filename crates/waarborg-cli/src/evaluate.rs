//! `waarborg models evaluate` and `waarborg models test-set`: the accuracy of the chosen model
//! pair on a labelled set (the figures: `waarborg-eval`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use waarborg_eval::{set, Evaluation, Excluded, Labelled, Options};
use waarborg_face::{EngineConfig, FaceEngine};
use waarborg_models::ModelCache;

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// The labelled set: CSV rows `path,identity[,group[,x1,y1,x2,y2]]`, paths relative to it.
    #[arg(long, value_name = "FILE.csv")]
    manifest: PathBuf,
    /// The models the evaluation must be made with, `DETECTOR_SHA256,RECOGNISER_SHA256`;
    /// refused when the cache's chosen pair is another.
    #[arg(long, value_name = "HASHES", value_delimiter = ',')]
    models: Option<Vec<String>>,
    /// Where the evaluation goes, as JSON (every compared pair included).
    #[arg(long, value_name = "FILE")]
    json: PathBuf,
    /// The DET curve as SVG.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// The evaluation as an HTML page (figures, reasons, DET curve).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The deployment's gallery size, for the open-set figures.
    #[arg(long, default_value_t = 1_000_000)]
    gallery_size: u64,
    /// The candidate list's length.
    #[arg(long, default_value_t = 10)]
    list_length: usize,
    /// The FPIR the recommended threshold is for.
    #[arg(long, default_value_t = 0.01)]
    fpir: f64,
    /// The deployment's chosen threshold, shown beside the recommended one.
    #[arg(long)]
    threshold: Option<f32>,
    /// Bootstrap rounds for the FNMR intervals.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
}

#[derive(Debug, clap::Args)]
pub struct TestSetArgs {
    /// The folder to write the images and `manifest.csv` into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

fn engine() -> anyhow::Result<FaceEngine> {
    let paths = ModelCache::from_env().require()?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let config = EngineConfig {
        threads,
        workers: threads,
        ..EngineConfig::default()
    };
    Ok(FaceEngine::load(
        &crate::models::engine_paths(paths),
        config,
    )?)
}

/// Runs the evaluation and writes its files; the summary goes to stdout.
pub fn evaluate(a: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let rows = set::read_manifest(&a.manifest)?;
    let engine = engine()?;
    let fp = engine.fingerprint().clone();
    let models = vec![fp.detector_sha256.clone(), fp.recognizer_sha256.clone()];
    if let Some(wanted) = &a.models {
        let wanted: Vec<String> = wanted
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        anyhow::ensure!(
            wanted == models,
            "the cache's chosen model pair has detector {} and recogniser {}, not the models \
             asked for; choose the pair with `waarborg models use NAME`",
            models[0],
            models[1]
        );
    }
    let files: Vec<PathBuf> = rows.iter().map(|r| r.file.clone()).collect();
    let hashes: Vec<Option<String>> = files
        .iter()
        .map(|f| std::fs::read(f).ok().map(|b| set::sha256(&b)))
        .collect();
    let results = crate::face::analyze_all(&engine, &files, true);
    let mut samples = Vec::new();
    let mut excluded = Vec::new();
    for (row, result) in rows.iter().zip(&results) {
        let chosen = match &result.error {
            Some(e) => Err(e.clone()),
            None => {
                let boxes: Vec<[f32; 4]> = result.found().iter().map(|f| f.bbox).collect();
                set::choose_face(row, &boxes)
            }
        };
        match chosen.and_then(|i| {
            result.found()[i]
                .embedding
                .clone()
                .ok_or_else(|| "no template".to_string())
        }) {
            Ok(template) => samples.push(Labelled {
                path: row.path.clone(),
                identity: row.identity.clone(),
                group: row.group.clone(),
                template,
            }),
            Err(reason) => excluded.push(Excluded {
                path: row.path.clone(),
                reason,
            }),
        }
    }
    let options = Options {
        gallery_size: a.gallery_size,
        list_length: a.list_length,
        fpir_target: a.fpir,
        chosen_threshold: a.threshold,
        bootstrap_rounds: a.bootstrap,
        ..Options::default()
    };
    let mut e = waarborg_eval::evaluate(&samples, &options)
        .with_context(|| format!("{} of {} images could be used", samples.len(), rows.len()))?;
    e.models = models;
    e.dataset_sha256 = set::dataset_sha256(&rows, &hashes);
    e.excluded = excluded;
    write_json(&a.json, &e)?;
    if let Some(svg) = &a.svg {
        std::fs::write(svg, waarborg_eval::det_svg(&e))
            .with_context(|| format!("cannot write {}", svg.display()))?;
    }
    if let Some(html) = &a.html {
        std::fs::write(html, waarborg_eval::html::page(&e)?)
            .with_context(|| format!("cannot write {}", html.display()))?;
    }
    let recorded = record(&e)?;
    print!("{}", summary(&e));
    println!(
        "recorded as evidence for revisions that name these models: {}",
        recorded.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The evaluation's evidence in the model cache, where the application reads it into every
/// revision naming these models (an applicant cannot write it).
fn record(e: &Evaluation) -> anyhow::Result<PathBuf> {
    let evidence = waarborg_govern::revision::ModelEvaluation {
        models: e.models.clone(),
        dataset_sha256: e.dataset_sha256.clone(),
        evaluated_at: waarborg_ledger::entry::now(),
        images: e.images as u64,
        mated_pairs: e.genuine.count as u64,
        non_mated_pairs: e.impostor.count as u64,
        non_mated_mean: Some(e.impostor.mean),
        non_mated_max: Some(e.impostor.max),
        at_fmr: e
            .verification
            .iter()
            .filter_map(|v| {
                v.figures
                    .value()
                    .map(|f| waarborg_govern::revision::ThresholdAtFmr {
                        fmr_target: v.fmr_target,
                        threshold: f.threshold,
                        fnmr: f.fnmr,
                    })
            })
            .collect(),
        gallery_size: e.open_set.gallery_size,
        fpir_target: e.open_set.fpir_target,
        recommended_threshold: e.open_set.recommended.value().map(|r| r.threshold),
        recommended_not_computed: match &e.open_set.recommended {
            waarborg_eval::Figure::NotComputed { not_computed } => Some(not_computed.clone()),
            waarborg_eval::Figure::Computed(_) => None,
        },
    };
    let dir = ModelCache::from_env().evaluations_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let short = |h: &str| h.get(..16).unwrap_or(h).to_string();
    let name = format!(
        "{}-{}-{}.json",
        short(&e.dataset_sha256),
        short(e.models.first().map_or("", String::as_str)),
        short(e.models.get(1).map_or("", String::as_str))
    );
    let path = dir.join(name);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&evidence)?)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn write_json(path: &Path, e: &Evaluation) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut out, e)?;
    out.write_all(b"\n")?;
    out.flush()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The figures in a few lines, for the terminal and for docs.
pub fn summary(e: &Evaluation) -> String {
    let mut s = format!(
        "models: detector {}, recogniser {}\ndata set: {} ({} images of {} identities used, {} left out)\n\
         mated pairs {} (mean score {:.3}, sd {:.3}); non-mated pairs {} (mean {:.3}, sd {:.3}, highest {:.3})\n",
        e.models.first().map_or("?", String::as_str),
        e.models.get(1).map_or("?", String::as_str),
        e.dataset_sha256,
        e.images,
        e.identities,
        e.excluded.len(),
        e.genuine.count,
        e.genuine.mean,
        e.genuine.sd,
        e.impostor.count,
        e.impostor.mean,
        e.impostor.sd,
        e.impostor.max,
    );
    for x in &e.excluded {
        s += &format!("  left out {}: {}\n", x.path, x.reason);
    }
    for v in &e.verification {
        match &v.figures {
            waarborg_eval::Figure::Computed(f) => {
                s += &format!(
                    "FMR {:e}: threshold {:.4}, FNMR {:.4} (95 % bootstrap {:.4}–{:.4})\n",
                    v.fmr_target, f.threshold, f.fnmr, f.fnmr_interval[0], f.fnmr_interval[1]
                )
            }
            waarborg_eval::Figure::NotComputed { not_computed } => {
                s += &format!("FMR {:e}: not computed: {not_computed}\n", v.fmr_target)
            }
        }
    }
    let o = &e.open_set;
    s += &format!(
        "open set, gallery {} and list {}: FPIR {} needs FMR {:.3e} per comparison\n",
        o.gallery_size, o.list_length, o.fpir_target, o.fmr_needed
    );
    match &o.recommended {
        waarborg_eval::Figure::Computed(r) => {
            s += &format!(
                "  recommended threshold {:.4}: FPIR {:.4}, FNIR {:.4} (extrapolated)\n",
                r.threshold, r.fpir, r.fnir
            )
        }
        waarborg_eval::Figure::NotComputed { not_computed } => {
            s += &format!("  recommended threshold: not computed: {not_computed}\n")
        }
    }
    if let Some(c) = &o.chosen {
        s += &format!(
            "  chosen threshold {:.4}: FPIR {:.4}, FNIR {:.4} (extrapolated)\n",
            c.threshold, c.fpir, c.fnir
        );
    }
    if let waarborg_eval::Figure::Computed(ranks) = &o.measured_ranks {
        let r: Vec<String> = ranks
            .iter()
            .map(|r| format!("rank {} {:.4}", r.rank, r.hit_rate))
            .collect();
        s += &format!("  measured on the set (closed): {}\n", r.join(", "));
    }
    for g in &e.groups {
        s += &format!(
            "group {}: {} images, FNMR {} ({} mated), FMR {} ({} non-mated)\n",
            g.group,
            g.images,
            g.fnmr.map_or("–".into(), |v| format!("{v:.4}")),
            g.mated_pairs,
            g.fmr.map_or("–".into(), |v| format!("{v:.5}")),
            g.non_mated_pairs
        );
    }
    s
}

/// Writes the test set from the sample photos: each face in eight variants.
pub fn test_set(a: TestSetArgs) -> anyhow::Result<ExitCode> {
    let samples = ModelCache::from_env().require()?.samples;
    let engine = engine()?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let mut manifest = String::from("path,identity,group,x1,y1,x2,y2\n");
    let mut images = 0;
    let mut people = 0;
    for photo in waarborg_models::SAMPLE_PHOTOS {
        let file = samples.join(photo);
        let image = waarborg_face::decode::decode_file(&file, &Default::default())
            .with_context(|| format!("cannot read {}", file.display()))?;
        let stem = photo.trim_end_matches(".jpg");
        let faces = engine.analyze(&image, false)?;
        // Faces big enough to survive the smallest variant.
        for (i, face) in faces
            .iter()
            .filter(|f| f.bbox[2] - f.bbox[0] >= 40.0)
            .enumerate()
        {
            people += 1;
            let identity = format!("{stem}-{i}");
            for v in waarborg_eval::augment::variants(&image, face.bbox)? {
                let name = format!("{identity}-{}.png", v.name);
                v.image
                    .save(a.out.join(&name))
                    .with_context(|| format!("cannot write {name}"))?;
                let [x1, y1, x2, y2] = v.face_box;
                manifest += &format!("{name},{identity},{stem},{x1:.1},{y1:.1},{x2:.1},{y2:.1}\n");
                images += 1;
            }
        }
    }
    let path = a.out.join("manifest.csv");
    std::fs::write(&path, manifest).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "{images} images of {people} faces in {}; evaluate with `waarborg models evaluate --manifest {} --json FILE`",
        a.out.display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// For the demo: the chosen models evaluated on the test set made from the sample photos
/// (written under `dir/testset`), unless an evaluation of exactly them is recorded already.
pub fn evaluate_for_demo(dir: &Path) -> anyhow::Result<()> {
    let models = crate::models::active_pair_hashes();
    if crate::models::model_evaluations()
        .iter()
        .any(|e| e.measured(&models))
    {
        return Ok(());
    }
    let out = dir.join("testset");
    test_set(TestSetArgs { out: out.clone() })?;
    evaluate(EvaluateArgs {
        manifest: out.join("manifest.csv"),
        models: Some(models),
        json: out.join("evaluation.json"),
        svg: Some(out.join("det.svg")),
        html: Some(out.join("evaluation.html")),
        gallery_size: 1_000_000,
        list_length: 10,
        fpir: 0.01,
        threshold: None,
        bootstrap: 1000,
    })?;
    Ok(())
}
