"""Each check an organisation's model must pass before it may serve, as a pure function returning a Check.

The static checks read the labels, the card and the file's declared facts (ml/model_file.py); the runtime checks
judge what the sandboxed child measured (ml/model_sandbox.py): they never run the model themselves. The list of
checks and the settings they follow is in docs/models.md ("Validation").
"""

from __future__ import annotations

import math
import statistics
import unicodedata
from dataclasses import dataclass, field
from typing import TypeGuard

from .model_file import CUSTOM_PREFIX, FLEX_PREFIX, ModelFacts

# Every check, in the order a report lists them.
CHECK_NAMES = (
    "size",
    "labels",
    "card",
    "preprocessing",
    "flatbuffer",
    "ops",
    "input",
    "output",
    "loads",
    "outputs",
    "latency",
)
INPUT_DTYPES = ("float32", "uint8")
OUTPUT_DTYPES = ("float32", "uint8", "int8")
OUTPUT_KINDS = ("probabilities", "logits")
# Characters a label may hold besides letters, digits and combining marks: labels reach the web app, URLs
# (/api/fruits/<label>), CSV exports and logs, so nothing that means something in any of them.
LABEL_PUNCTUATION = frozenset(" _-.'()")
PROBABILITY_SLACK = 1e-3  # a float32 softmax's values may stray this far outside [0, 1]
PROBABILITY_SUM_SLACK = 0.01  # ... and its sum this far from 1 (plus half a step per class when quantized)
CARD_NAME_CHARS = 100
CARD_NOTES_CHARS = 2000
READERS_CHARS = 2000

# The card's `preprocessing` object: every key the server and the browser follow, and the values each may take.
# Unknown keys are refused, since a key nobody reads would silently change nothing.
PREPROCESSING_KEYS = {
    "size": "an integer: the side of the square input, equal to the model's H and W",
    "mean": "a number or three (per RGB channel) subtracted from the 0-255 pixel values",
    "scale": "a number or three, non-zero, that the pixel values are divided by after the mean",
    "dtype": "float32 or uint8, the model input's type (uint8 takes raw pixels: mean 0, scale 1)",
    "color": "RGB",
    "layout": "NHWC",
    "crop": "center_square",
    "resize": "bilinear_antialias",
    "alpha_background": "[255, 255, 255]: transparent pixels are composited onto white",
    "exif_orientation": "true: the photo is turned as its EXIF orientation says",
    "jpeg_draft": "true or false",
    "readers": "free text: which code follows this object",
}
# What serving does whatever a card says (server and browser alike): a card asking otherwise is refused, not ignored.
_FIXED_VALUES = {
    "color": "RGB",
    "layout": "NHWC",
    "crop": "center_square",
    "resize": "bilinear_antialias",
    "alpha_background": [255, 255, 255],
    "exif_orientation": True,
}


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "passed", "failed" or "skipped" (not run because an earlier check failed)
    detail: str
    figures: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "passed": self.passed,
            "status": self.status,
            "detail": self.detail,
            "figures": dict(self.figures),
        }


def passed(name: str, detail: str, **figures) -> Check:
    return Check(name, "passed", detail, figures)


def failed(name: str, detail: str, **figures) -> Check:
    return Check(name, "failed", detail, figures)


def skipped(name: str, why: str) -> Check:
    return Check(name, "skipped", f"not run: {why}")


def _problems(name: str, problems: list[str], ok: str, **figures) -> Check:
    """Failed with the first few problems (and how many there were), or passed with `ok`."""
    if not problems:
        return passed(name, ok, **figures)
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return failed(name, "; ".join(problems[:3]) + more, **figures)


