"""Which shipped models a browser downloads through /api/me/model/file (service/device_model.py): one an org chose
instead of the default, when it fits a device; never the default (public under /models/), never one too big."""

import hashlib

import pytest

from fruitclf.ml.model import default_model_id, get_classifier
from fruitclf.service import device_model


@pytest.mark.parametrize("model_id", ["fruit-lite0-v5", "fruit-lite0-v5-soup"])  # docs/model.md: both reach devices
def test_a_chosen_shipped_model_that_fits_goes_to_devices(model_id):
    assert device_model._sent_to_devices(get_classifier(model_id))


def test_the_default_is_not_sent_through_the_token_door_the_web_build_serves_it():
    assert not device_model._sent_to_devices(get_classifier(default_model_id()))


def test_a_shipped_model_over_the_device_budget_answers_on_the_server_only(monkeypatch):
    shipped = get_classifier("fruit-lite0-v5")
    monkeypatch.setattr(device_model, "DEVICE_MAX_BYTES", (shipped.path / "model.tflite").stat().st_size - 1)
    assert not device_model._sent_to_devices(shipped)


def test_the_file_sent_is_the_shipped_one_with_its_hash():
    sha256, data = device_model._shipped_file("fruit-lite0-v5")
    assert data == (get_classifier("fruit-lite0-v5").path / "model.tflite").read_bytes()
    assert sha256 == hashlib.sha256(data).hexdigest()
