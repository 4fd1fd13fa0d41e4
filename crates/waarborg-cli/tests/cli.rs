//! The `waarborg` binary's contract: JSON shape, argument order, per-image errors that never
//! stop the batch, and clear errors when the model cache is missing.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn waarborg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_waarborg"))
}

fn samples() -> PathBuf {
    waarborg_models::ModelCache::from_env()
        .require()
        .unwrap_or_else(|e| panic!("the CLI tests need the real models: {e}"))
        .samples
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("waarborg-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_json(args: &[&Path]) -> (Output, Value) {
    let out = waarborg()
        .args(["face", "analyze", "--json"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

fn png(img: image::DynamicImage) -> Vec<u8> {
    let mut c = Cursor::new(Vec::new());
    img.write_to(&mut c, image::ImageFormat::Png).unwrap();
    c.into_inner()
}

/// A JPEG whose frame header claims 30000×30000 pixels.
fn jpeg_bomb(jpeg: &[u8]) -> Vec<u8> {
    let mut b = jpeg.to_vec();
    let sof = (0..b.len() - 9)
        .find(|&i| b[i] == 0xFF && matches!(b[i + 1], 0xC0..=0xC2))
        .expect("a JPEG frame header");
    b[sof + 5..sof + 7].copy_from_slice(&30_000u16.to_be_bytes());
    b[sof + 7..sof + 9].copy_from_slice(&30_000u16.to_be_bytes());
    b
}

/// A PNG whose header claims 30000×30000 pixels (CRC fixed so only the size is wrong).
fn png_bomb() -> Vec<u8> {
    let mut b = png(image::DynamicImage::ImageLuma8(image::GrayImage::new(1, 1)));
    b[16..20].copy_from_slice(&30_000u32.to_be_bytes());
    b[20..24].copy_from_slice(&30_000u32.to_be_bytes());
    let crc = crc32fast::hash(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

#[test]
fn bad_inputs_get_their_own_error_and_the_batch_goes_on() {
    let dir = scratch("bad");
    let good = samples().join("yaoming.jpg");
    let jpeg = std::fs::read(&good).unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "not-an-image.jpg",
            b"GIF? no: just some text pretending".to_vec(),
        ),
        ("truncated.jpg", jpeg[..jpeg.len() / 3].to_vec()),
        ("empty.png", Vec::new()),
        (
            "one-pixel.png",
            png(image::DynamicImage::ImageRgb8(image::RgbImage::new(1, 1))),
        ),
        ("bomb.png", png_bomb()),
        ("bomb.jpg", jpeg_bomb(&jpeg)),
        (
            "no-face.png",
            png(image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(
                320,
                240,
                |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]),
            ))),
        ),
    ];
    let mut args: Vec<PathBuf> = vec![good.clone()];
    for (name, bytes) in &files {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        args.push(p);
    }
    args.push(dir.join("does-not-exist.jpg"));
    args.push(good.clone());
    let refs: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
    let (out, json) = run_json(&refs);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results = json.as_array().unwrap();
    assert_eq!(results.len(), args.len());
    for (r, p) in results.iter().zip(&args) {
        assert_eq!(
            r["image"],
            p.display().to_string(),
            "results follow argument order"
        );
    }
    let error = |i: usize| {
        results[i]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{i}: expected an error: {}", results[i]))
    };
    for &i in &[0usize, 9] {
        assert!(results[i]["error"].is_null());
        assert_eq!(results[i]["faces"].as_array().unwrap().len(), 1);
        assert_eq!(
            results[i]["faces"][0]["embedding"]
                .as_array()
                .unwrap()
                .len(),
            512
        );
    }
    assert!(error(1).contains("not a supported image"), "{}", error(1));
    assert!(error(2).contains("corrupt or truncated"), "{}", error(2));
    assert!(error(3).contains("empty"), "{}", error(3));
    assert!(
        results[4]["error"].is_null() && results[4]["faces"].as_array().unwrap().is_empty(),
        "1×1: {}",
        results[4]
    );
    assert!(error(5).contains("30000×30000"), "{}", error(5));
    assert!(error(6).contains("30000×30000"), "{}", error(6));
    assert!(
        results[7]["error"].is_null() && results[7]["faces"].as_array().unwrap().is_empty(),
        "no face: {}",
        results[7]
    );
    assert!(error(8).contains("does-not-exist.jpg"), "{}", error(8));
}

#[test]
fn json_contract_shape_and_no_embedding() {
    let good = samples().join("gdp.jpg");
    let out = waarborg()
        .args(["face", "analyze", "--json", "--no-embedding"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &json[0];
    assert_eq!(
        (r["width"].as_u64(), r["height"].as_u64()),
        (Some(500), Some(665))
    );
    let faces = r["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 5);
    for f in faces {
        assert_eq!(f["bbox"].as_array().unwrap().len(), 4);
        assert_eq!(f["kps"].as_array().unwrap().len(), 5);
        assert!(f["det_score"].as_f64().unwrap() >= 0.5);
        assert!(f["quality"]["sufficient"].is_boolean());
        assert!(f["quality"]["reasons"].is_array());
        assert!(
            f.get("embedding").is_none(),
            "--no-embedding leaves templates out"
        );
    }
    // Scores are best first.
    let scores: Vec<f64> = faces
        .iter()
        .map(|f| f["det_score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn compare_scores_the_same_person_high_and_refuses_a_faceless_image() {
    let s = samples();
    let rotated = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../waarborg-face/tests/data/images/yaoming_exif6.jpg");
    let out = waarborg()
        .args(["face", "compare"])
        .arg(s.join("yaoming.jpg"))
        .arg(&rotated)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sim: f32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(sim > 0.9, "same photo, EXIF-rotated: {sim}");

    let dir = scratch("compare");
    let blank = dir.join("blank.png");
    std::fs::write(
        &blank,
        png(image::DynamicImage::ImageRgb8(image::RgbImage::new(64, 64))),
    )
    .unwrap();
    let out = waarborg()
        .args(["face", "compare"])
        .arg(s.join("yaoming.jpg"))
        .arg(&blank)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no face found"));
}

#[test]
fn a_missing_model_cache_names_the_command_that_fixes_it() {
    let dir = scratch("nomodels");
    let out = waarborg()
        .env("WAARBORG_MODELS", &dir)
        .args(["face", "analyze", "x.jpg"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waarborg models install"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let out = waarborg()
        .env("WAARBORG_MODELS", &dir)
        .args(["models", "check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("waarborg models install"));
}

#[test]
fn a_corrupted_model_is_refused_before_any_inference() {
    let src = waarborg_models::ModelCache::from_env().dir().to_path_buf();
    let dir = copied_cache("corrupt");
    let mut model = std::fs::read(src.join("models/w600k_mbf.onnx")).unwrap();
    model[1000] ^= 0xFF;
    std::fs::write(dir.join("models/w600k_mbf.onnx"), model).unwrap();
    let out = waarborg()
        .env("WAARBORG_MODELS", &dir)
        .args(["face", "analyze"])
        .arg(src.join("samples/yaoming.jpg"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("w600k_mbf.onnx") && err.contains("corrupted"),
        "{err}"
    );
}

#[test]
fn quality_thresholds_can_be_configured_and_bad_files_are_refused() {
    let dir = scratch("quality");
    let strict = dir.join("strict.json");
    std::fs::write(&strict, r#"{"min_interocular_px": 60}"#).unwrap();
    let yao = samples().join("yaoming.jpg");
    let analyse = |extra: &[&std::ffi::OsStr]| {
        let out = waarborg()
            .args(["face", "analyze", "--json", "--no-embedding"])
            .args(extra)
            .arg(&yao)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (ok, stdout, _) = analyse(&[]);
    assert!(ok);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json[0]["faces"][0]["quality"]["sufficient"], true);
    let (ok, stdout, _) = analyse(&["--quality".as_ref(), strict.as_os_str()]);
    assert!(ok);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let q = &json[0]["faces"][0]["quality"];
    assert_eq!(q["sufficient"], false);
    assert!(q["reasons"][0].as_str().unwrap().contains("60 px"), "{q}");

    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{ min_interocular_px: sixty }").unwrap();
    let (ok, _, stderr) = analyse(&["--quality".as_ref(), bad.as_os_str()]);
    assert!(!ok);
    assert!(
        stderr.contains("not a valid quality-threshold object"),
        "{stderr}"
    );
}

/// The same ONNX graph with one unknown protobuf field appended: other bytes, other hash,
/// the same network (ONNX Runtime skips fields it does not know).
fn relabelled(model: &Path, tag: &[u8]) -> Vec<u8> {
    let mut bytes = std::fs::read(model).unwrap();
    // Field 1000, wire type 2 (length-delimited): key varint 0xC2 0x3E.
    bytes.extend_from_slice(&[0xC2, 0x3E, tag.len() as u8]);
    bytes.extend_from_slice(tag);
    bytes
}

fn models_cmd(cache: &Path, args: &[&str]) -> Output {
    waarborg()
        .env("WAARBORG_MODELS", cache)
        .arg("models")
        .args(args)
        .output()
        .unwrap()
}

fn templates(cache: &Path, image: &Path) -> Vec<Vec<f64>> {
    let out = waarborg()
        .env("WAARBORG_MODELS", cache)
        .args(["face", "analyze", "--json"])
        .arg(image)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    json[0]["faces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect()
}

/// A copy of the installed model cache, for a test that changes what the cache holds.
fn copied_cache(name: &str) -> PathBuf {
    let src = waarborg_models::ModelCache::from_env().dir().to_path_buf();
    let cache = scratch(name);
    for sub in ["models", "runtime", "samples"] {
        std::fs::create_dir_all(cache.join(sub)).unwrap();
    }
    for rel in [
        "manifest.json",
        "models/scrfd_500m_bnkps.onnx",
        "models/w600k_mbf.onnx",
        "runtime/libonnxruntime.so",
        "samples/gdp.jpg",
        "samples/players.jpg",
        "samples/yaoming.jpg",
    ] {
        std::fs::copy(src.join(rel), cache.join(rel)).unwrap();
    }
    cache
}

#[test]
fn a_model_pair_is_added_after_the_engine_checks_it_and_is_then_chosen() {
    let src = waarborg_models::ModelCache::from_env().dir().to_path_buf();
    let cache = copied_cache("pairs");
    let supplied = scratch("pairs-supplied");
    let det = supplied.join("det.onnx");
    let rec = supplied.join("rec.onnx");
    std::fs::write(
        &det,
        relabelled(&src.join("models/scrfd_500m_bnkps.onnx"), b"v1"),
    )
    .unwrap();
    std::fs::write(&rec, relabelled(&src.join("models/w600k_mbf.onnx"), b"v1")).unwrap();
    let manifest = || std::fs::read(cache.join("manifest.json")).unwrap();
    let before = manifest();
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let add = |extra: &[&str], d: &Path, r: &Path| {
        let mut args = vec!["add".to_string(), path(d), path(r)];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        models_cmd(&cache, &args)
    };
    let vendor = [
        "--name",
        "vendor-1.0",
        "--licence",
        "Licensed to the police for operational use, contract 2026-17",
        "--source",
        "Vendor BV, release 1.0",
        "--operational-use",
    ];

    // Swapped: the engine refuses the graphs, nothing is added.
    let out = add(&vendor, &rec, &det);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("not added") && err.contains("outputs"),
        "{err}"
    );
    assert_eq!(manifest(), before);
    // No licence, a stated hash that does not match: refused, nothing added.
    let out = add(
        &["--name", "x", "--licence", " ", "--source", "s"],
        &det,
        &rec,
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("licence"));
    let wrong = "ab".repeat(32);
    let mut stated = vendor.to_vec();
    stated.extend(["--detector-sha256", wrong.as_str()]);
    let out = add(&stated, &det, &rec);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("not the one its supplier stated"),
        "{err}"
    );
    assert_eq!(manifest(), before);

    let out = add(&vendor, &det, &rec);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let det_hash = waarborg_models::sha256_file(&det).unwrap();
    assert!(
        text.contains(&det_hash) && text.contains("licensed for operational use"),
        "{text}"
    );
    let out = models_cmd(&cache, &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("chosen pair: buffalo_s") && text.contains("pair vendor-1.0"),
        "{text}"
    );
    assert!(
        text.contains("pairs/vendor-1.0/detector.onnx") && text.contains("contract 2026-17"),
        "{text}"
    );

    // The same network under another name gives the same templates once chosen.
    let image = src.join("samples/yaoming.jpg");
    let default = templates(&cache, &image);
    assert!(models_cmd(&cache, &["use", "vendor-1.0"]).status.success());
    assert_eq!(templates(&cache, &image), default);

    // The engine feeds the recogniser as the pair's manifest says: another normalisation,
    // other templates.
    std::fs::write(
        &det,
        relabelled(&src.join("models/scrfd_500m_bnkps.onnx"), b"v2"),
    )
    .unwrap();
    std::fs::write(&rec, relabelled(&src.join("models/w600k_mbf.onnx"), b"v2")).unwrap();
    let out = add(
        &[
            "--name",
            "shifted",
            "--licence",
            "research only",
            "--source",
            "lab",
            "--recognizer-input",
            "100,127.5",
        ],
        &det,
        &rec,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("not for operational use"));
    assert!(models_cmd(&cache, &["use", "shifted"]).status.success());
    let shifted = templates(&cache, &image);
    assert_eq!(shifted.len(), default.len());
    assert_ne!(shifted, default);

    let out = models_cmd(&cache, &["use", "nobody"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("buffalo_s, vendor-1.0, shifted"));
    assert!(models_cmd(&cache, &["use", "buffalo_s"]).status.success());
    assert_eq!(templates(&cache, &image), default);
}

#[test]
fn an_evaluation_lists_every_pair_says_what_it_could_not_compute_and_can_be_recomputed() {
    let dir = scratch("evaluate");
    let cache = copied_cache("evaluate-cache");
    let out = waarborg()
        .env("WAARBORG_MODELS", &cache)
        .args(["models", "test-set", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two rows no evaluation can use: a faceless image and a missing file.
    std::fs::write(
        dir.join("grey.png"),
        png(image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            120,
            120,
            image::Rgb([128, 128, 128]),
        ))),
    )
    .unwrap();
    let manifest = dir.join("manifest.csv");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text += "grey.png,nobody\nabsent.png,nobody\n";
    std::fs::write(&manifest, &text).unwrap();
    let rows = text.lines().count() - 1;

    let json = dir.join("eval.json");
    let svg = dir.join("det.svg");
    let evaluate = |extra: &[&str]| {
        waarborg()
            .env("WAARBORG_MODELS", &cache)
            .args(["model", "evaluate", "--bootstrap", "200", "--manifest"])
            .arg(&manifest)
            .arg("--json")
            .arg(&json)
            .arg("--svg")
            .arg(&svg)
            .arg("--html")
            .arg(dir.join("evaluation.html"))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = evaluate(&[]);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let used = e["images"].as_u64().unwrap() as usize;
    assert_eq!(used, rows - 2);
    let excluded = e["excluded"].as_array().unwrap();
    assert_eq!(excluded.len(), 2, "{excluded:?}");
    assert_eq!(excluded[0]["reason"], "no face found");
    assert!(excluded[1]["reason"]
        .as_str()
        .unwrap()
        .contains("absent.png"));
    let pins: Vec<&str> = waarborg_models::PINNED_MODELS
        .iter()
        .map(|m| m.sha256)
        .collect();
    assert_eq!(e["models"], serde_json::json!(pins));
    assert_eq!(e["dataset_sha256"].as_str().unwrap().len(), 64);

    // Every pair once, labelled by the manifest's identities.
    let identity: std::collections::HashMap<&str, &str> = text
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split(',');
            (f.next().unwrap(), f.next().unwrap())
        })
        .collect();
    let pairs = e["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), used * (used - 1) / 2);
    let mut impostor = Vec::new();
    let mut genuine = Vec::new();
    for p in pairs {
        let (a, b) = (p["a"].as_str().unwrap(), p["b"].as_str().unwrap());
        assert_eq!(p["same"].as_bool().unwrap(), identity[a] == identity[b]);
        let s = p["score"].as_f64().unwrap();
        assert!((-1.0..=1.0001).contains(&s));
        if identity[a] == identity[b] {
            genuine.push(s)
        } else {
            impostor.push(s)
        }
    }
    // The figures follow from the pairs: at FMR 1e-2 at most 1 % of the non-mated pairs
    // reach the threshold, and FNMR is the share of mated pairs below it.
    let at = &e["verification"][0];
    let t = at["threshold"]
        .as_f64()
        .expect("FMR 1e-2 is computed on this set");
    let fmr = impostor.iter().filter(|&&s| s >= t).count() as f64 / impostor.len() as f64;
    assert!(fmr <= 0.01 && (fmr - at["fmr"].as_f64().unwrap()).abs() < 1e-12);
    let fnmr = genuine.iter().filter(|&&s| s < t).count() as f64 / genuine.len() as f64;
    assert!((fnmr - at["fnmr"].as_f64().unwrap()).abs() < 1e-12);
    assert!(genuine.iter().sum::<f64>() / genuine.len() as f64 > 0.8);
    for (k, needs) in [(1, "30000"), (2, "300000")] {
        let why = e["verification"][k]["not_computed"].as_str().unwrap();
        assert!(
            why.contains(needs) && why.contains("non-mated pairs"),
            "{why}"
        );
    }
    assert!(e["open_set"]["recommended"]["not_computed"].is_string());
    assert_eq!(e["open_set"]["measured_ranks"][0]["rank"], 1);
    assert_eq!(e["groups"].as_array().unwrap().len(), 3);
    assert!(
        summary.contains("FMR 1e-2: threshold")
            && summary.contains("left out grey.png: no face found"),
        "{summary}"
    );
    let svg_text = std::fs::read_to_string(&svg).unwrap();
    assert!(svg_text.starts_with("<svg") && svg_text.contains("<polyline"));
    let html = std::fs::read_to_string(dir.join("evaluation.html")).unwrap();
    assert!(html.contains("grey.png") && html.contains("not computed") && html.contains("<svg"));
    // Recorded in the cache as the evidence a revision naming these models carries.
    let records: Vec<_> = std::fs::read_dir(cache.join("evaluations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    let record: Value = serde_json::from_slice(&std::fs::read(&records[0]).unwrap()).unwrap();
    assert_eq!(record["models"], e["models"]);
    assert_eq!(record["dataset_sha256"], e["dataset_sha256"]);
    assert_eq!(record["mated_pairs"].as_u64(), Some(genuine.len() as u64));
    assert_eq!(record["at_fmr"][0]["threshold"].as_f64(), Some(t));
    assert!(record["recommended_not_computed"].is_string());

    // Other models than asked for: refused, nothing written.
    std::fs::remove_file(&json).unwrap();
    let out = evaluate(&["--models", &format!("{},{}", pins[1], pins[0])]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("waarborg models use"));
    assert!(!json.exists());
    // Too small to compare, and a malformed manifest: clear errors.
    std::fs::write(&manifest, "gdp-0-crop.png,p\ngdp-0-blur.png,p\n").unwrap();
    let out = evaluate(&[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs at least one of each"));
    std::fs::write(&manifest, "gdp-0-crop.png\n").unwrap();
    let out = evaluate(&[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("path,identity"));
}
