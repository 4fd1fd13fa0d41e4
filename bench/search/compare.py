#!/usr/bin/env python3
"""Compares `waarborg bench search --json` with faiss_bench.py on the same data.

    compare.py WAARBORG.json FAISS.json DATA_DIR

Exactness: the top-K ids must be identical per query. Where they differ, the scores of the
differing ids are recomputed in float64 from the data: a difference within 1e-6 is a tie
that f32 summation order decides (reported, not hidden); anything else is a failure.
"""
import json
import sys

import numpy as np

w = json.load(open(sys.argv[1]))
f = json.load(open(sys.argv[2]))
data = sys.argv[3]


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    return raw.reshape(-1, raw[0] + 1)[:, 1:].view(np.float32)


identical = sum(a == b for a, b in zip(w["results"], f["results"]))
ties, wrong = 0, 0
if identical != len(w["results"]):
    base = read_fvecs(f"{data}/base.fvecs")
    queries = read_fvecs(f"{data}/queries.fvecs")
    for qi, (a, b) in enumerate(zip(w["results"], f["results"])):
        if a == b:
            continue
        sa = base[a].astype(np.float64) @ queries[qi].astype(np.float64)
        sb = base[b].astype(np.float64) @ queries[qi].astype(np.float64)
        if np.max(np.abs(np.sort(sa) - np.sort(sb))) <= 1e-6:
            ties += 1
        else:
            wrong += 1
wp, fp = w["per_query_ms"]["p50"], f["per_query_ms"]["p50"]
limit = w["bandwidth_limit_ms"]
print(f"{len(w['results'])} queries, k={len(w['results'][0])}, {w['threads']} threads, {w['index']['templates']} templates ({w['index']['simd']})")
print(f"single query p50: waarborg {wp:.2f} ms, faiss {fp:.2f} ms -> waarborg is {fp / wp:.2f}x faster (goal >= 2)")
print(f"single query p99: waarborg {w['per_query_ms']['p99']:.2f} ms, faiss {f['per_query_ms']['p99']:.2f} ms")
print(f"batch: waarborg {w['batch_s']:.3f} s, faiss {f['batch_s']:.3f} s -> {f['batch_s'] / w['batch_s']:.2f}x (goal >= 1)")
print(f"bandwidth: {w['memory_bandwidth_gbs']:.1f} GB/s; waarborg scans {w['bytes_scanned_per_query'] / 1e6:.0f} MB/query "
      f"(faiss {f['bytes_scanned_per_query'] / 1e6:.0f} MB): limit {limit:.2f} ms, p50 / limit = {wp / limit:.2f} (goal <= 1.5)")
print(f"build: waarborg {w['build_s']:.2f} s (durable segment on disk), faiss {f['build_s']:.2f} s (in memory)")
print(f"exactness: {identical}/{len(w['results'])} queries with identical ids; {ties} differ only by f32 ties (<= 1e-6); {wrong} wrong")
sys.exit(1 if wrong else 0)
