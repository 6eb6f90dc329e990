"""Validate an organisation's own model: ``validate_model(model, labels, card, settings) -> ValidationReport``.

The one entry point for every door that accepts a model (the upload API, the admin CLI, the CLI's
``validate-model``, the validation function). It never raises on a bad model: every outcome is a report listing
each check (ml/model_checks.py) with its result, and a status, "ready" or "rejected" with reasons. The static
checks read the labels, the card and the flatbuffer in this process (pure Python, bounded work); only when they
all pass is the model loaded and run, and then only in a limited child process (ml/model_sandbox.py), so a
model that crashes or exhausts the runtime takes nothing down but that child. Never call this inside the
serving instance: the child's memory limit comes on top of the caller's own.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
import time
from dataclasses import dataclass, field

from ..config import Settings
from ..config import settings as current_settings
from . import model_checks as checks
from .model_checks import Check
from .model_file import ModelFileError, read_model_file
from .model_sandbox import STAGES, probe_model

__all__ = ["ValidationReport", "validate_model"]

READY, REJECTED = "ready", "rejected"


@dataclass(frozen=True)
class ValidationReport:
    status: str  # READY or REJECTED
    checks: tuple[checks.Check, ...]
    reasons: tuple[str, ...]  # "<check>: <detail>" for each failed check
    figures: dict = field(default_factory=dict)  # time per check (ms), the child's wall time and peak memory
    # The model's output vector for each of the caller's `images` (by the path given), when it ran on them.
    image_outputs: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.status == READY

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "reasons": list(self.reasons),
            "checks": [c.to_dict() for c in self.checks],
            "figures": dict(self.figures),
        }


def _model_bytes(model: bytes | str | os.PathLike, max_bytes: int) -> tuple[int, bytes | None]:
    """(size, bytes), the bytes only when within the limit: an oversize file is never read into memory."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
        return len(data), data
    path = pathlib.Path(model)
    size = path.stat().st_size
    return size, (path.read_bytes() if 0 < size <= max_bytes else None)


def _static_checks(data: bytes | None, size: int, labels, card, s: Settings, timings: dict):
    """(the static checks, the file's facts or None when it could not be read)."""
    spec = card.get("preprocessing") if isinstance(card, dict) else None
    sides = (s.model_input_side_min, s.model_input_side_max)
    done: list[checks.Check] = []

    def timed(run):
        t0 = time.perf_counter()
        check = run()
        timings[check.name] = round((time.perf_counter() - t0) * 1000, 3)
        done.append(check)
        return check

    size_check = timed(lambda: checks.check_size(size, s.model_max_bytes))
    timed(lambda: checks.check_labels(labels, s.model_max_labels, s.model_max_label_chars))
    timed(lambda: checks.check_card(card, labels))
    timed(lambda: checks.check_preprocessing(spec, *sides))
    file_checks = ("flatbuffer", "ops", "input", "output")
    if not size_check.passed or data is None:  # within the bounds the file was read (_model_bytes)
        return done + [checks.skipped(name, "the file's size is out of bounds") for name in file_checks], None
    facts = []

    def flatbuffer():
        try:
            facts.append(read_model_file(data))
            return checks.check_flatbuffer(facts[0], None)
        except ModelFileError as e:
            return checks.check_flatbuffer(None, str(e))

    if not timed(flatbuffer).passed:
        return done + [
            checks.skipped(name, "the file is not a readable TFLite model") for name in file_checks[1:]
        ], None
    timed(lambda: checks.check_ops(facts[0]))
    timed(lambda: checks.check_input(facts[0], spec, *sides))
    timed(lambda: checks.check_output(facts[0], labels))
    return done, facts[0]


def _runtime_checks(
    facts, data: bytes, card: dict, s: Settings, images, figures: dict, image_outputs: dict
) -> list[checks.Check]:
    """The loads, outputs and latency checks, from what the sandboxed child measured (its stages' times go in
    figures["check_ms"], its wall time and peak memory in figures, its outputs on `images` in image_outputs)."""
    timings = figures["check_ms"]
    with tempfile.TemporaryDirectory(prefix="fruitclf-model-") as tmp:
        path = pathlib.Path(tmp) / "model.tflite"
        path.write_bytes(data)
        outcome = probe_model(path, card["preprocessing"], s, images)
    figures["child_wall_s"] = outcome.wall_s
    figures["child_peak_rss_mb"] = max((r.get("peak_rss_mb", 0) for r in outcome.results.values()), default=None)
    if "outputs" in outcome.results:
        given = {str(p) for p in images}
        ran = outcome.results["outputs"]
        image_outputs.update((name, v) for name, v in zip(ran["images"], ran["vectors"], strict=True) if name in given)
    kind = card.get("output", {}).get("kind", "probabilities")
    judge = {
        "loads": lambda r: checks.check_loads(facts, r),
        "outputs": lambda r: checks.check_outputs(r["vectors"], kind, facts.outputs[0].quantization),
        "latency": lambda r: checks.check_latency(r["runs_ms"], s.model_latency_budget_ms),
    }
    done = []
    for stage in STAGES:
        if stage in outcome.results:
            timings[stage] = outcome.results[stage]["stage_ms"]
            done.append(judge[stage](outcome.results[stage]))
        elif stage == outcome.failed_stage:
            done.append(checks.failed(stage, outcome.reason))
        else:
            done.append(checks.skipped(stage, f"the model failed the {outcome.failed_stage} check"))
    return done


def validate_model(
    model: bytes | str | os.PathLike,
    labels: list[str],
    card: dict,
    settings: Settings | None = None,
    images=(),
) -> ValidationReport:
    """Every check on a candidate model (the .tflite as bytes or a path), its labels and its card. `images`:
    extra image files to run it on besides the generated ones (ml/synthetic_images.py)."""
    s = settings or current_settings()
    timings: dict[str, float] = {}
    figures: dict = {"check_ms": timings}
    image_outputs: dict[str, list[float]] = {}
    size, data = _model_bytes(model, s.model_max_bytes)
    done, facts = _static_checks(data, size, labels, card, s, timings)
    if data is not None and all(c.passed for c in done):
        done += _runtime_checks(facts, data, card, s, images, figures, image_outputs)
    else:
        first = next(c.name for c in done if not c.passed)
        done += [checks.skipped(stage, f"the {first} check failed; the model is not run") for stage in STAGES]
    failed = tuple(f"{c.name}: {c.detail}" for c in done if c.status == "failed")
    status = REJECTED if failed else READY
    return ValidationReport(status, tuple(done), failed, figures, image_outputs)
