"""Every setting in one place: environment variables with defaults that work on the emulators.

Deployed, the same names come from `functions/.env.<project>` files (which `firebase deploy` also reads when it
imports main.py, so the function options below are settings too) or the container's environment.

A `Settings` is built once and travels with the call: `create_app` builds the API's from the environment (or
takes them as given), and anything outside an app (the Storage trigger, the CLI, a test calling a service) gets
the environment's, read once per process. Every layer reads them through `settings()`; the
cached clients and models are keyed by the settings they are built from, and a thread a call starts runs
`in_context`, so settings given to create_app reach all of them.
"""

from __future__ import annotations

import contextvars
import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _bool(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _firebase_config_bucket() -> str:
    """The project's default bucket as Cloud Functions (and the emulators) describe it: FIREBASE_CONFIG holds
    JSON, or the path of a JSON file. Projects created since late 2024 have `<project>.firebasestorage.app`,
    older ones `<project>.appspot.com`: the name is read, never guessed."""
    raw = os.environ.get("FIREBASE_CONFIG", "").strip()
    if not raw:
        return ""
    config = json.loads(raw if raw.startswith("{") else Path(raw).read_text())
    return config.get("storageBucket") or ""


def _list(name: str, default: str = "") -> tuple[str, ...]:
    raw = os.environ.get(name, default)
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    project_id: str = field(
        default_factory=lambda: (
            os.environ.get("GCLOUD_PROJECT") or os.environ.get("GOOGLE_CLOUD_PROJECT") or "demo-fruit"
        )
    )
    storage_bucket: str = field(
        default_factory=lambda: os.environ.get("STORAGE_BUCKET", "") or _firebase_config_bucket()
    )
    firestore_database: str = field(default_factory=lambda: os.environ.get("FIRESTORE_DATABASE", "") or "(default)")
    max_upload_size: int = field(default_factory=lambda: _int("MAX_UPLOAD_SIZE", 10 * 1024 * 1024))
    # 24 M pixels (6000x4000, a 24-megapixel camera): at that size the worst accepted image (a lossless RGBA WebP,
    # ~16 bytes a pixel while Pillow decodes it) with the function's 8 concurrent requests stays below 70% of 1 GiB
    # (docs/benchmarks.md, tests/bench/bench_memory.py); 40 M did not.
    max_image_pixels: int = field(default_factory=lambda: _int("MAX_IMAGE_PIXELS", 24_000_000))
    rate_limit_per_minute: int = field(default_factory=lambda: _int("RATE_LIMIT", 60))
    # Anonymous accounts cost nothing to make, so each gets less than a signed-in one.
    rate_limit_anonymous: int = field(default_factory=lambda: _int("RATE_LIMIT_ANONYMOUS", 10))
    allowed_origins: tuple[str, ...] = field(default_factory=lambda: _list("ALLOWED_ORIGINS"))
    # A Secret Manager secret when deployed (USE_OPENAI_SECRET); kept out of repr so that it never reaches a log.
    openai_api_key: str = field(default_factory=lambda: os.environ.get("OPENAI_API_KEY", "").strip(), repr=False)
    openai_model: str = field(default_factory=lambda: os.environ.get("OPENAI_MODEL", "gpt-4o"))
    openai_base_url: str = field(default_factory=lambda: os.environ.get("OPENAI_BASE_URL", ""))
    openai_timeout_s: float = field(default_factory=lambda: _float("OPENAI_TIMEOUT", 8.0))
    firestore_deadline_s: float = field(default_factory=lambda: _float("FIRESTORE_DEADLINE", 10.0))
    models_dir: str = field(default_factory=lambda: os.environ.get("FRUITCLF_MODELS_DIR", ""))  # "": functions/models
    interpreter_threads: int = field(default_factory=lambda: _int("FRUITCLF_THREADS", 0))  # 0: the model's default
    # An organisation's own model is validated before it may serve (ml/model_validation.py, docs/models.md).
    model_max_bytes: int = field(default_factory=lambda: _int("MODEL_MAX_BYTES", 20 * 1024 * 1024))
    model_input_side_min: int = field(default_factory=lambda: _int("MODEL_INPUT_SIDE_MIN", 32))
    model_input_side_max: int = field(default_factory=lambda: _int("MODEL_INPUT_SIDE_MAX", 1024))
    model_max_labels: int = field(default_factory=lambda: _int("MODEL_MAX_LABELS", 1000))
    model_max_label_chars: int = field(default_factory=lambda: _int("MODEL_MAX_LABEL_CHARS", 64))
    # p50 of one inference at one thread on the validation images; the shipped model takes 8-40 ms by machine.
    model_latency_budget_ms: float = field(default_factory=lambda: _float("MODEL_LATENCY_BUDGET_MS", 250.0))
    # The validation child's limits: address space (RLIMIT_AS), CPU seconds (RLIMIT_CPU), wall-clock seconds.
    model_validation_memory_mb: int = field(default_factory=lambda: _int("MODEL_VALIDATION_MEMORY_MB", 1024))
    model_validation_cpu_s: int = field(default_factory=lambda: _int("MODEL_VALIDATION_CPU_SECONDS", 60))
    model_validation_timeout_s: float = field(default_factory=lambda: _float("MODEL_VALIDATION_TIMEOUT", 120.0))
    # The accuracy check of a new version runs it on at most this many of the org's corrected photos.
    model_accuracy_photos: int = field(default_factory=lambda: _int("MODEL_ACCURACY_PHOTOS", 100))
    # An organisation keeps at most this many model versions (ready, rejected or validating).
    model_versions_max: int = field(default_factory=lambda: _int("MODEL_VERSIONS_MAX", 20))
    # Memory one serving instance gives to loaded organisation models (least recently used go first).
    org_model_cache_mb: int = field(default_factory=lambda: _int("ORG_MODEL_CACHE_MB", 200))
    second_opinion_below: float = field(default_factory=lambda: _float("SECOND_OPINION_BELOW", 0.6))
    # Project-wide cap on vision-model calls per UTC day: the OpenAI bill has a ceiling whatever callers do.
    second_opinion_daily_max: int = field(default_factory=lambda: _int("SECOND_OPINION_DAILY_MAX", 500))
    # Invitations an org may have pending at once, and an admin may send a minute (429 past either).
    invitations_pending_max: int = field(default_factory=lambda: _int("INVITATIONS_PENDING_MAX", 100))
    invitations_per_minute: int = field(default_factory=lambda: _int("INVITATIONS_PER_MINUTE", 10))
    # How long an instance trusts what it last read of an account (deleted, disabled, sessions revoked, its org
    # and role): an ended session is refused at most this long after the change (admin actions always re-read).
    session_check_seconds: float = field(default_factory=lambda: _float("SESSION_CHECK_SECONDS", 30.0))
    # Firebase App Check: with enforcement on, every API call but /api/health and /api/model needs a valid
    # X-Firebase-AppCheck token. The project number names the token's issuer and audience.
    app_check_enforce: bool = field(default_factory=lambda: _bool("APP_CHECK_ENFORCE"))
    project_number: str = field(default_factory=lambda: os.environ.get("PROJECT_NUMBER", "").strip())
    app_check_jwks_url: str = field(
        default_factory=lambda: (
            os.environ.get("APP_CHECK_JWKS_URL", "") or "https://firebaseappcheck.googleapis.com/v1/jwks"
        )
    )
    # The most classifications a second one busy org is expected to sustain (interactive and bulk together). The
    # shard count of every per-org hot document (aggregates, rate-limit windows, job counters) follows from it
    # and Firestore's documented write rate per document (data/sharded.py, docs/operations.md "Hot documents").
    org_peak_per_second: float = field(default_factory=lambda: _float("ORG_PEAK_PER_SECOND", 10.0))
    # Bulk jobs (docs/operations.md): images an org's jobs may classify per UTC day, and the chunk (one task) size
    # a job gets when its request names none.
    bulk_daily_images: int = field(default_factory=lambda: _int("BULK_DAILY_IMAGES", 20_000))
    bulk_chunk_size: int = field(default_factory=lambda: _int("BULK_CHUNK_SIZE", 50))
    bulk_max_images: int = field(default_factory=lambda: _int("BULK_MAX_IMAGES", 50_000))
    # The bulk queue (Cloud Tasks): chunks running at once, chunks started per second, tries per chunk. Each
    # running chunk holds one instance of `bulkchunk` (a CPU classifying); the defaults suit the emulators' 2 CPUs.
    bulk_queue_concurrency: int = field(default_factory=lambda: _int("BULK_QUEUE_CONCURRENCY", 2))
    bulk_queue_per_second: float = field(default_factory=lambda: _float("BULK_QUEUE_PER_SECOND", 5.0))
    bulk_queue_attempts: int = field(default_factory=lambda: _int("BULK_QUEUE_ATTEMPTS", 5))
    # Job notices to an org's webhook (service/webhooks.py): seconds an attempt may take, attempts in all (the
    # `jobnotice` queue retries with backoff), and, under the emulators only, http://127.0.0.1 for a test receiver.
    webhook_timeout_s: float = field(default_factory=lambda: _float("WEBHOOK_TIMEOUT", 5.0))
    webhook_attempts: int = field(default_factory=lambda: _int("WEBHOOK_ATTEMPTS", 5))
    webhook_allow_loopback: bool = field(default_factory=lambda: _bool("WEBHOOK_ALLOW_LOOPBACK"))
    # Cloud Functions options, read when `firebase deploy` imports main.py.
    region: str = field(default_factory=lambda: os.environ.get("REGION", "") or "us-central1")
    min_instances: int = field(default_factory=lambda: _int("MIN_INSTANCES", 0))
    max_instances: int = field(default_factory=lambda: _int("MAX_INSTANCES", 20))
    use_openai_secret: bool = field(default_factory=lambda: _bool("USE_OPENAI_SECRET"))


EMULATOR_HOSTS = ("FIRESTORE_EMULATOR_HOST", "FIREBASE_AUTH_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")


class EmulatorSettingsInProduction(RuntimeError):
    """Emulator settings reached a deployed function: its shortcuts would trust unsigned tokens."""


def emulator_mode() -> bool:
    """Whether the emulator-only shortcuts (anonymous credentials, our own token-expiry check) may run.

    Only where emulators run: the Emulator Suite sets FUNCTIONS_EMULATOR=true and the *_EMULATOR_HOST
    variables. A deployed function (Cloud Run sets K_CONFIGURATION, which the functions emulator never does,
    and K_SERVICE, which it sets only beside FUNCTIONS_EMULATOR) refuses to start in that mode, since the
    admin SDK itself skips token signatures when FIREBASE_AUTH_EMULATOR_HOST is set."""
    wanted = os.environ.get("FUNCTIONS_EMULATOR") == "true" or any(os.environ.get(name) for name in EMULATOR_HOSTS)
    deployed = bool(os.environ.get("K_CONFIGURATION")) or (
        bool(os.environ.get("K_SERVICE")) and os.environ.get("FUNCTIONS_EMULATOR") != "true"
    )
    if wanted and deployed:
        raise EmulatorSettingsInProduction("emulator settings are set in a deployed function; refusing to use them")
    return wanted


# The settings of the app or door serving the current call (create_app(settings=...), `using`). A context
# variable: each request or event sees its own, and so do the threads it starts through `in_context`.
_current: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("fruitclf_settings", default=None)


@functools.cache
def from_environment() -> Settings:
    """The environment's settings, read once per process (a function instance's environment does not change)."""
    return Settings()


def settings() -> Settings:
    """The settings in force: those of the app or door serving this call, else the environment's."""
    return _current.get() or from_environment()


@contextmanager
def using(custom: Settings) -> Iterator[Settings]:
    """Make `custom` the settings of every call inside the block (a request, a trigger event, a test)."""
    token = _current.set(custom)
    try:
        yield custom
    finally:
        _current.reset(token)


def in_context(func: Callable[..., T]) -> Callable[..., T]:
    """`func` bound to the current settings, for another thread to run (a thread does not inherit them)."""
    return functools.partial(contextvars.copy_context().run, func)
