"""Cloud Functions of the Fruit Classification System: declarations only.

The logic lives in the importable `fruitclf` package; importing it is cheap (no model, no clients, no bucket)
so that deploy-time discovery and cold starts stay fast. Region, instances and the OpenAI secret are settings
(functions/.env.<project>), which `firebase deploy` reads when it imports this file.
"""

from firebase_functions import https_fn, options, params, storage_fn, tasks_fn

from fruitclf.config import settings
from fruitclf.doors import cloud_functions

SETTINGS = settings()
options.set_global_options(region=SETTINGS.region, max_instances=SETTINGS.max_instances)
# Declared only when asked for: a declared secret that does not exist yet stops `firebase deploy --non-interactive`.
SECRETS = [params.SecretParam("OPENAI_API_KEY")] if SETTINGS.use_openai_secret else []


@https_fn.on_request(
    memory=options.MemoryOption.GB_1,
    cpu=1,
    concurrency=8,
    timeout_sec=60,
    min_instances=SETTINGS.min_instances,
    secrets=SECRETS,
)
def api(req: https_fn.Request) -> https_fn.Response:
    """Everything under /api/** (Hosting rewrites it here)."""
    return cloud_functions.handle_http(req)


# The project's default bucket, resolved by `firebase deploy` (so importing this file needs no bucket).
@storage_fn.on_object_finalized(
    bucket=params.STORAGE_BUCKET,
    memory=options.MemoryOption.GB_1,
    cpu=1,
    concurrency=8,
    timeout_sec=120,
    secrets=SECRETS,
)
def classify_upload(event: storage_fn.CloudEvent[storage_fn.StorageObjectData]) -> None:
    """Mobile path: an image uploaded with the Storage SDK to uploads/<uid>/<name>."""
    cloud_functions.handle_storage_upload(event)


# A task queue (Cloud Tasks) named after the function, hence a name of letters only. Each chunk is one task;
# an instance classifies one chunk at a time (one CPU), the queue's limits are settings.
@tasks_fn.on_task_dispatched(
    rate_limits=options.RateLimits(
        max_concurrent_dispatches=SETTINGS.bulk_queue_concurrency,
        max_dispatches_per_second=SETTINGS.bulk_queue_per_second,
    ),
    retry_config=options.RetryConfig(
        max_attempts=SETTINGS.bulk_queue_attempts, min_backoff_seconds=1, max_backoff_seconds=300
    ),
    memory=options.MemoryOption.GB_1,
    cpu=1,
    concurrency=1,
    timeout_sec=540,
    secrets=SECRETS,  # a job may ask for second opinions
)
def bulkchunk(req: tasks_fn.CallableRequest) -> dict:
    """One chunk of an org's bulk job (POST /api/orgs/<org>/jobs queues them)."""
    return cloud_functions.handle_bulk_chunk(req.data)


# The notice that a bulk job ended, for the org's webhook: a queue of its own, so that a slow or failing
# receiver never holds up a chunk, and its retries (with backoff) are bounded by a setting.
@tasks_fn.on_task_dispatched(
    retry_config=options.RetryConfig(
        max_attempts=SETTINGS.webhook_attempts, min_backoff_seconds=10, max_backoff_seconds=600
    ),
    memory=options.MemoryOption.MB_256,
    concurrency=1,  # a fraction of a CPU at 256 MB: one delivery at a time, as Cloud Run requires then
    timeout_sec=60,
)
def jobnotice(req: tasks_fn.CallableRequest) -> dict:
    """POST a job's end to the org's webhook (service/webhooks.py queues these)."""
    return cloud_functions.handle_job_notice(req.data)


# An organisation's own model is untrusted input: validated here, apart from `api` (whose worst case already
# uses ~600 MB of its 1 GiB), and within this function in a limited child process (ml/model_sandbox.py).
@storage_fn.on_object_finalized(
    bucket=params.STORAGE_BUCKET,
    memory=options.MemoryOption.GB_2,
    cpu=1,
    concurrency=1,
    timeout_sec=300,
)
def validate_model_version(event: storage_fn.CloudEvent[storage_fn.StorageObjectData]) -> None:
    """A registered version's file at orgs/<org>/models/versions/<version>/model.tflite: ready or rejected."""
    cloud_functions.handle_model_version(event)
