"""Acceptance of an exported model: it must give the reference's answers on both runtimes the server and the
browser rely on, ai-edge-litert (this venv) and tflite-runtime 2.14 (the serving venv, functions/venv), and the two
must agree (a wrong kernel, as with dynamic-range int8 on tflite-runtime, shows up here)."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import numpy as np

from .progress import log
from .train_check import invoke_each

REPO = pathlib.Path(__file__).resolve().parents[1]
SERVING_PYTHON = REPO / "functions" / "venv" / "bin" / "python"


def agreement(out, ref) -> dict:
    return {
        "max_abs_diff": float(np.abs(out - ref).max()),
        "top1_agree": float((out.argmax(1) == ref.argmax(1)).mean()),
    }


def on_litert(model_path, inputs, threads: int):
    """The model's outputs for INPUTS on ai-edge-litert."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model_path), num_threads=threads)
    it.allocate_tensors()
    return invoke_each(it, inputs)


def on_tflite_runtime(model_path, x_path, ref_path, out_path=None) -> dict:
    """agreement() of the model on tflite-runtime with the saved reference, run in the serving venv (train_check)."""
    cmd = [str(SERVING_PYTHON), "-m", "training.train_check", str(model_path), str(x_path), str(ref_path)]
    r = subprocess.run(cmd + ([str(out_path)] if out_path else []), cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("tflite-runtime check failed to run:\n" + r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def check_export(model_path, x, ref, work: pathlib.Path, quant: str) -> dict:
    """The fine-tuned model vs PyTorch (REF for X): same top-1 on every check image, probabilities within the
    weight-quantisation noise, and the two runtimes within 1e-3 of each other; SystemExit otherwise."""
    np.save(work / "check_x.npy", x)
    np.save(work / "check_ref.npy", ref)
    lite = on_litert(model_path, x, threads=2)
    checks = {"ai_edge_litert": agreement(lite, ref)}
    if SERVING_PYTHON.exists():
        checks["tflite_runtime"] = on_tflite_runtime(
            model_path, work / "check_x.npy", work / "check_ref.npy", work / "check_tfrt.npy"
        )
        checks["tflite_runtime_vs_ai_edge_litert_max_abs_diff"] = float(
            np.abs(np.load(work / "check_tfrt.npy") - lite).max()
        )
    else:
        log("WARNING: functions/venv missing; tflite-runtime check skipped")
    log("runtime checks:", json.dumps(checks))
    tol = 0.05 if quant.startswith("wi8") else 1e-3
    for name in ("ai_edge_litert", "tflite_runtime"):
        c = checks.get(name)
        if c and (c["top1_agree"] < 1.0 or c["max_abs_diff"] > tol):
            raise SystemExit(f"REJECTED: {name} output differs from PyTorch: {c}")
    if checks.get("tflite_runtime_vs_ai_edge_litert_max_abs_diff", 0.0) > 1e-3:
        raise SystemExit(f"REJECTED: the two runtimes disagree: {checks}")
    return checks


def check_head_model(model_path: pathlib.Path, x, ref, work: pathlib.Path, threads: int) -> dict:
    """A model with a new head vs numpy (REF for X) on both runtimes: same top-1, within 1e-4; otherwise its
    folder is removed and SystemExit."""
    np.save(work / "head_check_x.npy", x)
    np.save(work / "head_check_ref.npy", ref)
    checks = {
        "ai_edge_litert": agreement(on_litert(model_path, x, threads), ref),
        "tflite_runtime": on_tflite_runtime(model_path, work / "head_check_x.npy", work / "head_check_ref.npy"),
    }
    log("runtime checks:", json.dumps(checks))
    for name, c in checks.items():
        if c["top1_agree"] < 1.0 or c["max_abs_diff"] > 1e-4:
            shutil.rmtree(model_path.parent)
            raise SystemExit(f"REJECTED: {name} differs from the numpy reference: {c}")
    return checks
