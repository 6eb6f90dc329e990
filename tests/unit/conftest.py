"""Fixtures for the fruitclf unit tests (no torch needed: serving venv + pytest)."""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import subprocess
import tarfile

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
FUNCTIONS = REPO / "functions"


def _runtime_available() -> bool:
    try:
        import tflite_runtime.interpreter  # noqa: F401

        return True
    except ImportError:
        try:
            import ai_edge_litert.interpreter  # noqa: F401

            return True
        except ImportError:
            return False


@pytest.fixture
def use_settings():
    """Run the test's calls with settings of its own (the environment's for the rest), as a door passes them in:
    `use_settings(rate_limit_per_minute=3)`; a later call replaces an earlier one."""
    from fruitclf import config

    with contextlib.ExitStack() as stack:
        yield lambda **overrides: stack.enter_context(config.using(config.Settings(**overrides)))


@pytest.fixture(scope="session")
def classifier():
    from fruitclf.ml import model

    if not _runtime_available():
        pytest.skip("neither tflite-runtime nor ai-edge-litert is installed")
    if not model.available_models():
        pytest.skip(f"no model in {model.models_dir()}")
    return model.get_classifier()


@pytest.fixture(scope="session")
def photos_dir() -> pathlib.Path:
    """Real sample photos from Debian's opencv-doc (fetched once into .cache/test-photos)."""
    dest = pathlib.Path(os.environ.get("FRUITCLF_TEST_PHOTOS", REPO / ".cache" / "test-photos"))
    if not (dest / "fruits.jpg").exists():
        try:
            subprocess.run(
                ["bash", str(REPO / "scripts" / "fetch_test_photos.sh"), str(dest)],
                timeout=600,
                check=False,
                capture_output=True,
            )
        except (OSError, subprocess.TimeoutExpired):
            pass
    if not (dest / "fruits.jpg").exists():
        pytest.skip("opencv-doc sample photos unavailable (scripts/fetch_test_photos.sh could not fetch them)")
    return dest


def _datasets_dir() -> pathlib.Path | None:
    cands = [os.environ.get("FRUITCLF_DATASETS"), REPO.parent / "shared" / "datasets", REPO / "shared" / "datasets"]
    for c in cands:
        if c and pathlib.Path(c).is_dir():
            return pathlib.Path(c)
    return None


class TarImages:
    """Reads a few images straight out of a shared dataset tar (or an unpacked copy), without unpacking."""

    def __init__(self, root: pathlib.Path):
        self.root = root

    def sample(self, set_name: str, split: str, per_label: int, label_of) -> list[tuple[str, bytes]]:
        out: dict[str, list[tuple[str, bytes]]] = {}
        tar = self.root / f"{set_name}.tar"
        if tar.exists():
            with tarfile.open(tar) as t:
                members = sorted(
                    (m for m in t.getmembers() if m.isfile() and m.name.lower().endswith(".jpg")), key=lambda m: m.name
                )
                for m in members:
                    parts = m.name.split("/")
                    if len(parts) < 4 or parts[1] != split:
                        continue
                    lab = label_of(parts)
                    if lab is None or len(out.setdefault(lab, [])) >= per_label:
                        continue
                    out[lab].append((lab, t.extractfile(m).read()))
        else:
            d = self.root / set_name / split
            if not d.is_dir():
                pytest.skip(f"{set_name} not found under {self.root}")
            for f in sorted(d.rglob("*.jpg")):
                parts = [set_name] + list(f.relative_to(self.root / set_name).parts)
                lab = label_of(parts)
                if lab is None or len(out.setdefault(lab, [])) >= per_label:
                    continue
                out[lab].append((lab, f.read_bytes()))
        return [x for v in out.values() for x in v]


GROCERY_LABEL = {"Satsumas": "mandarin", "Red-Grapefruit": "grapefruit", "Passion-Fruit": "passion_fruit"}


def grocery_label(parts):
    # realworld-grocerystore/<split>/<CoarseClass>/<file>; watermelon split out of Melon by file name
    coarse, fn = parts[2], parts[-1]
    if coarse == "Melon" and fn.lower().startswith("watermelon"):
        return "watermelon"
    return GROCERY_LABEL.get(coarse, coarse.lower().replace("-", "_"))


@pytest.fixture(scope="session")
def shared_datasets():
    d = _datasets_dir()
    if d is None:
        pytest.skip("../shared/datasets not present (set FRUITCLF_DATASETS to the folder holding the dataset tars)")
    return TarImages(d)


def jpeg_bytes(img, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", **kw)
    return buf.getvalue()
