"""TFLite fruit classifier runtime (no torch at serving time).

Models live in ``functions/models/<model-id>/`` (model.tflite, labels.txt, model_card.json); the folder can be
overridden with the env var FRUITCLF_MODELS_DIR. ``functions/models/DEFAULT`` names the default model id.
Nothing heavy happens at import: the interpreter is created on the first ``classify``.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from ..config import settings
from . import preprocess

__all__ = [
    "Prediction",
    "Classifier",
    "get_classifier",
    "available_models",
    "models_dir",
    "default_model_id",
    "labels_from_text",
]

DEFAULT_THREADS = 2  # best single-request latency on an idle 2-core machine; see docs/model.md


def models_dir() -> pathlib.Path:
    configured = settings().models_dir
    return pathlib.Path(configured) if configured else pathlib.Path(__file__).resolve().parents[2] / "models"


def available_models() -> list[str]:
    d = models_dir()
    if not d.is_dir():
        return []
    return sorted(p.name for p in d.iterdir() if (p / "model.tflite").is_file() and (p / "labels.txt").is_file())


def default_model_id() -> str:
    f = models_dir() / "DEFAULT"
    if f.is_file():
        mid = f.read_text().strip()
        if mid:
            return mid
    models = available_models()
    if not models:
        raise KeyError(f"no models in {models_dir()}")
    return models[-1]


def labels_from_text(text: str) -> list[str]:
    """A labels.txt as serving reads it: one label a line, surrounding blanks and empty lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def _interpreter_class():
    try:
        from tflite_runtime.interpreter import Interpreter
    except ImportError:
        from ai_edge_litert.interpreter import Interpreter
    return Interpreter


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    topk: list[tuple[str, float]]
    abstained: bool
    model_id: str
    timings_ms: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "confidence": self.confidence,
            "topk": [{"label": label, "p": p} for label, p in self.topk],
            "abstained": self.abstained,
            "model_id": self.model_id,
            "timings_ms": dict(self.timings_ms),
        }


