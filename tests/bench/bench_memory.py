"""Peak memory of the classify pipeline for the worst images the API accepts (issue 10: bounded memory).

    .venv/bin/python tests/bench/bench_memory.py [--pixels N] [--concurrency 8] [--json]

Each case runs in a fresh process that first loads what the function loads (the Flask app, the Firebase client
libraries, the model) and classifies one ordinary photo, so its resident set is the function's baseline. Then
`concurrency` threads each put one worst-case image through the exact path of a classify request
(ml.images.prepare: validation, decode, stored JPEG, model input; then the model) at the same moment, and the
process's peak resident set size (VmHWM) is reported. The images are tiny files that decode into the most
memory per format and bit depth, at the pixel limit (MAX_IMAGE_PIXELS); they are generated, then cached in
.cache/bench-images/. The target: the peak stays below 70% of the function's memory (1 GiB), with room left for
the request bodies themselves (`concurrency` x MAX_UPLOAD_SIZE, added to the reported total).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import resource
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "functions"))

FUNCTION_MEMORY_MB = 1024
TARGET_SHARE = 0.70


def _dims(pixels: int) -> tuple[int, int]:
    width = int(math.sqrt(pixels * 4 / 3))
    return width, pixels // width


def _png_rgba16(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor, parts = zlib.compressobj(9), []
    row = b"\x00" + b"\x80\x00\x20\x00\x10\x00\x80\x00" * width
    for _ in range(height):
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def make_image(kind: str, pixels: int) -> bytes:
    """One worst case of `kind` with `pixels` pixels (4:3)."""
    from PIL import Image

    width, height = _dims(pixels)
    out = io.BytesIO()
    if kind == "png-grey16":
        Image.new("I;16", (width, height), 40000).save(out, "PNG")
    elif kind == "png-rgba":
        Image.new("RGBA", (width, height), (200, 30, 30, 128)).save(out, "PNG")
    elif kind == "png-rgba16":
        return _png_rgba16(width, height)
    elif kind == "webp-rgba-lossless":
        Image.new("RGBA", (width, height), (20, 200, 20, 100)).save(out, "WEBP", lossless=True)
    elif kind == "webp-lossy":
        Image.new("RGB", (width, height), (20, 200, 20)).save(out, "WEBP", quality=10)
    elif kind == "jpeg-progressive-444":
        Image.new("RGB", (width, height), (120, 80, 40)).save(out, "JPEG", progressive=True, subsampling=0, quality=50)
    elif kind == "jpeg-cmyk":
        Image.new("CMYK", (width, height), (10, 20, 30, 40)).save(out, "JPEG", quality=50)
    elif kind == "mpo-two-pictures":
        first, second = Image.new("RGB", (width, height), (120, 80, 40)), Image.new("RGB", (width, height), (4, 8, 12))
        first.save(out, "MPO", save_all=True, append_images=[second], quality=50)
    elif kind == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
        Image.new("RGB", (width, height), (200, 200, 20)).save(out, "HEIF", quality=10)
    else:
        raise KeyError(kind)
    return out.getvalue()


KINDS = (
    "png-grey16",
    "png-rgba",
    "png-rgba16",
    "webp-rgba-lossless",
    "webp-lossy",
    "jpeg-progressive-444",
    "jpeg-cmyk",
    "mpo-two-pictures",
    "heic",
)


def cached_image(kind: str, pixels: int) -> Path:
    path = ROOT / ".cache" / "bench-images" / f"{kind}-{pixels}.bin"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_image(kind, pixels))
    return path


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; unlike ru_maxrss it does not inherit the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(image_path: str, concurrency: int) -> None:
    """Runs in a fresh process: the function's baseline, then `concurrency` simultaneous worst cases."""
    import firebase_admin.auth  # noqa: F401 - the function's libraries, for a realistic baseline
    import google.cloud.firestore  # noqa: F401
    import google.cloud.storage  # noqa: F401
    from PIL import Image

    from fruitclf.config import settings
    from fruitclf.errors import ApiError
    from fruitclf.ml import images
    from fruitclf.ml.model import get_classifier
    from fruitclf.web.app import create_app

    create_app()
    cfg = settings()
    classifier = get_classifier()

    def classify(data: bytes) -> str:
        try:
            prepared = images.prepare(data, cfg.max_upload_size, cfg.max_image_pixels, classifier.preprocessing)
        except ApiError as exc:
            return f"{exc.status} {exc.code}"
        classifier.classify(prepared.model_input)
        return "ok"

    photo = io.BytesIO()
    Image.effect_noise((1024, 768), 40).convert("RGB").save(photo, "JPEG")
    classify(photo.getvalue())
    baseline = _peak_rss_mb()
    data = Path(image_path).read_bytes()
    outcomes: list[str] = []
    start = threading.Barrier(concurrency)

    def worker() -> None:
        start.wait()
        outcomes.append(classify(data))

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "baseline_mb": round(baseline),
                "peak_mb": round(_peak_rss_mb()),
                "outcomes": sorted(set(outcomes)),
                "seconds": round(time.perf_counter() - began, 2),
            }
        )
    )


def run_case(kind: str, pixels: int, concurrency: int) -> dict:
    path = cached_image(kind, pixels)
    env = dict(os.environ, MAX_IMAGE_PIXELS=str(pixels))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--concurrency", str(concurrency)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind}: the measuring process failed:\n{done.stderr[-3000:]}")
    return {
        "kind": kind,
        "file_bytes": path.stat().st_size,
        "concurrency": concurrency,
        **json.loads(done.stdout.splitlines()[-1]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pixels", type=int, help="the pixel limit to test at (default: the configured MAX_IMAGE_PIXELS)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="simultaneous requests (the function's concurrency)")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.concurrency)
        return 0

    from fruitclf.config import settings

    cfg = settings()
    pixels = args.pixels or cfg.max_image_pixels
    rows = []
    for kind in args.kinds.split(","):
        for concurrency in (1, args.concurrency):
            rows.append(run_case(kind, pixels, concurrency))
            if not args.json:
                row = rows[-1]
                print(
                    f"{kind:<22} x{concurrency:<2} {row['file_bytes']:>9} B  baseline {row['baseline_mb']:>4} MB  "
                    f"peak {row['peak_mb']:>5} MB  {row['seconds']:>6} s  {', '.join(row['outcomes'])}",
                    flush=True,
                )
    worst = max(rows, key=lambda row: row["peak_mb"])
    bodies_mb = args.concurrency * cfg.max_upload_size / 2**20
    summary = {
        "pixel_limit": pixels,
        "concurrency": args.concurrency,
        "worst_case": f"{worst['kind']} x{worst['concurrency']}",
        "peak_mb": worst["peak_mb"],
        "request_bodies_mb": round(bodies_mb),
        "total_mb": round(worst["peak_mb"] + bodies_mb),
        "target_mb": round(FUNCTION_MEMORY_MB * TARGET_SHARE),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    summary["within_target"] = summary["total_mb"] < summary["target_mb"]
    print(json.dumps({"cases": rows, "summary": summary} if args.json else summary, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
