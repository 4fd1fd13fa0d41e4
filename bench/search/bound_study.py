#!/usr/bin/env python3
"""Can a smaller first pass than int8 prune an exact search? (issue 24 item 2)

For each data set and query this counts the rows whose proven upper bound can still reach
the K-th best proven lower bound, for first passes of 8, 4 and 1 bit per value. Only those
rows would go on to the int8 and f32 passes, so the fraction that survives decides whether
a smaller first pass is faster: a 4-bit pass reads half the bytes of the int8 scan, and
each survivor costs a random read of its int8 codes (and a cache miss) afterwards.

Bounds (x a stored template, y the query, both unit vectors; x = s·q + e):
  * int8 as the index does it: |x·y − s·t·(q·p)| ≤ ‖e‖·‖y‖ + ‖s·q‖·‖f‖ (query quantised too);
  * b-bit codes against the f32 query (the tightest Cauchy–Schwarz form):
    |x·y − s·(q·y)| ≤ min(‖e‖, max|eᵢ|·‖y‖₁) with the row's own ‖e‖;
  * 1 bit: x ≈ s·sign(x) with s = mean|xᵢ|, the same bound.

Data sets: random unit vectors (as bench/search uses), and real face templates (the JSON
of `waarborg face analyze --json` on the sample photos) with synthetic neighbours, in a
gallery of unrelated people whose values have the real templates' distribution.

    bound_study.py [--n 1000000] [--queries 20] [--k 50] [--templates FILE.json]
"""
import argparse
import json

import numpy as np

DIM = 512


def unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def quantise(x, bits):
    """Codes, scale per row, error norm per row, max |error| per row."""
    if bits == 1:
        s = np.abs(x).mean(axis=1, keepdims=True)
        q = np.where(x >= 0, 1.0, -1.0).astype(np.float32)
    else:
        top = 2 ** (bits - 1) - 1
        s = np.abs(x).max(axis=1, keepdims=True) / top
        q = np.clip(np.round(x / s), -top, top)
    hat = s * q
    e = x - hat
    return hat.astype(np.float32), np.linalg.norm(e, axis=1), np.abs(e).max(axis=1), np.linalg.norm(hat, axis=1)


def survivors(approx, bound, k):
    """Rows whose upper bound reaches the K-th best lower bound."""
    low = approx - bound
    cut = np.partition(low, -k)[-k]
    return int((approx + bound >= cut).sum())


def study(name, base, queries, k, chunk=200_000):
    n, nq = len(base), len(queries)
    passes = ("int8 (index)", "4-bit", "1-bit")
    approx = {key: np.empty((nq, n), dtype=np.float32) for key in passes}
    err = {key: np.empty(n, dtype=np.float32) for key in passes[1:]}
    emax = {key: np.empty(n, dtype=np.float32) for key in passes[1:]}
    qhat8, qerr8, _, _ = quantise(queries, 8)
    err8_max, hat8_max = 0.0, 0.0
    for s in range(0, n, chunk):
        x = base[s:s + chunk]
        rows = slice(s, s + len(x))
        hat8, err8, _, hatn8 = quantise(x, 8)
        err8_max, hat8_max = max(err8_max, err8.max()), max(hat8_max, hatn8.max())
        approx["int8 (index)"][:, rows] = qhat8 @ hat8.T
        for key, bits in (("4-bit", 4), ("1-bit", 1)):
            hat, e, m, _ = quantise(x, bits)
            approx[key][:, rows] = queries @ hat.T
            err[key][rows], emax[key][rows] = e, m
    l1 = np.abs(queries).sum(axis=1)
    counts = {key: [] for key in passes}
    for i in range(nq):
        counts["int8 (index)"].append(survivors(approx["int8 (index)"][i], err8_max + hat8_max * qerr8[i], k))
        for key in passes[1:]:
            counts[key].append(survivors(approx[key][i], np.minimum(err[key], emax[key] * l1[i]), k))
    kth = np.sort(queries @ base.T, axis=1)[:, -k]
    print(f"\n{name}: {n} templates, {nq} queries, K = {k}; K-th best score: median {np.median(kth):.3f}")
    print(f"  median max|x| {np.median(np.abs(base[:10000]).max(axis=1)):.3f}; median 4-bit error norm {np.median(err['4-bit']):.3f}, 1-bit {np.median(err['1-bit']):.3f}")
    for key, c in counts.items():
        c = np.array(c)
        print(f"  {key:14s} rows surviving the first pass: median {np.median(c):10.0f} ({np.median(c) / n:8.4%}), max {c.max():10d}")
    return counts


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=20)
    p.add_argument("--k", type=int, default=50)
    p.add_argument("--templates", help="JSON of `waarborg face analyze --json`")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)

    base = unit(rng.standard_normal((a.n, DIM), dtype=np.float32))
    mates = rng.integers(0, a.n, a.queries)
    noise = unit(rng.standard_normal((a.queries, DIM), dtype=np.float32))
    queries = unit(base[mates] + rng.uniform(0.5, 1.0, (a.queries, 1)).astype(np.float32) * noise)
    study("random unit vectors", base, queries.astype(np.float32), a.k)
    del base

    if a.templates:
        faces = json.load(open(a.templates))
        real = np.array([f["embedding"] for img in faces for f in img.get("faces", []) if f.get("embedding")], dtype=np.float32)
        real = unit(real)
        print(f"\n{len(real)} real templates from the sample set")
        # The gallery: unrelated people whose values have the real templates' distribution
        # (a real template with its dimensions shuffled and signs flipped at random), the
        # real templates themselves, and 5 synthetic neighbours of each (cosine 0.4–0.8:
        # other photos of the same person). Queries: each real template moved to cosine
        # about 0.8, so its mates are the real template and its neighbours.
        base = np.empty((a.n, DIM), dtype=np.float32)
        for s in range(0, a.n, 100_000):
            m = min(100_000, a.n - s)
            src = real[rng.integers(0, len(real), m)]
            perm = np.argsort(rng.random((m, DIM)), axis=1)
            signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), (m, DIM))
            base[s:s + m] = np.take_along_axis(src, perm, axis=1) * signs

        def near(v, cos):
            noise = real[rng.integers(0, len(real), len(v))]
            noise = np.take_along_axis(noise, np.argsort(rng.random(noise.shape), axis=1), axis=1)
            noise = unit(noise - (noise * v).sum(1, keepdims=True) * v)
            return unit(cos * v + np.sqrt(1 - cos * cos) * noise).astype(np.float32)

        at = rng.choice(a.n, len(real) * 6, replace=False)
        base[at[:len(real)]] = real
        for j in range(5):
            cos = rng.uniform(0.4, 0.8, (len(real), 1)).astype(np.float32)
            base[at[len(real) * (j + 1):len(real) * (j + 2)]] = near(real, cos)
        queries = near(real[: a.queries], np.full((min(a.queries, len(real)), 1), 0.8, dtype=np.float32))
        study("real templates with synthetic neighbours", base, queries, a.k)


if __name__ == "__main__":
    main()