class Classifier:
    """One per model id. Thread-safe: a lock serialises access to the (not thread-safe) TFLite interpreter."""

    def __init__(self, model_id: str, path: pathlib.Path | None = None, num_threads: int | None = None):
        self.model_id = model_id
        self.path = pathlib.Path(path) if path else models_dir() / model_id
        if not (self.path / "model.tflite").is_file():
            raise KeyError(f"unknown model id {model_id!r} (no {self.path / 'model.tflite'})")
        self.labels: list[str] = labels_from_text((self.path / "labels.txt").read_text())
        card_path = self.path / "model_card.json"
        self.card: dict = json.loads(card_path.read_text()) if card_path.is_file() else {}
        # The card's `preprocessing` object (checked by ml/model_checks.py) when it has one: an organisation's
        # model may take another size, per-channel normalisation or raw uint8 pixels.
        self.preprocessing: dict | None = self.card.get("preprocessing") or None
        if self.preprocessing:
            self.input_size: int = int(self.preprocessing["size"])
        else:
            self.input_size = int(self.card.get("input", {}).get("shape", [1, preprocess.INPUT_SIZE])[1])
        self.input_dtype = np.uint8 if (self.preprocessing or {}).get("dtype") == "uint8" else np.float32
        self.outputs_logits: bool = self.card.get("output", {}).get("kind") == "logits"
        self.abstain_threshold: float = float(self.card.get("abstain_threshold", 0.5))
        if num_threads is None:
            num_threads = settings().interpreter_threads or DEFAULT_THREADS
        self.num_threads = max(1, num_threads)
        self._lock = threading.Lock()
        self._interp: Any = None  # the runtime's Interpreter (tflite-runtime or ai-edge-litert), once loaded
        self._in = self._out = None
        self.load_ms: float | None = None

    @classmethod
    def from_bytes(cls, model_id: str, data: bytes, labels: list[str], card: dict) -> Classifier:
        """A loaded classifier from a model held in memory (an organisation's version, read from Storage)."""
        folder = pathlib.Path(tempfile.mkdtemp(prefix="fruitclf-model-"))
        try:
            (folder / "model.tflite").write_bytes(data)
            (folder / "labels.txt").write_text("\n".join(labels) + "\n")
            (folder / "model_card.json").write_text(json.dumps(card))
            # Loaded before the folder goes: the interpreter keeps what it read, labels and card are in memory.
            return cls(model_id, path=folder).load()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # -- loading
    def _ensure_loaded(self):
        if self._interp is None:
            with self._lock:
                if self._interp is None:
                    t0 = time.perf_counter()
                    interp = _interpreter_class()(
                        model_path=str(self.path / "model.tflite"), num_threads=self.num_threads
                    )
                    interp.allocate_tensors()
                    inp = interp.get_input_details()[0]
                    out = interp.get_output_details()[0]
                    if tuple(inp["shape"]) != (1, self.input_size, self.input_size, 3):
                        raise RuntimeError(f"{self.model_id}: unexpected input shape {inp['shape']}")
                    if int(out["shape"][-1]) != len(self.labels):
                        raise RuntimeError(f"{self.model_id}: {out['shape'][-1]} outputs but {len(self.labels)} labels")
                    self._in, self._out = inp["index"], out["index"]
                    self._interp = interp
                    self.load_ms = (time.perf_counter() - t0) * 1000

    def load(self) -> Classifier:
        self._ensure_loaded()
        return self

    def warm_up(self) -> Classifier:
        """One inference on a blank input: the runtime allocates its tensors and unpacks its weights now, not
        on a caller's first photo."""
        self.predict_array(np.zeros((1, self.input_size, self.input_size, 3), dtype=self.input_dtype))
        return self

    # -- inference
    def predict_array(self, x):
        """Run the model on a preprocessed (1, S, S, 3) array; returns its output vector."""
        self._ensure_loaded()
        with self._lock:
            self._interp.set_tensor(self._in, x)
            self._interp.invoke()
            return self._interp.get_tensor(self._out)[0].copy()

    def classify(self, pixels: Image.Image | np.ndarray, k: int = 3) -> Prediction:
        """Classify pixels: an RGB image (given training's eval transform here) or a model input already made
        by preprocess.to_input, shape (1, S, S, 3) float32. Bytes are decoded by the caller (ml/images.py for
        the API, preprocess.load_rgb offline), which is where validation and error messages live."""
        if not isinstance(pixels, (Image.Image, np.ndarray)):
            raise TypeError(f"classify takes pixels (a PIL image or a model input array), not {type(pixels).__name__}")
        t0 = time.perf_counter()
        x = pixels if isinstance(pixels, np.ndarray) else self.to_input(pixels)
        if x.shape != (1, self.input_size, self.input_size, 3) or x.dtype != self.input_dtype:
            raise ValueError(
                f"{self.model_id}: model input must be {np.dtype(self.input_dtype).name}"
                f" (1, {self.input_size}, {self.input_size}, 3)"
            )
        t1 = time.perf_counter()
        probs = self.predict_array(x)
        if self.outputs_logits:
            shifted = np.exp(probs - np.max(probs))
            probs = shifted / shifted.sum()
        t2 = time.perf_counter()
        return self._prediction(probs, k, {"preprocess": (t1 - t0) * 1000, "infer": (t2 - t1) * 1000})

    def to_input(self, rgb: Image.Image) -> np.ndarray:
        """The model's input for an RGB image, as its card says (training's transform for our own models)."""
        if self.preprocessing:
            return preprocess.spec_input(rgb, self.preprocessing)
        return preprocess.to_input(rgb, self.input_size)

    def _prediction(self, probs, k: int, timings: dict) -> Prediction:
        k = max(1, min(int(k), len(self.labels)))
        order = sorted(range(len(probs)), key=lambda i: -float(probs[i]))
        topk = [(self.labels[i], float(probs[i])) for i in order[:k]]
        label, conf = self.labels[order[0]], float(probs[order[0]])
        abstained = label == "not_fruit" or conf < self.abstain_threshold
        return Prediction(
            label=label,
            confidence=conf,
            topk=topk,
            abstained=abstained,
            model_id=self.model_id,
            timings_ms={k_: round(v, 3) for k_, v in timings.items()},
        )


# Keyed by the settings a classifier is built from (where models live, interpreter threads) and the model.
_cache: dict[tuple[pathlib.Path, int, str], Classifier] = {}
_cache_lock = threading.Lock()


def get_classifier(model_id: str | None = None) -> Classifier:
    """The process-wide classifier for model_id (None: the default model). Unknown id -> KeyError."""
    if model_id is None:
        model_id = default_model_id()
    if not isinstance(model_id, str) or not model_id or "/" in model_id or "\\" in model_id or model_id.startswith("."):
        raise KeyError(f"invalid model id {model_id!r}")
    key = (models_dir(), settings().interpreter_threads, model_id)
    with _cache_lock:
        clf = _cache.get(key)
        if clf is None:
            clf = _cache[key] = Classifier(model_id)
        return clf
