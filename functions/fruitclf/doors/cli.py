"""Command line: ``python -m fruitclf {classify,evaluate,bench,validate-model,models}`` (run from functions/ with
functions/venv)."""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time

from . import admin_cli


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cmd_classify(args) -> int:
    from ..ml import model, preprocess

    clf = model.get_classifier(args.model)
    results, rc = [], 0
    for path in args.images:
        try:
            p = clf.classify(preprocess.load_rgb(path), k=args.k)
            results.append({"image": path, **p.to_dict()})
        except (preprocess.ImageDecodeError, OSError) as e:
            results.append({"image": path, "error": str(e)})
            rc = 1
    if args.json:
        out = {"model_id": clf.model_id, "results": results, "peak_rss_mb": round(_peak_rss_mb(), 1)}
        print(json.dumps(out))
    else:
        for r in results:
            if "error" in r:
                print(f"{r['image']}: ERROR {r['error']}")
                continue
            verdict = "not a fruit (abstained)" if r["abstained"] else r["label"]
            print(f"{r['image']}: {verdict}")
            for t in r["topk"]:
                print(f"    {t['label']:<16} {t['p'] * 100:6.2f}%")
    return rc


def cmd_evaluate(args) -> int:
    from ..ml import evaluate

    root = pathlib.Path(args.dir)
    if not root.is_dir():
        print(f"not a folder: {root}", file=sys.stderr)
        return 2
    res = evaluate.evaluate_dir(root, args.model, args.limit)
    if args.json:
        print(json.dumps(res))
    else:
        print(
            f"{res['dir']}: n={res['n']} top1={res['top1']:.4f} top3={res['top3']:.4f} "
            f"abstain_rate={res['abstain_rate']:.4f} ece={res['ece']}"
        )
        for name, s in sorted(res["per_label"].items()):
            print(
                f"  {name:<16} n={s['n']:<5} top1={s['top1']:.3f} top3={s['top3']:.3f} abstain={s['abstain_rate']:.3f} {s['confused_with']}"
            )
        for u in res["unreadable"]:
            print(f"  UNREADABLE {u['file']}: {u['reason']}")
    return 0