def _shown(value) -> str:
    """A value quoted for a report: repr escapes newlines and control characters; long ones are cut."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------------------------------------ static checks
def check_size(n_bytes: int, max_bytes: int) -> Check:
    figures = {"bytes": n_bytes, "max_bytes": max_bytes}
    if n_bytes == 0:
        return failed("size", "the file is empty", **figures)
    if n_bytes > max_bytes:
        return failed("size", f"{n_bytes} bytes: larger than the {max_bytes}-byte limit (MODEL_MAX_BYTES)", **figures)
    return passed("size", f"{n_bytes} bytes (limit {max_bytes})", **figures)


def _label_problem(label, max_chars: int) -> str | None:
    if not isinstance(label, str):
        return f"is a {type(label).__name__}, not text"
    if not label:
        return "is empty"
    if len(label) > max_chars:
        return f"is {len(label)} characters long; at most {max_chars} (MODEL_MAX_LABEL_CHARS)"
    if label != label.strip():
        return "starts or ends with white space"
    if not label.isprintable():
        return "holds a line break or another control character"
    odd = sorted(
        {c for c in label if c not in LABEL_PUNCTUATION and unicodedata.category(c)[0] not in "LNM"},
    )
    if odd:
        return f"holds {''.join(odd)!r}: only letters, digits, spaces and _ - . ' ( ) are allowed"
    return None


def check_labels(labels, max_labels: int, max_chars: int) -> Check:
    if not isinstance(labels, (list, tuple)):
        return failed("labels", f"labels must be a list of text, not {type(labels).__name__}")
    figures = {"count": len(labels), "max_labels": max_labels}
    if len(labels) < 2:
        return failed("labels", f"{len(labels)} label(s): a classifier needs at least 2", **figures)
    if len(labels) > max_labels:
        return failed("labels", f"{len(labels)} labels: at most {max_labels} (MODEL_MAX_LABELS)", **figures)
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):
        problem = _label_problem(label, max_chars)
        if problem:
            problems.append(f"label {i + 1} {_shown(label)} {problem}")
            continue
        key = label.casefold()
        if key in seen:
            problems.append(f"label {i + 1} {_shown(label)} repeats label {seen[key] + 1}")
        seen.setdefault(key, i)
    return _problems("labels", problems, f"{len(labels)} unique, printable labels", **figures)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_card(card, labels) -> Check:
    """The card beside `preprocessing`: the abstain threshold, what the output holds, optional name and notes,
    and (when the card lists them) the same labels as the labels file."""
    if not isinstance(card, dict):
        return failed("card", f"the card must be a JSON object, not {type(card).__name__}")
    problems = []
    threshold = card.get("abstain_threshold")
    if not _is_number(threshold) or not 0 <= threshold < 1:
        problems.append(f"abstain_threshold {_shown(threshold)} must be a number from 0 up to (not including) 1")
    output = card.get("output", {})
    kind = output.get("kind", "probabilities") if isinstance(output, dict) else None
    if kind not in OUTPUT_KINDS:
        problems.append(f"output.kind {_shown(kind)} must be one of {', '.join(OUTPUT_KINDS)}")
    for key, limit in (("name", CARD_NAME_CHARS), ("notes", CARD_NOTES_CHARS)):
        value = card.get(key, "")
        if not isinstance(value, str) or len(value) > limit:
            problems.append(f"{key} must be text of at most {limit} characters")
        elif key == "name" and not value.isprintable():
            problems.append("name holds a line break or another control character")
    if "labels" in card and card["labels"] != list(labels or []):
        problems.append("the card's labels differ from the labels file (order included)")
    return _problems("card", problems, f"abstain threshold {threshold}, output {kind}", output_kind=kind)


def _channels(value, key: str, problems: list[str]) -> list[float] | None:
    values = value if isinstance(value, list) else [value]
    if len(values) not in (1, 3) or not all(_is_number(v) for v in values):
        problems.append(f"{key} {_shown(value)} must be a number or a list of three numbers")
        return None
    return [float(v) for v in values]


def check_preprocessing(spec, side_min: int, side_max: int) -> Check:
    """The card's `preprocessing` object: what the server and the browser do to a photo before the model."""
    if not isinstance(spec, dict):
        return failed("preprocessing", f"the card needs a `preprocessing` object, got {_shown(spec)}")
    problems = [f"unknown key {_shown(k)}" for k in spec if k not in PREPROCESSING_KEYS]
    problems += [f"{k} is required" for k in ("size", "mean", "scale", "dtype") if k not in spec]
    size = spec.get("size")
    if "size" in spec and (not isinstance(size, int) or isinstance(size, bool) or not side_min <= size <= side_max):
        problems.append(f"size {_shown(size)} must be an integer from {side_min} to {side_max}")
    mean = _channels(spec["mean"], "mean", problems) if "mean" in spec else None
    scale = _channels(spec["scale"], "scale", problems) if "scale" in spec else None
    if scale and any(s == 0 for s in scale):
        problems.append("scale must not be 0")
    dtype = spec.get("dtype")
    if "dtype" in spec and dtype not in INPUT_DTYPES:
        problems.append(f"dtype {_shown(dtype)} must be one of {', '.join(INPUT_DTYPES)}")
    if dtype == "uint8" and mean and scale and (set(mean) != {0.0} or set(scale) != {1.0}):
        problems.append("a uint8 input takes raw pixels: mean must be 0 and scale 1")
    for key, value in _FIXED_VALUES.items():
        if key in spec and spec[key] != value:
            problems.append(f"{key} {_shown(spec[key])}: only {value!r} is supported")
    if not isinstance(spec.get("jpeg_draft", True), bool):
        problems.append("jpeg_draft must be true or false")
    if not isinstance(spec.get("readers", ""), str) or len(spec.get("readers", "")) > READERS_CHARS:
        problems.append(f"readers must be text of at most {READERS_CHARS} characters")
    return _problems(
        "preprocessing", problems, f"{size}x{size} RGB, (x - {spec.get('mean')}) / {spec.get('scale')}, {dtype}"
    )


