//! Search equals brute-force f32 search: on random data, across databases, thresholds,
//! memory and segments, deletions, thread counts, batches — and on adversarial near-ties
//! built to defeat the int8 scan.

mod common;

use common::{brute_force, normalised, scratch, Rng};
use waarborg_index::{Hit, Index, IndexConfig, NewTemplate, SearchParams, DIM};

type Live = Vec<(u64, String, Vec<f32>)>;

fn insert_all(index: &Index, live: &Live, chunk: usize) {
    for group in live.chunk_by(|a, b| a.1 == b.1) {
        for part in group.chunks(chunk) {
            let t: Vec<NewTemplate> = part
                .iter()
                .map(|(id, _, v)| NewTemplate {
                    id: *id,
                    owner: id + 1_000_000,
                    vector: v,
                })
                .collect();
            index.insert(&part[0].1, &t).unwrap();
        }
    }
}

fn ids(hits: &[Hit]) -> Vec<(u64, f32)> {
    hits.iter().map(|h| (h.template, h.score)).collect()
}

fn check(
    index: &Index,
    live: &Live,
    queries: &[Vec<f32>],
    k: usize,
    min: Option<f32>,
    dbs: Option<&[&str]>,
) {
    for threads in [1, 2, 3] {
        let params = SearchParams {
            k,
            min_score: min,
            databases: dbs.map(|d| d.iter().map(|s| s.to_string()).collect()),
            threads,
        };
        let refs: Vec<&[f32]> = queries.iter().map(|q| q.as_slice()).collect();
        let batch = index.search_batch(&refs, &params).unwrap();
        for (q, b) in queries.iter().zip(&batch) {
            let want = brute_force(live, q, k, min, dbs);
            let single = index.search(q, &params).unwrap();
            assert_eq!(
                ids(&single),
                want,
                "single query, {threads} threads, k {k}, min {min:?}, dbs {dbs:?}"
            );
            assert_eq!(ids(b), want, "batch, {threads} threads");
            for h in &single {
                assert_eq!(h.owner, h.template + 1_000_000);
                let db = &live.iter().find(|l| l.0 == h.template).unwrap().1;
                assert_eq!(&h.database, db);
            }
        }
    }
}

/// Plain (memory-mapped) or sealed (rows decrypted from blocks when re-ranked), as the
/// service keeps it: the same answers either way.
fn config(flush_rows: usize, sealed: bool) -> IndexConfig {
    let key = || waarborg_seal::Key::from_hex(&"7".repeat(64)).unwrap();
    IndexConfig {
        threads: 2,
        flush_rows,
        keys: sealed.then(|| std::sync::Arc::new(waarborg_seal::Keyring::new(key(), vec![]))),
    }
}

#[test]
fn random_data_across_databases_thresholds_memory_and_segments() {
    for sealed in [false, true] {
        random_data(sealed);
    }
}

