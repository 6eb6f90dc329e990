"""Cloud Functions of the Fruit Classification System: declarations only.

The logic lives in the importable `fruitclf` package; importing it is cheap (no model,
no clients) so that deploy-time discovery and cold starts stay fast.
"""

from firebase_functions import https_fn, options, storage_fn

from fruitclf.config import OPENAI_API_KEY
from fruitclf.doors import cloud_functions

options.set_global_options(region="us-central1", max_instances=20)


@https_fn.on_request(memory=options.MemoryOption.GB_1, cpu=1, concurrency=8, timeout_sec=60, secrets=[OPENAI_API_KEY])
def api(req: https_fn.Request) -> https_fn.Response:
    """Everything under /api/** (Hosting rewrites it here)."""
    return cloud_functions.handle_http(req)


@storage_fn.on_object_finalized(memory=options.MemoryOption.GB_1, timeout_sec=120, secrets=[OPENAI_API_KEY])
def classify_upload(event: storage_fn.CloudEvent[storage_fn.StorageObjectData]) -> None:
    """Mobile path: an image uploaded with the Storage SDK to uploads/<uid>/<name>."""
    cloud_functions.handle_storage_upload(event)
