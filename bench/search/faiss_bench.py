#!/usr/bin/env python3
"""FAISS IndexFlatIP on the same .fvecs files, printing the same JSON keys as
`waarborg bench search --json`.

    faiss_bench.py --base BASE.fvecs --queries Q.fvecs --k 50 --threads N
"""
import argparse
import json
import time

import faiss
import numpy as np


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].view(np.float32).copy()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--k", type=int, default=50)
    p.add_argument("--threads", type=int, required=True)
    a = p.parse_args()
    faiss.omp_set_num_threads(a.threads)
    base = read_fvecs(a.base)
    queries = read_fvecs(a.queries)
    t = time.perf_counter()
    index = faiss.IndexFlatIP(base.shape[1])
    index.add(base)
    build_s = time.perf_counter() - t
    index.search(queries[:1], a.k)  # warm-up, as for Waarborg
    times, results = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = index.search(q[None, :], a.k)
        times.append((time.perf_counter() - t) * 1e3)
        results.append(ids[0].tolist())
    t = time.perf_counter()
    _, batch_ids = index.search(queries, a.k)
    batch_s = time.perf_counter() - t
    assert batch_ids.tolist() == results, "FAISS batch and single searches disagree"
    s = sorted(times)
    pct = lambda x: s[round((len(s) - 1) * x)]
    print(json.dumps({
        "build_s": build_s,
        "per_query_ms": {"p50": pct(0.5), "p99": pct(0.99), "mean": sum(times) / len(times)},
        "batch_s": batch_s,
        "results": results,
        "threads": a.threads,
        "bytes_scanned_per_query": int(base.nbytes),
    }))


if __name__ == "__main__":
    main()