def check_flatbuffer(facts: ModelFacts | None, error: str | None) -> Check:
    if facts is None:
        return failed("flatbuffer", error or "the file could not be read")
    return passed(
        "flatbuffer",
        f"TFLite schema {facts.version}: {facts.operators} operators, {facts.tensors} tensors",
        operators=facts.operators,
        tensors=facts.tensors,
        ops=dict(facts.ops),
    )


def check_ops(facts: ModelFacts) -> Check:
    """Builtin ops only, in one graph. Custom and Flex ops fail to load on the serving runtime, and control flow
    (WHILE, IF: several graphs) could loop for as long as it likes where a classifier needs one pass."""
    problems = []
    if facts.subgraphs != 1:
        problems.append(f"{facts.subgraphs} graphs: one is allowed (no control flow such as WHILE or IF)")
    for name in facts.ops:
        if name.startswith(CUSTOM_PREFIX + FLEX_PREFIX):
            problems.append(f"Flex (TensorFlow) op {_shown(name[len(CUSTOM_PREFIX) :])}: the serving runtime has none")
        elif name.startswith(CUSTOM_PREFIX):
            problems.append(f"custom op {_shown(name[len(CUSTOM_PREFIX) :])}: only builtin ops are allowed")
        elif name.startswith("BUILTIN_"):
            problems.append(f"unknown builtin op code {name[len('BUILTIN_') :]}")
    return _problems("ops", problems, f"{len(facts.ops)} builtin op types: {', '.join(facts.ops)}", ops=facts.ops)


def check_input(facts: ModelFacts, spec, side_min: int, side_max: int) -> Check:
    if len(facts.inputs) != 1:
        return failed("input", f"{len(facts.inputs)} inputs: the model must take exactly one image")
    tensor = facts.inputs[0]
    figures = {"shape": list(tensor.shape), "dtype": tensor.dtype}
    shape = tensor.shape
    if len(shape) != 4 or shape[0] != 1 or shape[3] != 3:
        return failed("input", f"input shape {list(shape)}: must be [1, H, W, 3] (one RGB image, NHWC)", **figures)
    if tensor.dtype not in INPUT_DTYPES:
        return failed("input", f"input type {tensor.dtype}: must be float32 or uint8", **figures)
    h, w = shape[1], shape[2]
    if not (side_min <= h <= side_max and side_min <= w <= side_max):
        return failed(
            "input",
            f"input {h}x{w}: each side must be from {side_min} to {side_max} pixels (MODEL_INPUT_SIDE_MIN/MAX)",
            **figures,
        )
    if h != w:
        return failed("input", f"input {h}x{w}: must be square (serving crops the photo's central square)", **figures)
    if isinstance(spec, dict) and (spec.get("size"), spec.get("dtype")) != (h, tensor.dtype):
        return failed(
            "input",
            f"the card's preprocessing makes {spec.get('size')}x{spec.get('size')} {spec.get('dtype')}, "
            f"the model takes {h}x{w} {tensor.dtype}",
            **figures,
        )
    return passed("input", f"[1, {h}, {w}, 3] {tensor.dtype}", **figures)


