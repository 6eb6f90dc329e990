"""Run an untrusted model in a child process with memory, CPU-time and wall-clock limits (ml/model_probe.py).

Whatever the model does to the child (a crash in the runtime, a tensor that exhausts memory, a graph that runs
for minutes), the parent only reads the child's report and its exit status: every outcome is a ProbeOutcome,
never an exception. The child gets a bare environment (no credentials, no secrets), its own session, and the
limits from the settings (MODEL_VALIDATION_MEMORY_MB, MODEL_VALIDATION_CPU_SECONDS, MODEL_VALIDATION_TIMEOUT).
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

from ..config import Settings

__all__ = ["ProbeOutcome", "probe_model", "STAGES"]

STAGES = ("loads", "outputs", "latency")
PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2]  # the folder holding fruitclf/
LATENCY_RUNS = 24  # three timed runs of each of the eight generated images
STDERR_TAIL = 2000
# What a runtime prints when an allocation fails under RLIMIT_AS (C++ new, malloc, TFLite's arena).
MEMORY_SIGNS = ("bad_alloc", "cannot allocate memory", "out of memory", "failed to allocate", "memoryerror")


@dataclass
class ProbeOutcome:
    results: dict[str, dict] = field(default_factory=dict)  # stage -> what the child measured
    failed_stage: str | None = None  # the stage that failed or killed the child
    reason: str = ""  # why, in words (the child's error, or how it died)
    wall_s: float = 0.0


def _child_env() -> dict:
    # No inherited variables: the model never sees a credential, a token or an emulator address.
    return {
        "PATH": os.defpath,
        "PYTHONPATH": str(PACKAGE_ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "LANG": "C.UTF-8",
    }


def _death(returncode: int, timed_out: bool, stderr_tail: str, settings: Settings) -> str:
    if timed_out:
        return f"stopped at the {settings.model_validation_timeout_s:g} s wall-clock limit (MODEL_VALIDATION_TIMEOUT)"
    if returncode == -signal.SIGXCPU:
        return f"used up its {settings.model_validation_cpu_s} s of CPU time (MODEL_VALIDATION_CPU_SECONDS)"
    if returncode == -signal.SIGKILL:  # nothing here sends it but the CPU hard limit and the kernel's OOM killer
        return (
            f"was killed: past its {settings.model_validation_cpu_s} s of CPU time (MODEL_VALIDATION_CPU_SECONDS), "
            "or the machine ran out of memory"
        )
    if any(sign in stderr_tail.lower() for sign in MEMORY_SIGNS):
        return f"ran out of its {settings.model_validation_memory_mb} MB of memory (MODEL_VALIDATION_MEMORY_MB)"
    if returncode == -signal.SIGXFSZ:
        return "printed more than the validation allows"
    if returncode < 0:
        return f"crashed the runtime ({signal.Signals(-returncode).name})"
    last = stderr_tail.strip().splitlines()[-1:] or ["no message"]
    return f"the validation process ended with status {returncode} ({last[0][:300]})"


def _read_report(stdout: bytes) -> list[dict]:
    lines = []
    for raw in stdout.decode("utf-8", "replace").splitlines():
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(line, dict):
            lines.append(line)
    return lines


def probe_model(model_path: pathlib.Path, preprocessing: dict, settings: Settings, image_paths=()) -> ProbeOutcome:
    """Load, run and time the model at model_path in a limited child process."""
    request = {
        "model_path": str(model_path),
        "preprocessing": preprocessing,
        "image_paths": [str(p) for p in image_paths],
        "memory_mb": settings.model_validation_memory_mb,
        "cpu_s": settings.model_validation_cpu_s,
        "latency_runs": LATENCY_RUNS,
    }
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "fruitclf.ml.model_probe"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=PACKAGE_ROOT,
            env=_child_env(),
            start_new_session=True,
        )
        timed_out = False
        try:
            stdout, _ = child.communicate(json.dumps(request).encode(), timeout=settings.model_validation_timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            child.kill()
            stdout, _ = child.communicate()
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - STDERR_TAIL))
        stderr_tail = stderr.read().decode("utf-8", "replace")
    outcome = ProbeOutcome(wall_s=round(time.monotonic() - t0, 3))
    started = None
    for line in _read_report(stdout):
        stage = line.get("stage")
        if stage not in STAGES:
            continue
        if "result" in line:
            outcome.results[stage] = line["result"]
        elif "error" in line:
            outcome.failed_stage = stage
            outcome.reason = (
                f"ran out of its {settings.model_validation_memory_mb} MB of memory (MODEL_VALIDATION_MEMORY_MB)"
                if line.get("memory")
                else line["error"]
            )
            return outcome
        else:
            started = stage
    if len(outcome.results) < len(STAGES):
        outcome.failed_stage = started or STAGES[0]
        outcome.reason = _death(child.returncode, timed_out, stderr_tail, settings)
    return outcome
