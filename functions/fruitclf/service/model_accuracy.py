"""The accuracy check of a new org model version: the candidate and the model serving the org now (its pinned
version, or the shipped model it chose) side by side on the org's own corrected photos, in the version's report
before anyone pins or rolls it out.

Corrected photos are the org's classifications with feedback (the label a user confirmed or named: the feedback
export's rows), newest first, at most MODEL_ACCURACY_PHOTOS of them; their stored images are the normalised JPEGs
every classification keeps. It runs in the validation function, never in `api`: the candidate, untrusted, only
inside the validation child with the other runtime checks (ml/model_validation.py hands back its outputs on
these photos), the serving model, trusted, in the validation function itself. A photo whose right label a model
does not have is counted apart for that model, never as its mistake.
"""

from __future__ import annotations

import contextlib
import dataclasses
import pathlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .. import errors
from ..config import settings, using
from ..data import blobs, store
from ..data import orgs as org_docs
from ..ml import preprocess
from ..ml.model import Classifier
from . import org_models, orgs

# (the photo's local file, the label a user gave it)
Photo = tuple[pathlib.Path, str]


@contextlib.contextmanager
def corrected_photos(org_id: str, limit: int) -> Iterator[list[Photo]]:
    """The org's newest corrected photos, fetched into a folder that goes when the block ends (a photo whose
    image is no longer stored is left out)."""
    examples = store.feedback_examples(org_id=org_id, limit=limit) if limit > 0 else []
    with tempfile.TemporaryDirectory(prefix="fruitclf-accuracy-") as folder:
        photos = []
        for n, example in enumerate(examples):
            data = blobs.get_if_exists(example["imagePath"])
            if data is not None and example["feedback"]:
                path = pathlib.Path(folder) / f"{n}.jpg"
                path.write_bytes(data)
                photos.append((path, example["feedback"]["label"]))
        yield photos


def _tally(labels: Sequence[str], answers: Sequence[str], photos: Sequence[Photo]) -> dict[str, Any]:
    known = [(answer, right) for answer, (_, right) in zip(answers, photos, strict=True) if right in labels]
    correct = sum(answer == right for answer, right in known)
    return {
        "photos": len(known),
        "correct": correct,
        "top1": round(correct / len(known), 4) if known else None,
        "unknownLabels": len(photos) - len(known),
    }


def side_by_side(
    org_id: str, version: str, labels: Sequence[str], outputs: Mapping[str, Sequence[float]], photos: Sequence[Photo]
) -> dict[str, Any]:
    """The report's `accuracy`: top-1 of the candidate (its `outputs` per photo, from the validation child) and
    of the model serving the org now, each on the photos whose label it has."""
    ran = [(path, right) for path, right in photos if str(path) in outputs]
    candidate = [labels[max(range(len(labels)), key=outputs[str(path)].__getitem__)] for path, _ in ran]
    return {
        "photos": len(ran),
        "candidate": {"model": f"{org_id}/{version}", **_tally(labels, candidate, ran)},
        "serving": _serving_tally(org_id, ran),
    }


def _serving_tally(org_id: str, photos: Sequence[Photo]) -> dict[str, Any]:
    # One thread, as the candidate runs in the child: two threads on a busy core ran 100 photos 4-10x slower
    # (docs/benchmarks.md). The validation function is the only one loading models with these settings.
    with using(dataclasses.replace(settings(), interpreter_threads=1)):
        try:
            # Read now, not this instance's copy of up to 30 s: an admin may have pinned a version since.
            serving = org_models.pinned_classifier(orgs.from_document(org_id, org_docs.read(org_id) or {}))
        except (errors.ApiError, KeyError):  # its model withdrawn or unloadable: the candidate's figures stand
            return {"model": None, "error": "the model serving the organisation could not be loaded"}
        return {"model": serving.model_id, **_tally(serving.labels, _answers(serving, photos), photos)}


def _answers(classifier: Classifier, photos: Sequence[Photo]) -> list[str]:
    return [classifier.classify(classifier.to_input(preprocess.load_rgb(path))).label for path, _ in photos]