def check_output(facts: ModelFacts, labels) -> Check:
    if len(facts.outputs) != 1:
        return failed("output", f"{len(facts.outputs)} outputs: the model must have exactly one")
    tensor = facts.outputs[0]
    figures = {"shape": list(tensor.shape), "dtype": tensor.dtype}
    if len(tensor.shape) != 2 or tensor.shape[0] != 1:
        return failed("output", f"output shape {list(tensor.shape)}: must be [1, classes]", **figures)
    if tensor.dtype not in OUTPUT_DTYPES:
        return failed("output", f"output type {tensor.dtype}: must be one of {', '.join(OUTPUT_DTYPES)}", **figures)
    if tensor.dtype != "float32" and tensor.quantization is None:
        return failed("output", f"a {tensor.dtype} output needs its quantization (scale, zero point)", **figures)
    n = len(labels) if isinstance(labels, (list, tuple)) else None
    if tensor.shape[1] != n:
        return failed("output", f"the model has {tensor.shape[1]} classes but there are {n} labels", **figures)
    return passed("output", f"[1, {n}] {tensor.dtype}, one class per label", **figures)


# ------------------------------------------------------------------------------------------------ runtime checks
def check_loads(facts: ModelFacts, loaded: dict) -> Check:
    """The serving runtime loaded the file and sees the input and output the flatbuffer declares."""
    seen = ([d["shape"], d["dtype"]] for d in loaded["inputs"] + loaded["outputs"])
    declared = ([list(t.shape), t.dtype] for t in facts.inputs + facts.outputs)
    figures = {"load_ms": loaded["load_ms"], "runtime": loaded["runtime"]}
    if list(seen) != list(declared):
        return failed("loads", "the runtime sees other inputs or outputs than the file declares", **figures)
    return passed("loads", f"loaded by {loaded['runtime']} in {loaded['load_ms']:.1f} ms", **figures)


def dequantized(vector: list[float], quantization: tuple[float, int] | None) -> list[float]:
    if quantization is None:
        return vector
    scale, zero = quantization
    return [(v - zero) * scale for v in vector]


def check_outputs(vectors: list[list[float]], kind: str, quantization: tuple[float, int] | None) -> Check:
    """Finite outputs on every validation image; probabilities (in [0, 1], summing to 1) unless the card says
    the model gives logits."""
    figures = {"images": len(vectors), "kind": kind}
    if not vectors or not all(vectors):
        return failed("outputs", "the model gave no output", **figures)
    vectors = [dequantized(v, quantization) for v in vectors]
    bad = [i for i, v in enumerate(vectors) if not all(math.isfinite(x) for x in v)]
    if bad:
        return failed("outputs", f"NaN or infinite outputs on {len(bad)} of {len(vectors)} images", **figures)
    figures["distinct_top1"] = len({max(range(len(v)), key=v.__getitem__) for v in vectors})
    if kind == "logits":
        return passed("outputs", f"finite logits on {len(vectors)} images", **figures)
    slack = PROBABILITY_SUM_SLACK + (len(vectors[0]) * quantization[0] / 2 if quantization else 0)
    lowest, highest = min(min(v) for v in vectors), max(max(v) for v in vectors)
    sums = [math.fsum(v) for v in vectors]
    figures.update(min=lowest, max=highest, sum_min=min(sums), sum_max=max(sums))
    if lowest < -PROBABILITY_SLACK or highest > 1 + PROBABILITY_SLACK:
        return failed(
            "outputs",
            f"outputs range from {lowest:.4g} to {highest:.4g}: probabilities lie in [0, 1] "
            "(a model that gives logits says so in its card: output.kind = logits)",
            **figures,
        )
    if any(abs(s - 1) > slack for s in sums):
        return failed(
            "outputs",
            f"outputs sum to {min(sums):.4g}-{max(sums):.4g}, not 1: not probabilities "
            "(a model that gives logits says so in its card: output.kind = logits)",
            **figures,
        )
    return passed("outputs", f"finite probabilities on {len(vectors)} images", **figures)


def check_latency(runs_ms: list[float], budget_ms: float) -> Check:
    p50 = statistics.median(runs_ms)
    figures = {
        "p50_ms": round(p50, 2),
        "max_ms": round(max(runs_ms), 2),
        "runs": len(runs_ms),
        "threads": 1,
        "budget_ms": budget_ms,
    }
    if p50 > budget_ms:
        return failed(
            "latency",
            f"p50 {p50:.1f} ms at one thread: over the {budget_ms:g} ms budget (MODEL_LATENCY_BUDGET_MS)",
            **figures,
        )
    return passed("latency", f"p50 {p50:.1f} ms at one thread (budget {budget_ms:g} ms)", **figures)
