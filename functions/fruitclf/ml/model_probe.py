"""The child process that runs an untrusted model: ``python -m fruitclf.ml.model_probe`` (ml/model_sandbox.py
starts it; nothing else should).

It reads one JSON request on stdin, puts its own resource limits on before touching the model (address space,
CPU seconds, no core files, small files only), then loads the model on the serving runtime at one thread, runs it
on the validation images and times it. It reports on its stdout, one JSON line per stage: ``{"stage": s}`` when a
stage starts, then ``{"stage": s, "result": {...}}`` or ``{"stage": s, "error": "..."}``. So when the process dies
(a crash, a limit's signal) the parent knows which stage killed it. It measures and never judges: the checks
are the parent's (ml/model_checks.py).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from typing import Any

STDERR_MAX_BYTES = 1 << 20  # RLIMIT_FSIZE: stderr goes to a file, which a chatty model must not fill


def _limit(memory_mb: int, cpu_s: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    # SIGXCPU at the soft limit ends the process; the hard limit (SIGKILL) is the backstop.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (STDERR_MAX_BYTES, STDERR_MAX_BYTES))


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


class Probe:
    def __init__(self, request: dict):
        self.request = request
        self.interpreter: Any = None  # the runtime's Interpreter, once loaded
        self.inputs: list = []

    def loads(self) -> dict:
        import numpy as np

        from .model import _interpreter_class

        interpreter_class = _interpreter_class()
        t0 = time.perf_counter()
        self.interpreter = interpreter_class(model_path=self.request["model_path"], num_threads=1)
        self.interpreter.allocate_tensors()
        load_ms = (time.perf_counter() - t0) * 1000

        def described(details):
            return [{"shape": [int(d) for d in t["shape"]], "dtype": np.dtype(t["dtype"]).name} for t in details]

        return {
            "runtime": interpreter_class.__module__.split(".")[0],
            "load_ms": round(load_ms, 2),
            "inputs": described(self.interpreter.get_input_details()),
            "outputs": described(self.interpreter.get_output_details()),
        }

    def _run(self, x):
        interpreter = self.interpreter
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])

    def outputs(self) -> dict:
        from . import preprocess
        from .synthetic_images import validation_images

        generated = validation_images()
        spec = self.request["preprocessing"]
        # The generated images' inputs are kept for the latency runs; the caller's photos (up to an org's
        # MODEL_ACCURACY_PHOTOS) are decoded one at a time, so their number never weighs on the memory limit.
        self.inputs = [preprocess.spec_input(img, spec) for _, img in generated]
        names, vectors = [name for name, _ in generated], [self._vector(x) for x in self.inputs]
        for path in self.request.get("image_paths", []):
            names.append(path)
            vectors.append(self._vector(preprocess.spec_input(preprocess.load_rgb(path), spec)))
        return {"images": names, "vectors": vectors}

    def _vector(self, x) -> list[float]:
        return [float(v) for v in self._run(x).reshape(-1)]

    def latency(self) -> dict:
        runs_ms = []
        for i in range(self.request["latency_runs"]):
            t0 = time.perf_counter()
            self._run(self.inputs[i % len(self.inputs)])
            runs_ms.append(round((time.perf_counter() - t0) * 1000, 3))
        return {"runs_ms": runs_ms}


def main() -> int:
    request = json.loads(sys.stdin.read())
    _limit(request["memory_mb"], request["cpu_s"])
    report = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever the runtime prints goes to stderr, never among the results

    def emit(**line) -> None:
        report.write(json.dumps(line) + "\n")
        report.flush()

    probe = Probe(request)
    for stage in ("loads", "outputs", "latency"):
        emit(stage=stage)
        t0 = time.perf_counter()
        try:
            result = getattr(probe, stage)()
        except MemoryError:
            emit(stage=stage, error="out of memory", memory=True)
            return 0
        except Exception as e:  # the model's fault, whatever the runtime raised: reported, not raised
            emit(stage=stage, error=f"{type(e).__name__}: {e}"[:500])
            return 0
        stage_ms = round((time.perf_counter() - t0) * 1000, 2)
        emit(stage=stage, result={**result, "stage_ms": stage_ms, "peak_rss_mb": _peak_rss_mb()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
