//! `waarborg bench search`: exact 1:N search speed on TEXMEX `.fvecs` files.
//!
//! The contract (tooling depends on it; keep it stable): reads `--base` and `--queries`,
//! builds or opens an index of the base vectors (ids = 0-based row numbers), runs each
//! query one at a time, then all queries as one batch, and prints
//! `{"build_s", "per_query_ms": {"p50", "p99", "mean"}, "batch_s", "results"}` where
//! `results` holds the ids of the top K per query, best first. Further keys
//! (`memory_bandwidth_gbs`, `bytes_scanned_per_query`, `index`) add context.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use waarborg_index::{Index, IndexConfig, NewTemplate, SearchParams, DIM};
use waarborg_seal::{Key, Keyring};

#[derive(Debug, Args)]
pub struct SearchBenchArgs {
    /// Base vectors (.fvecs): the reference templates.
    #[arg(long)]
    base: PathBuf,
    /// Query vectors (.fvecs).
    #[arg(long)]
    queries: PathBuf,
    /// Candidates per query.
    #[arg(long, default_value_t = 50)]
    k: usize,
    /// Threads per search (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Keep the index in DIR and reopen it on later runs with the same base (default: a
    /// temporary directory, removed after).
    #[arg(long, value_name = "DIR")]
    index: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Reads a TEXMEX `.fvecs` file: per vector a little-endian i32 dimension, then that many
/// f32. Returns the vectors flat.
pub fn read_fvecs(path: &Path) -> anyhow::Result<Vec<f32>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .with_context(|| format!("reading {}", path.display()))?;
    let record = 4 + 4 * DIM;
    let mut out = Vec::with_capacity(bytes.len() / record * DIM);
    for (i, chunk) in bytes.chunks(record).enumerate() {
        let dim = chunk
            .get(..4)
            .map(|d| i32::from_le_bytes([d[0], d[1], d[2], d[3]]));
        if dim != Some(DIM as i32) {
            bail!(
                "{}: vector {i} has dimension {dim:?}; the index holds {DIM}-dimensional templates",
                path.display()
            );
        }
        if chunk.len() != record {
            bail!("{}: vector {i} is truncated", path.display());
        }
        out.extend(
            chunk[4..]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    }
    Ok(out)
}

/// Read bandwidth of this machine's memory with `threads` threads, in GB/s (best of 3
/// passes over a buffer far larger than the caches).
pub fn memory_bandwidth(threads: usize) -> f64 {
    let words = (1usize << 30) / 8;
    let buffer: Vec<u64> = (0..words as u64).collect();
    let per = words.div_ceil(threads);
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        let total: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = buffer
                .chunks(per)
                .map(|c| {
                    s.spawn(move || {
                        let mut lanes = [0u64; 8];
                        for block in c.chunks_exact(8) {
                            for (l, v) in lanes.iter_mut().zip(block) {
                                *l = l.wrapping_add(*v);
                            }
                        }
                        lanes.iter().fold(0u64, |a, b| a.wrapping_add(*b))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(0))
                .fold(0, u64::wrapping_add)
        });
        std::hint::black_box(total);
        best = best.min(started.elapsed().as_secs_f64());
    }
    (words * 8) as f64 / best / 1e9
}

pub fn search(args: SearchBenchArgs) -> anyhow::Result<ExitCode> {
    let threads = args.threads.unwrap_or(0);
    let base = read_fvecs(&args.base)?;
    let queries = read_fvecs(&args.queries)?;
    let n = base.len() / DIM;
    let temp = args.index.is_none();
    let dir = args.index.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("waarborg-bench-search-{}", std::process::id()))
    });
    let config = IndexConfig {
        threads,
        ..IndexConfig::default()
    };
    let started = Instant::now();
    let (index, _) = Index::open(&dir, config)?;
    let existing = index.stats().templates;
    if existing != 0 && existing != n {
        bail!(
            "{} holds {existing} templates, the base file {n}; give another --index DIR",
            dir.display()
        );
    }
    if existing == 0 {
        let templates: Vec<NewTemplate> = base
            .chunks_exact(DIM)
            .enumerate()
            .map(|(i, v)| NewTemplate {
                id: i as u64,
                owner: i as u64,
                vector: v,
            })
            .collect();
        index.insert("bench", &templates)?;
        index.flush()?;
    }
    let build_s = started.elapsed().as_secs_f64();
    let params = SearchParams {
        threads,
        ..SearchParams::top(args.k)
    };
    let qs: Vec<&[f32]> = queries.chunks_exact(DIM).collect();
    // One warm-up query brings the mapped files into memory, as in a running service.
    if let Some(q) = qs.first() {
        index.search(q, &params)?;
    }
    let mut times = Vec::with_capacity(qs.len());
    let mut results = Vec::with_capacity(qs.len());
    for q in &qs {
        let t = Instant::now();
        let hits = index.search(q, &params)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        results.push(hits.iter().map(|h| h.template).collect::<Vec<_>>());
    }
    let t = Instant::now();
    let batch = index.search_batch(&qs, &params)?;
    let batch_s = t.elapsed().as_secs_f64();
    for (i, (b, single)) in batch.iter().zip(&results).enumerate() {
        let ids: Vec<u64> = b.iter().map(|h| h.template).collect();
        if &ids != single {
            bail!("query {i}: the batch and the single search disagree");
        }
    }
    let stats = index.stats();
    drop(index);
    if temp {
        std::fs::remove_dir_all(&dir).ok();
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        sorted
            .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let used_threads = if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let bandwidth = memory_bandwidth(used_threads);
    let scanned = n * (DIM + 4);
    let report = serde_json::json!({
        "build_s": build_s,
        "per_query_ms": {"p50": pct(0.5), "p99": pct(0.99), "mean": mean},
        "batch_s": batch_s,
        "results": results,
        "threads": used_threads,
        "memory_bandwidth_gbs": bandwidth,
        "bytes_scanned_per_query": scanned,
        "bandwidth_limit_ms": scanned as f64 / bandwidth / 1e6,
        "index": stats,
    });
    if args.json {
        println!("{report}");
    } else {
        println!(
            "{n} templates, {} queries, k={}, {used_threads} threads ({})\nbuild {build_s:.2} s; single query p50 {:.2} ms, p99 {:.2} ms, mean {mean:.2} ms; batch {batch_s:.3} s\nmemory bandwidth {bandwidth:.1} GB/s: scanning {:.0} MB takes at least {:.2} ms",
            qs.len(),
            args.k,
            stats.simd,
            pct(0.5),
            pct(0.99),
            scanned as f64 / 1e6,
            scanned as f64 / bandwidth / 1e6
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ScaleBenchArgs {
    /// Synthetic templates to load.
    #[arg(long, default_value_t = 10_000_000)]
    n: usize,
    /// Templates per segment (each loaded as one bulk insert).
    #[arg(long, default_value_t = 1_000_000)]
    segment_rows: usize,
    /// Queries to time after reopening.
    #[arg(long, default_value_t = 20)]
    queries: usize,
    /// Threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Index directory (default: a temporary one, removed after unless --keep).
    #[arg(long, value_name = "DIR", conflicts_with = "data")]
    dir: Option<PathBuf>,
    /// Load into the index of this data directory, sealed under its data key, as the
    /// service opens it (implies --sealed and --keep).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Seal the segments (under a fresh key unless --data gives the data directory's), as
    /// the service keeps them.
    #[arg(long)]
    sealed: bool,
    /// Keep the index directory.
    #[arg(long)]
    keep: bool,
    /// Template ids start here (to add synthetic templates beside real ones).
    #[arg(long, default_value_t = 0)]
    first_id: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

use waarborg_refdb::synthetic::template as synthetic;

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}

/// `waarborg bench index-scale`: load N synthetic templates, reopen, search; report the
/// load and open times, files and memory per template, and query latency.
pub fn scale(args: ScaleBenchArgs) -> anyhow::Result<ExitCode> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let dir = match (&args.dir, &args.data) {
        (Some(dir), _) => dir.clone(),
        (None, Some(data)) => data.join("index"),
        (None, None) => {
            std::env::temp_dir().join(format!("waarborg-bench-scale-{}", std::process::id()))
        }
    };
    let keys = match &args.data {
        Some(data) => Some(crate::refdb::keyring(data)?),
        None if args.sealed => Some(Keyring::new(Key::generate()?, Vec::new())),
        None => None,
    };
    let sealed = keys.is_some();
    let config = IndexConfig {
        threads,
        keys: keys.map(std::sync::Arc::new),
        ..IndexConfig::default()
    };
    let started = Instant::now();
    {
        let (index, _) = Index::open(&dir, config.clone())?;
        // With --first-id the synthetic templates join an index that holds others.
        let mut loaded = if args.first_id > 0 {
            0
        } else {
            index.stats().templates
        };
        let mut vectors = vec![0f32; args.segment_rows.min(args.n.max(1)) * DIM];
        while loaded < args.n {
            let rows = args.segment_rows.min(args.n - loaded);
            let first = loaded as u64;
            let per = rows.div_ceil(threads) * DIM;
            std::thread::scope(|s| {
                for (t, chunk) in vectors[..rows * DIM].chunks_mut(per).enumerate() {
                    s.spawn(move || {
                        let start = first + (t * per / DIM) as u64;
                        for (j, v) in chunk.chunks_exact_mut(DIM).enumerate() {
                            synthetic(start + j as u64, v);
                        }
                    });
                }
            });
            let templates: Vec<NewTemplate> = vectors[..rows * DIM]
                .chunks_exact(DIM)
                .enumerate()
                .map(|(j, v)| NewTemplate {
                    id: args.first_id + first + j as u64,
                    owner: args.first_id + (first + j as u64) / 2,
                    vector: v,
                })
                .collect();
            index.insert("criminal", &templates)?;
            loaded += rows;
            if !args.json {
                eprintln!(
                    "loaded {loaded} templates ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let load_s = started.elapsed().as_secs_f64();
    let rss_before = resident_bytes();
    let t = Instant::now();
    let (index, report) = Index::open(&dir, config)?;
    let open_s = t.elapsed().as_secs_f64();
    let rss_open = resident_bytes();
    let n = index.stats().templates;
    let params = SearchParams::top(50);
    let mut query = vec![0f32; DIM];
    let mut times = Vec::new();
    let mut first_ms = 0.0;
    for i in 0..args.queries.max(1) {
        // A probe near stored template i·7919: its mate must come first.
        let mate = (i as u64 * 7919) % args.n.max(1) as u64;
        synthetic(mate, &mut query);
        let mut noise = vec![0f32; DIM];
        synthetic(u64::MAX - i as u64, &mut noise);
        let mut probe: Vec<f32> = query
            .iter()
            .zip(&noise)
            .map(|(a, b)| 0.8 * a + 0.6 * b)
            .collect();
        waarborg_refdb::synthetic::normalise(&mut probe);
        let t = Instant::now();
        let hits = index.search(&probe, &params)?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        if i == 0 {
            first_ms = ms;
        } else {
            times.push(ms);
        }
        if hits.first().map(|h| h.template) != Some(args.first_id + mate) {
            bail!("query {i}: the mate {mate} is not the first candidate");
        }
    }
    times.sort_by(f64::total_cmp);
    let p50 = times.get(times.len() / 2).copied().unwrap_or(first_ms);
    let rss_search = resident_bytes();
    let disk: u64 = std::fs::read_dir(&dir)?
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    drop(index);
    if args.dir.is_none() && args.data.is_none() && !args.keep {
        std::fs::remove_dir_all(&dir).ok();
    }
    let per = |b: u64| b as f64 / n.max(1) as f64;
    let report = serde_json::json!({
        "templates": n,
        "segments": report.segments,
        "threads": threads,
        "sealed": sealed,
        "load_s": load_s,
        "open_s": open_s,
        "first_query_ms": first_ms,
        "query_p50_ms": p50,
        "disk_bytes": disk,
        "disk_bytes_per_template": per(disk),
        // Opening verifies (and so maps) everything the scan reads: that is what must stay
        // in memory. After searching, the process also maps the f32 rows it re-ranked —
        // whole page-cache folios around them — which the kernel reclaims under pressure.
        "resident_bytes_after_open": rss_open.saturating_sub(rss_before),
        "resident_bytes_per_template": per(rss_open.saturating_sub(rss_before)),
        "resident_bytes_after_search": rss_search.saturating_sub(rss_before),
    });
    if args.json {
        println!("{report}");
    } else {
        println!(
            "{n} templates in {} segments: loaded in {load_s:.0} s, reopened in {open_s:.2} s\nfirst query {first_ms:.0} ms, then p50 {p50:.1} ms ({threads} threads)\ndisk {:.1} GB ({:.0} B/template); in memory for the scan {:.2} GB ({:.0} B/template)",
            report["segments"],
            disk as f64 / 1e9,
            per(disk),
            rss_open.saturating_sub(rss_before) as f64 / 1e9,
            per(rss_open.saturating_sub(rss_before))
        );
    }
    Ok(ExitCode::SUCCESS)
}