def _synthetic_photo(w=1024, h=768) -> bytes:
    """A smooth, photo-like 1024x768 JPEG (gradients + shapes), deterministic."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    a = np.stack([128 + 100 * np.sin(x / 97.0), 128 + 90 * np.cos(y / 71.0), 128 + 80 * np.sin((x + y) / 150.0)], -1)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    rng = np.random.default_rng(0)
    for _ in range(40):
        cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(20, 120))
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    img = img.filter(ImageFilter.GaussianBlur(1.5))
    noise = rng.normal(0, 4, (h, w, 3))
    img = Image.fromarray(np.clip(np.asarray(img, dtype=np.float32) + noise, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _pcts(xs, rounds: int = 5):
    """p50/p95/mean over all runs, plus the lowest median of `rounds` consecutive slices of the runs.

    These shared machines are noisy (the same code measured 5.0 and 7.8 ms p50 ten minutes apart), so the
    best slice tells what the code costs when nothing else runs; p50 tells what a caller saw this time.
    """
    n = max(1, len(xs) // rounds)
    slices = [xs[i : i + n] for i in range(0, len(xs) - n + 1, n)]
    xs = sorted(xs)
    return {
        "p50": round(statistics.median(xs), 3),
        "p95": round(xs[min(len(xs) - 1, int(0.95 * len(xs)))], 3),
        "mean": round(sum(xs) / len(xs), 3),
        "best_slice_p50": round(min(statistics.median(s) for s in slices), 3),
    }


def _timed_ms(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def cmd_bench(args) -> int:

    from ..ml import model, preprocess

    # 1. cold process: import + load + preprocess + first inference, and classify's peak RSS, in a fresh interpreter
    jpeg = pathlib.Path(args.image).read_bytes() if args.image else _synthetic_photo()
    tmp = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / f"fruitclf-bench-{os.getpid()}.jpg"
    tmp.write_bytes(jpeg)
    code = (
        "import time, json, resource; t0 = time.perf_counter(); from fruitclf.ml import model, preprocess; "
        f"c = model.get_classifier({args.model!r}); t1 = time.perf_counter(); c.load(); t2 = time.perf_counter(); "
        f"p = c.classify(preprocess.load_rgb({str(tmp)!r})); t3 = time.perf_counter(); "
        "print(json.dumps({'import_ms': (t1-t0)*1e3, 'load_ms': (t2-t1)*1e3, 'first_classify_ms': (t3-t2)*1e3, "
        "'cold_total_ms': (t3-t0)*1e3, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))"
    )
    cold_runs = []
    pkg_root = str(pathlib.Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=pkg_root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for _ in range(args.cold_runs):
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=pkg_root)
        wall = (time.perf_counter() - t0) * 1000
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            return 1
        d = json.loads(r.stdout.strip().splitlines()[-1])
        d["process_wall_ms"] = wall
        cold_runs.append(d)
    tmp.unlink(missing_ok=True)
    cold = {k: round(statistics.median(d[k] for d in cold_runs), 2) for k in cold_runs[0]}

    # 2. preprocessing of a 1024x768 JPEG (decode with draft + EXIF + crop/resize + normalise)
    for _ in range(5):
        preprocess.to_input(preprocess.load_rgb(jpeg))
    pre = _timed_ms(lambda: preprocess.to_input(preprocess.load_rgb(jpeg)), args.runs)

    # 3. inference latency at 1 and 2 threads
    x = preprocess.to_input(preprocess.load_rgb(jpeg))
    infer = {}
    loads = {}
    for threads in (1, 2):
        c = model.Classifier(model.get_classifier(args.model).model_id, num_threads=threads)
        t0 = time.perf_counter()
        c.load()
        loads[threads] = round((time.perf_counter() - t0) * 1000, 2)
        for _ in range(10):
            c.predict_array(x)
        infer[f"{threads}_thread"] = _pcts(_timed_ms(lambda c=c: c.predict_array(x), args.runs))
    clf = model.get_classifier(args.model)
    res = {
        "model_id": clf.model_id,
        "model_bytes": (clf.path / "model.tflite").stat().st_size,
        "runtime": model._interpreter_class().__module__,
        "image": args.image or "synthetic 1024x768 JPEG (quality 90)",
        "runs": args.runs,
        "cold_process": cold,
        "model_load_ms": loads,
        "preprocess_1024x768_jpeg_ms": _pcts(pre),
        "inference_ms": infer,
        "bench_process_peak_rss_mb": round(_peak_rss_mb(), 1),
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),  # > ~0.5 means other work shared the cores
    }
    if args.json:
        print(json.dumps(res))
    else:
        print(json.dumps(res, indent=2))
    return 0


def cmd_models(args) -> int:
    from ..ml import model

    d = {"models_dir": str(model.models_dir()), "default": None, "models": model.available_models()}
    try:
        d["default"] = model.default_model_id()
    except KeyError:
        pass
    print(json.dumps(d, indent=2))
    return 0


def cmd_validate_model(args) -> int:
    """Exit 0 when the model is ready, 1 when it is rejected, 2 when the labels or card file cannot be read."""
    from ..ml import model, model_validation

    try:
        labels = model.labels_from_text(pathlib.Path(args.labels).read_text(encoding="utf-8"))
        card = json.loads(pathlib.Path(args.card).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        print(f"validate-model: cannot read the labels or the card: {e}", file=sys.stderr)
        return 2
    try:
        report = model_validation.validate_model(args.file, labels, card, images=args.images)
    except OSError as e:
        print(f"validate-model: cannot read {args.file}: {e.strerror or e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(f"{args.file}: {report.status}")
        for check in report.checks:
            print(f"  {check.status.upper():<8} {check.name:<14} {check.detail}")
    return 0 if report.ready else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fruitclf", description="Fruit classifier (TFLite) command line")
    ap.add_argument("--model", default=None, help="model id (default: models/DEFAULT)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("classify", help="top-k labels for each image")
    p.add_argument("images", nargs="+")
    p.add_argument("-k", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_classify)
    p = sub.add_parser("evaluate", help="accuracy over DIR/<label>/<image> (folder not_fruit expects abstain)")
    p.add_argument("dir")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=None, help="at most this many images per label")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("bench", help="load time, inference p50/p95 (1 and 2 threads), preprocessing, RSS")
    p.add_argument("--json", action="store_true")
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--cold-runs", type=int, default=3)
    p.add_argument("--image", default=None, help="JPEG to use for preprocessing timing (default: synthetic 1024x768)")
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("validate-model", help="every check an organisation's own .tflite must pass (docs/models.md)")
    p.add_argument("file", help="the .tflite file")
    p.add_argument("--labels", required=True, help="labels.txt: one label a line, in the model's output order")
    p.add_argument("--card", required=True, help="model_card.json: preprocessing, abstain_threshold, output.kind")
    p.add_argument("--images", nargs="*", default=[], help="image files to run it on besides the generated ones")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate_model)
    p = sub.add_parser("models", help="list installed models")
    p.set_defaults(func=cmd_models)
    for sp in sub.choices.values():  # allow --model after the subcommand too
        sp.add_argument("--model", default=argparse.SUPPRESS, help="model id (default: models/DEFAULT)")
    admin_cli.register(sub)  # operator commands (organisations); they take no --model
    sub.choices["admin"].set_defaults(func=admin_cli.run)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
