#!/usr/bin/env python3
"""The reference pipeline's throughput: insightface FaceAnalysis (SCRFD-500M + w600k_mbf,
det_size 640x640, onnxruntime CPU) over the same images, rounds and thread count as
`waarborg bench face`. Prints one JSON object.

usage: insightface_bench.py --threads T --rounds R IMAGE...
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import onnxruntime
from insightface.app import FaceAnalysis

MODELS = ("scrfd_500m_bnkps.onnx", "w600k_mbf.onnx")


def model_cache() -> Path:
    env = os.environ.get("WAARBORG_MODELS")
    if env:
        return Path(env)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "waarborg" / "models"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("images", nargs="+")
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    so = onnxruntime.SessionOptions()
    so.intra_op_num_threads = args.threads
    with tempfile.TemporaryDirectory() as tmp:
        for m in MODELS:
            shutil.copy(model_cache() / "models" / m, Path(tmp) / m)
        app = FaceAnalysis(
            name=tmp,
            providers=["CPUExecutionProvider"],
            allowed_modules=["detection", "recognition"],
            sess_options=so,
        )
        app.prepare(ctx_id=-1, det_thresh=0.5, det_size=(640, 640))
        for path in args.images:  # warm-up round
            app.get(cv2.imread(path))
        faces = 0
        started = time.perf_counter()
        for _ in range(args.rounds):
            for path in args.images:
                faces += len(app.get(cv2.imread(path)))
        elapsed = time.perf_counter() - started
    images = len(args.images) * args.rounds
    print(json.dumps({
        "images": images,
        "faces": faces,
        "threads": args.threads,
        "pipeline_s": elapsed,
        "pipeline_images_per_s": images / elapsed,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
