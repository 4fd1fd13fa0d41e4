//! `waarborg bench search`'s contract: the .fvecs reader, the JSON keys tooling depends on,
//! results equal to brute force, and clear errors for bad files.

use std::path::{Path, PathBuf};
use std::process::Command;

use waarborg_index::kernels::dot_f32;
use waarborg_index::DIM;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("waarborg-cli-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn unit(seed: &mut u64) -> Vec<f32> {
    let mut v: Vec<f32> = (0..DIM)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    let n = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt() as f32;
    v.iter_mut().for_each(|x| *x /= n);
    v
}

fn write_fvecs(path: &Path, vectors: &[Vec<f32>]) {
    let mut bytes = Vec::new();
    for v in vectors {
        bytes.extend_from_slice(&(v.len() as i32).to_le_bytes());
        v.iter()
            .for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()));
    }
    std::fs::write(path, bytes).unwrap();
}

fn bench(base: &Path, queries: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_waarborg"))
        .args([
            "bench",
            "search",
            "--k",
            "10",
            "--threads",
            "2",
            "--json",
            "--base",
        ])
        .arg(base)
        .arg("--queries")
        .arg(queries)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn the_json_contract_and_exact_results() {
    let dir = scratch("contract");
    let mut seed = 0x1234_5678u64;
    let base: Vec<Vec<f32>> = (0..3000).map(|_| unit(&mut seed)).collect();
    let queries: Vec<Vec<f32>> = (0..5).map(|_| unit(&mut seed)).collect();
    write_fvecs(&dir.join("base.fvecs"), &base);
    write_fvecs(&dir.join("q.fvecs"), &queries);
    let index_dir = dir.join("index");
    for run in 0..2 {
        // The second run reopens the index kept in --index.
        let out = bench(
            &dir.join("base.fvecs"),
            &dir.join("q.fvecs"),
            &["--index", index_dir.to_str().unwrap()],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for key in ["build_s", "batch_s"] {
            assert!(v[key].as_f64().is_some_and(|x| x >= 0.0), "{key} in {v}");
        }
        for key in ["p50", "p99", "mean"] {
            assert!(
                v["per_query_ms"][key].as_f64().is_some_and(|x| x > 0.0),
                "{key}"
            );
        }
        let results = v["results"].as_array().unwrap();
        assert_eq!(results.len(), 5);
        for (q, got) in queries.iter().zip(results) {
            let mut all: Vec<(usize, f32)> = base
                .iter()
                .enumerate()
                .map(|(i, b)| (i, dot_f32(b, q)))
                .collect();
            all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let want: Vec<u64> = all[..10].iter().map(|(i, _)| *i as u64).collect();
            let got: Vec<u64> = got
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            assert_eq!(got, want, "run {run}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_fvecs_files_get_clear_errors() {
    let dir = scratch("bad");
    let mut seed = 99u64;
    let good: Vec<Vec<f32>> = (0..10).map(|_| unit(&mut seed)).collect();
    write_fvecs(&dir.join("good.fvecs"), &good);
    write_fvecs(&dir.join("dim.fvecs"), &[vec![0.5f32; 128]]);
    let bytes = std::fs::read(dir.join("good.fvecs")).unwrap();
    std::fs::write(dir.join("short.fvecs"), &bytes[..bytes.len() - 6]).unwrap();
    let mut unnormalised = good.clone();
    unnormalised[3].iter_mut().for_each(|x| *x *= 3.0);
    write_fvecs(&dir.join("norm.fvecs"), &unnormalised);
    let cases = [
        ("dim.fvecs", "dimension Some(128)"),
        ("short.fvecs", "vector 9 is truncated"),
        ("norm.fvecs", "L2-normalised"),
        ("missing.fvecs", "reading"),
    ];
    for (file, says) in cases {
        let out = bench(&dir.join(file), &dir.join("good.fvecs"), &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(says), "{file}: {err}");
        assert!(out.stdout.is_empty());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