fn random_data(sealed: bool) {
    let dir = scratch(&format!("random-{sealed}"));
    let mut rng = Rng(42);
    let mut live: Live = Vec::new();
    for i in 0..6000u64 {
        let db = if i < 4500 { "criminal" } else { "aliens" };
        live.push((i * 3 + 1, db.to_string(), rng.unit()));
    }
    // Queries near stored templates (mates) and random ones.
    let mut queries: Vec<Vec<f32>> = (0..6).map(|i| rng.near(&live[i * 997].2, 0.8)).collect();
    queries.push(rng.unit());
    // Flush every 1000 rows: part of the data in segments, the rest in memory and the log.
    let (index, _) = Index::open(&dir, config(1000, sealed)).unwrap();
    insert_all(&index, &live, 700);
    let stats = index.stats();
    assert!(stats.segments > 0 && stats.in_memory > 0, "{stats:?}");
    assert_eq!(stats.templates, 6000);
    for k in [1, 10, 50] {
        check(&index, &live, &queries, k, None, None);
    }
    check(&index, &live, &queries, 50, Some(0.1), None);
    check(&index, &live, &queries, 50, None, Some(&["aliens"]));
    check(
        &index,
        &live,
        &queries,
        7000,
        Some(0.05),
        Some(&["criminal", "aliens"]),
    );
    assert!(index
        .search(
            &queries[0],
            &SearchParams {
                databases: Some(vec!["none".into()]),
                ..SearchParams::top(5)
            }
        )
        .unwrap()
        .is_empty());

    // Deletions disappear from the next search, in segments and in memory alike.
    let gone: Vec<u64> = live
        .iter()
        .step_by(7)
        .map(|l| l.0)
        .chain([live[0].0, 2])
        .collect();
    let report = index.delete(&gone).unwrap();
    assert_eq!(
        report.deleted.len(),
        gone.len() - 2,
        "a repeated id counts once"
    );
    assert_eq!(
        report.unknown,
        vec![2],
        "ids are 3i+1; 2 was never inserted"
    );
    live.retain(|l| !gone.contains(&l.0));
    check(&index, &live, &queries, 50, None, None);

    // Reopened: the same answers from segments and the replayed log.
    drop(index);
    let (index, report) = Index::open(&dir, config(1000, sealed)).unwrap();
    assert!(report.replayed > 0);
    check(&index, &live, &queries, 50, None, None);
    index.compact().unwrap();
    check(&index, &live, &queries, 50, None, None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn adversarial_near_ties_equal_brute_force() {
    for sealed in [false, true] {
        near_ties(sealed);
    }
}

fn near_ties(sealed: bool) {
    let dir = scratch(&format!("ties-{sealed}"));
    let mut rng = Rng(7);
    let q = rng.unit();
    let mut live: Live = Vec::new();
    let mut id = 0u64;
    let mut add = |live: &mut Live, v: Vec<f32>| {
        id += 1;
        live.push((id, "criminal".into(), v));
    };
    // 1. Exact duplicates: equal scores, ordered by id.
    let dup = rng.near(&q, 0.6);
    for _ in 0..30 {
        add(&mut live, dup.clone());
    }
    // 2. Vectors with identical int8 codes whose f32 scores differ in the last bits: the
    //    scan cannot tell them apart, only re-ranking can.
    let base = rng.near(&q, 0.55);
    for j in 0..40 {
        let mut v = base.clone();
        let i = j % DIM;
        v[i] += (j as f32 - 20.0) * 1e-7;
        add(&mut live, normalised(v));
    }
    // 3. A dense shell of scores within 1e-4 of each other around the cut-off.
    for j in 0..300 {
        add(&mut live, rng.near(&q, 0.5 + j as f32 * 3e-7));
    }
    // 4. Background.
    for _ in 0..3000 {
        add(&mut live, rng.unit());
    }
    let (index, _) = Index::open(&dir, config(500, sealed)).unwrap();
    insert_all(&index, &live, 400);
    let queries = vec![q.clone(), rng.near(&q, 0.99), dup.clone(), base.clone()];
    for k in [1, 5, 29, 30, 31, 50, 69, 70, 71, 200, 371] {
        check(&index, &live, &queries, k, None, None);
    }
    check(&index, &live, &queries, 400, Some(0.5), None);
    // The duplicates are ordered by id within their tie.
    let hits = index.search(&dup, &SearchParams::top(30)).unwrap();
    assert!(hits
        .windows(2)
        .all(|w| w[0].score > w[1].score || w[0].template < w[1].template));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_searches_agree_with_each_other() {
    let dir = scratch("concurrent");
    let mut rng = Rng(99);
    let live: Live = (0..4000u64)
        .map(|i| (i, "criminal".to_string(), rng.unit()))
        .collect();
    let (index, _) = Index::open(
        &dir,
        IndexConfig {
            threads: 2,
            flush_rows: 1500,
            ..IndexConfig::default()
        },
    )
    .unwrap();
    insert_all(&index, &live, 1000);
    let queries: Vec<Vec<f32>> = (0..8).map(|i| rng.near(&live[i * 400].2, 0.7)).collect();
    let expected: Vec<_> = queries
        .iter()
        .map(|q| brute_force(&live, q, 20, None, None))
        .collect();
    std::thread::scope(|s| {
        for t in 0..6 {
            let (index, queries, expected) = (&index, &queries, &expected);
            s.spawn(move || {
                for round in 0..10 {
                    let i = (t + round) % queries.len();
                    let got = index.search(&queries[i], &SearchParams::top(20)).unwrap();
                    assert_eq!(ids(&got), expected[i]);
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}
