"""ml/loaded_models.py: an instance's organisation models stay within their memory budget, least recently used
going first; and ml/model.Classifier follows an organisation model's card (its size, uint8 input, logits)."""

import io

import numpy as np
from PIL import Image

from fruitclf.ml import images, model
from fruitclf.ml.loaded_models import LoadedModels
from support import tflite_models as tm


def loader(weight: int, loads: list):
    def load():
        loads.append(weight)
        return weight, object()

    return load


def test_a_loaded_model_is_kept_and_not_loaded_again():
    cache, loads = LoadedModels(100), []
    first = cache.get("org-a/v1", loader(10, loads))
    assert cache.get("org-a/v1", loader(10, loads)) is first
    assert loads == [10] and cache.loads == 1


def test_the_least_recently_used_goes_when_the_budget_is_passed():
    cache, loads = LoadedModels(100), []
    cache.get("a", loader(40, loads))
    cache.get("b", loader(40, loads))
    cache.get("a", loader(40, loads))  # a is now the most recent
    cache.get("c", loader(40, loads))
    assert cache.keys() == ["a", "c"] and cache.weight() == 80


def test_a_model_bigger_than_the_budget_still_serves_alone():
    cache = LoadedModels(100)
    cache.get("small", loader(10, []))
    big = cache.get("big", loader(500, []))
    assert cache.keys() == ["big"] and big is cache.get("big", loader(500, []))


def org_model(data: bytes, labels: list[str], card: dict) -> model.Classifier:
    """As serving loads an org version: from its bytes, labels and card (no folder is left behind)."""
    return model.Classifier.from_bytes("org/v1", data, labels, card)


def red_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (220, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_an_org_model_gets_the_input_its_card_describes_and_abstains_by_threshold_alone():
    card = {"abstain_threshold": 0.34, "preprocessing": {"size": 48, "mean": 127, "scale": 128, "dtype": "float32"}}
    clf = org_model(tm.classifier(classes=3, side=48), ["r", "g", "b"], card)
    prepared = images.prepare(red_photo(), 1 << 20, 10_000_000, clf.preprocessing)
    assert prepared.model_input.shape == (1, 48, 48, 3) and prepared.model_input.dtype == np.float32
    red = clf.classify(prepared.model_input)
    assert (red.label, red.abstained) == ("r", False)
    grey = clf.classify(Image.new("RGB", (64, 64), (128, 128, 128)))
    assert grey.abstained and grey.label in ("r", "g", "b")  # no not_fruit label: the threshold alone


def test_a_uint8_model_gets_raw_pixels():
    card = {"abstain_threshold": 0.3, "preprocessing": {"size": 32, "mean": 0, "scale": 1, "dtype": "uint8"}}
    clf = org_model(tm.classifier(classes=3, input_dtype=tm.UINT8), ["r", "g", "b"], card)
    x = images.prepare(red_photo(), 1 << 20, 10_000_000, clf.preprocessing).model_input
    assert x.dtype == np.uint8 and x.max() > 200
    assert clf.classify(x).label == "r"


def test_a_logits_model_answers_probabilities():
    card = {
        "abstain_threshold": 0.3,
        "output": {"kind": "logits"},
        "preprocessing": {"size": 32, "mean": 127, "scale": 128, "dtype": "float32"},
    }
    clf = org_model(tm.classifier(classes=3, head=None), ["r", "g", "b"], card)
    prediction = clf.classify(Image.new("RGB", (32, 32), (220, 30, 30)), k=3)
    assert abs(sum(p for _, p in prediction.topk) - 1.0) < 1e-5 and prediction.label == "r"
