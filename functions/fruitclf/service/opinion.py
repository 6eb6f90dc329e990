"""An optional second opinion from a vision model (GPT-4 class, through the `openai` package): every rule about
when it is offered, asked and paid for lives here.

Asked when the org has the feature, a key is configured, and the caller asks (?second_opinion=1) or the model
abstains or is unsure; the project buys at most SECOND_OPINION_DAILY_MAX a day (a window in data/ratelimits.py).
Whatever goes wrong (no key, timeout, refusal, an answer outside the label set), the result is an opinion with a
`note` and no label: the model's answer always stands, never a 5xx.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any

from ..config import settings
from ..data import ratelimits
from ..data.store import SecondOpinion
from . import limits
from .orgs import OrgConfig

log = logging.getLogger(__name__)
FEATURE = "second_opinion"
DAY_S = 24 * 60 * 60
TODAY_KEY = "second-opinions"  # the project-wide daily window (data/ratelimits.py)

PROMPT = (
    "You are checking a fruit classifier. Look at the photo and name the fruit. Answer with only a JSON object "
    '{{"label": <one of the allowed labels>, "confidence": <0..1>}}. Allowed labels: {labels}. Use "not_fruit" '
    "when the photo does not show one of these fruits. The classifier's top guesses were: {guesses}."
)


def available() -> bool:
    return bool(settings().openai_api_key)


def features_offered(org: OrgConfig) -> list[str]:
    """The org's features as the app should offer them: the second opinion only where it can work (the org
    allows it and a key is configured)."""
    return [f for f in org.features if f != FEATURE or available()]


def require_feature(org: OrgConfig) -> None:
    """403 `feature-disabled` unless the org lets its members ask for second opinions."""
    org.require(FEATURE)


def reserve() -> None:
    """Take one of today's second opinions for a caller who asked for one (429 `second-opinion-limit` when
    none is left). Without a key none is spent: the answer will say that no opinion could be asked."""
    if available() and (wait := _take_one_of_today()) is not None:
        raise limits.too_many(
            "second-opinion-limit", "Today's second opinions are used up; the classifier itself still answers.", wait
        )


def _take_one_of_today() -> float | None:
    """One of the project's SECOND_OPINION_DAILY_MAX for this UTC day: None when granted, else the seconds left."""
    return ratelimits.take(TODAY_KEY, settings().second_opinion_daily_max, window_s=DAY_S)


def for_classification(
    org: OrgConfig, asked: bool, jpeg: bytes, labels: list[str], doc: Mapping[str, Any]
) -> SecondOpinion | None:
    """The second opinion stored with a new classification: the one asked for (its feature and quota were
    checked on admission), else one asked automatically where it can work, the model is unsure and today's
    ceiling allows; None when there is none to give."""
    if asked:
        return ask(jpeg, labels, doc["topk"])
    if not (FEATURE in org.features and available() and unsure(doc)):
        return None
    if _take_one_of_today() is not None:
        return not_asked("today's second opinions are used up")
    return ask(jpeg, labels, doc["topk"])


def for_bulk_image(jpeg: bytes, labels: list[str], answer: Mapping[str, Any]) -> SecondOpinion | None:
    """The second opinion on one image of a bulk job that asked for them: only where the model is unsure, and
    only within today's ceiling (the same one interactive requests spend: a job never buys more than it)."""
    if not unsure(answer):
        return None
    if not available():
        return not_asked("the OpenAI key is not configured")
    if _take_one_of_today() is not None:
        return not_asked("today's second opinions are used up")
    return ask(jpeg, labels, answer["topk"])


def unsure(doc: Mapping[str, Any]) -> bool:
    """Whether the model's answer is worth a second opinion without being asked for one."""
    return bool(doc["abstained"] or doc["confidence"] < settings().second_opinion_below)


def not_asked(reason: str) -> SecondOpinion:
    """The opinion recorded when the vision model is not asked."""
    return {
        "label": None,
        "confidence": None,
        "model": settings().openai_model,
        "note": f"No second opinion: {reason}.",
    }


def ask(jpeg: bytes, labels: list[str], topk: list[dict[str, Any]]) -> SecondOpinion:
    """Ask the vision model; always returns {"label", "confidence", "model", "note"} (label None on failure)."""
    cfg = settings()
    result: SecondOpinion = {"label": None, "confidence": None, "model": cfg.openai_model, "note": None}
    if not available():
        return not_asked("the OpenAI key is not configured")
    try:
        import openai

        client = openai.OpenAI(
            api_key=cfg.openai_api_key,
            base_url=cfg.openai_base_url or None,
            timeout=cfg.openai_timeout_s,
            max_retries=0,
        )
        guesses = ", ".join(f"{t['label']} ({t['p']:.0%})" for t in topk)
        image_url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
        completion = client.chat.completions.create(
            model=cfg.openai_model,
            max_tokens=60,
            temperature=0,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": PROMPT.format(labels=", ".join(labels), guesses=guesses)},
                        {"type": "image_url", "image_url": {"url": image_url, "detail": "low"}},
                    ],
                }
            ],
        )
    except Exception as exc:  # noqa: BLE001 - any failure of the optional service degrades to a note
        kind = "timed out" if "timeout" in type(exc).__name__.lower() else "failed"
        log.warning({"event": "second-opinion-failed", "error": repr(exc)[:300]})
        return {**result, "note": f"No second opinion: the vision model {kind}."}
    return _parse(completion, labels, result)


def _parse(completion: Any, labels: list[str], result: SecondOpinion) -> SecondOpinion:
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return {**result, "note": "No second opinion: the vision model's reply was malformed."}
    if getattr(message, "refusal", None):
        return {**result, "note": "No second opinion: the vision model declined to answer."}
    text = (message.content or "").strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        answer = json.loads(text)
        label = answer["label"]
    except (ValueError, KeyError, TypeError):
        return {**result, "note": "No second opinion: the vision model's reply was malformed."}
    if label not in labels:
        return {
            **result,
            "note": f"No second opinion: the vision model answered {str(label)[:40]!r}, which is not one of our labels.",
        }
    confidence = answer.get("confidence")
    confidence = float(confidence) if isinstance(confidence, (int, float)) and 0 <= confidence <= 1 else None
    return {**result, "label": label, "confidence": confidence}
