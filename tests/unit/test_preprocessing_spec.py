"""The model input is defined once, in each model card's `preprocessing` object; the server (fruitclf.ml.preprocess)
and the browser (frontend/src/ondevice/preprocess.js) must both follow it. These tests hold all three together:
the card against the server's constants, and the browser's code against Pillow on the same pixels."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from fruitclf.ml import preprocess

REPO = pathlib.Path(__file__).resolve().parents[2]
CARDS = sorted((REPO / "functions" / "models").glob("*/model_card.json"))
JS_MODULE = REPO / "frontend" / "src" / "ondevice" / "preprocess.js"

# Node reads raw RGBA from stdin and prints the model input's bytes (float32 or uint8) to stdout.
NODE_SCRIPT = """
import { toInput } from %s;
const [width, height, isJpeg] = process.argv.slice(1).map(Number);
const spec = JSON.parse(process.env.SPEC);
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const rgba = new Uint8ClampedArray(Buffer.concat(chunks));
const input = toInput(rgba, width, height, spec, { isJpeg: Boolean(isJpeg) });
process.stdout.write(Buffer.from(input.buffer));
"""


def card_spec(card: pathlib.Path) -> dict:
    return json.loads(card.read_text())["preprocessing"]


def js_input(img: Image.Image, spec: dict, is_jpeg: bool = False) -> np.ndarray:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the browser's preprocessing cannot be run here")
    rgba = img.convert("RGBA").tobytes()
    script = NODE_SCRIPT % json.dumps(JS_MODULE.as_uri())
    result = subprocess.run(
        [node, "--input-type=module", "-e", script, "--", str(img.width), str(img.height), str(int(is_jpeg))],
        input=rgba,
        capture_output=True,
        timeout=60,
        env={"SPEC": json.dumps(spec), "PATH": ""},
        check=True,
    )
    size = spec["size"]
    return np.frombuffer(result.stdout, dtype=spec.get("dtype", "float32")).reshape(1, size, size, 3)


@pytest.mark.parametrize("card", CARDS, ids=[c.parent.name for c in CARDS])
def test_every_model_card_describes_the_input_the_server_makes(card):
    spec = card_spec(card)
    assert spec["size"] == preprocess.INPUT_SIZE
    assert (spec["mean"], spec["scale"]) == (preprocess.MEAN, preprocess.SCALE)
    assert (spec["crop"], spec["resize"], spec["layout"], spec["dtype"], spec["color"]) == (
        "center_square",
        "bilinear_antialias",
        "NHWC",
        "float32",
        "RGB",
    )
    assert spec["jpeg_draft"] is True and spec["exif_orientation"] is True
    assert json.loads(card.read_text())["input"]["shape"] == [1, spec["size"], spec["size"], 3]


def photo_like(size: tuple[int, int]) -> Image.Image:
    """Smooth gradients plus fine noise, so any difference in the filter shows."""
    rng = np.random.default_rng(sum(size))
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255 / w, yy * 255 / h, (xx + yy) * 127 / (w + h)], axis=-1)
    pixels = np.clip(base + rng.normal(0, 40, base.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


@pytest.mark.parametrize("size", [(640, 480), (300, 500), (224, 224), (150, 100), (1024, 768)])
def test_the_browser_makes_exactly_the_servers_input_from_the_same_pixels(size):
    img = photo_like(size)
    spec = card_spec(CARDS[-1])
    expected = preprocess.to_input(img)
    assert np.array_equal(js_input(img, spec), expected)


def test_the_browsers_jpeg_draft_stays_close_to_libjpegs_scaled_decode(tmp_path):
    # libjpeg reduces in the DCT domain; the browser decodes in full and averages blocks: close, not equal
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:768, 0:1024]
    base = np.stack([xx / 4, yy / 3, (xx + yy) / 7], axis=-1) % 256
    img = Image.fromarray(np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8), "RGB")
    path = tmp_path / "photo.jpg"
    img.save(path, quality=90)
    server = preprocess.to_input(preprocess.load_rgb(path))
    full = Image.open(path).convert("RGB")
    browser = js_input(full, card_spec(CARDS[-1]), is_jpeg=True)
    difference = np.abs(browser - server) * preprocess.SCALE  # in 8-bit pixel steps
    assert difference.mean() < 2.0, difference.mean()


# Organisations' cards (docs/models.md): other sizes, per-channel normalisation, raw uint8 pixels, and the keys
# whose only value may be left out.
ORG_SPECS = {
    "tiny-float": {"size": 32, "mean": 127, "scale": 128, "dtype": "float32"},
    "imagenet": {"size": 96, "mean": [123.7, 116.3, 103.5], "scale": [58.4, 57.1, 57.4], "dtype": "float32"},
    "uint8": {"size": 64, "mean": 0, "scale": 1, "dtype": "uint8", "crop": "center_square", "layout": "NHWC"},
    "odd-scale": {"size": 17, "mean": 0.5, "scale": 255, "dtype": "float32"},
}


@pytest.mark.parametrize("name", ORG_SPECS)
@pytest.mark.parametrize("size", [(640, 480), (33, 70)])
def test_the_browser_follows_an_org_cards_preprocessing_exactly_as_the_server(name, size):
    spec = ORG_SPECS[name]
    img = photo_like(size)
    expected = preprocess.spec_input(img, spec)
    browser = js_input(img, spec)
    assert browser.dtype == expected.dtype and np.array_equal(browser, expected)


def test_the_browser_refuses_a_card_it_cannot_follow_rather_than_guess():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        js_input(photo_like((40, 40)), {"size": 32, "mean": 0, "scale": 1, "dtype": "float32", "crop": "resize_only"})
    assert b"cannot prepare the input" in refused.value.stderr
