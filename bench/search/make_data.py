#!/usr/bin/env python3
"""Writes the search benchmark's data as TEXMEX .fvecs: N random unit vectors (the base)
and Q queries near base vectors (each a base vector plus noise, renormalised; a "mate"
at cosine about 0.7 - 0.9, like a second photo of the same person).

    make_data.py OUT_DIR [--n 1000000] [--queries 100] [--dim 512] [--seed 1]
"""
import argparse
import pathlib

import numpy as np


def write_fvecs(path, x):
    n, d = x.shape
    out = np.empty((n, d + 1), dtype=np.float32)
    out[:, 0] = np.array([d], dtype=np.int32).view(np.float32)[0]
    out[:, 1:] = x
    out.tofile(path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    base = np.empty((a.n, a.dim), dtype=np.float32)
    for s in range(0, a.n, 100_000):
        block = rng.standard_normal((min(100_000, a.n - s), a.dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        base[s : s + len(block)] = block
    mates = rng.integers(0, a.n, a.queries)
    noise = rng.standard_normal((a.queries, a.dim), dtype=np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    mix = rng.uniform(0.5, 1.0, (a.queries, 1)).astype(np.float32)
    q = base[mates] + mix * noise
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    write_fvecs(out / "base.fvecs", base)
    write_fvecs(out / "queries.fvecs", q.astype(np.float32))
    np.save(out / "mates.npy", mates)
    print(f"wrote {a.n} base vectors and {a.queries} queries to {out}")


if __name__ == "__main__":
    main()
