"""The function manifest `firebase deploy` discovers: firebase-tools starts the SDK's admin server
(firebase_functions/private/serving.py) in functions/ and reads /__/functions.yaml. Each case runs in a fresh
process, with only the environment deploy gives it (FIREBASE_CONFIG plus functions/.env settings)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
ROOT = FUNCTIONS.parent
READ_MANIFEST = """
from firebase_functions.private import serving
response = serving.serve_admin().test_client().get("/__/functions.yaml")
assert response.status_code == 200, response.status_code
print(response.get_data(as_text=True))
"""


def manifest(**settings: str) -> dict:
    # A new project before Storage is set up: FIREBASE_CONFIG names no bucket.
    env = {
        "PATH": os.environ["PATH"],
        "GCLOUD_PROJECT": "my-fruit",
        "FIREBASE_CONFIG": json.dumps({"projectId": "my-fruit"}),
    }
    result = subprocess.run(
        [sys.executable, "-c", READ_MANIFEST],
        cwd=FUNCTIONS,
        env={**env, **settings},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def default_manifest() -> dict:
    return manifest()


def test_every_function_in_one_region_without_needing_a_bucket(default_manifest):
    endpoints = default_manifest["endpoints"]
    assert set(endpoints) == {"api", "classify_upload", "bulkchunk", "jobnotice", "validate_model_version"}
    assert {tuple(e["region"]) for e in endpoints.values()} == {("us-central1",)}
    assert endpoints["classify_upload"]["eventTrigger"]["eventFilters"] == {"bucket": "{{ params.STORAGE_BUCKET }}"}
    assert endpoints["classify_upload"]["eventTrigger"]["eventType"] == "google.cloud.storage.object.v1.finalized"
    assert "httpsTrigger" in endpoints["api"]
    assert endpoints["validate_model_version"]["eventTrigger"] == endpoints["classify_upload"]["eventTrigger"]


def test_resources_of_each_function(default_manifest):
    api, trigger = default_manifest["endpoints"]["api"], default_manifest["endpoints"]["classify_upload"]
    for endpoint in (api, trigger):
        assert (endpoint["availableMemoryMb"], endpoint["cpu"], endpoint["concurrency"]) == (1024, 1, 8)
        assert endpoint["maxInstances"] == 20
    assert (api["timeoutSeconds"], trigger["timeoutSeconds"]) == (60, 120)
    assert api["minInstances"] == 0


def test_model_validation_has_its_own_memory_apart_from_the_api(default_manifest):
    validation = default_manifest["endpoints"]["validate_model_version"]
    assert (validation["availableMemoryMb"], validation["concurrency"], validation["timeoutSeconds"]) == (2048, 1, 300)


def test_a_first_deploy_asks_for_no_secret(default_manifest):
    assert default_manifest["params"] == []
    for endpoint in default_manifest["endpoints"].values():
        assert endpoint["secretEnvironmentVariables"] == []


def test_openai_secret_is_bound_to_the_classifying_functions_when_asked_for():
    """A bulk job may ask for second opinions; model validation and job notices never do."""
    with_secret = manifest(USE_OPENAI_SECRET="true")
    assert [p["name"] for p in with_secret["params"]] == ["OPENAI_API_KEY"]
    endpoints = with_secret["endpoints"]
    for name in ("api", "classify_upload", "bulkchunk"):
        assert [s["key"] for s in endpoints[name]["secretEnvironmentVariables"]] == ["OPENAI_API_KEY"]
    for name in ("jobnotice", "validate_model_version"):
        assert endpoints[name]["secretEnvironmentVariables"] == []


def test_bulk_queue_limits_are_settings():
    """The queue Cloud Tasks makes for `bulkchunk` takes its rate, concurrency and retries from the settings;
    one instance classifies one chunk at a time."""
    endpoint = manifest(BULK_QUEUE_CONCURRENCY="6", BULK_QUEUE_PER_SECOND="2.5", BULK_QUEUE_ATTEMPTS="7")["endpoints"][
        "bulkchunk"
    ]
    trigger = endpoint["taskQueueTrigger"]
    assert trigger["rateLimits"] == {"maxConcurrentDispatches": 6, "maxDispatchesPerSecond": 2.5}
    assert trigger["retryConfig"]["maxAttempts"] == 7
    assert (endpoint["concurrency"], endpoint["timeoutSeconds"]) == (1, 540)


def test_job_notice_retries_are_a_setting_on_a_queue_of_their_own():
    endpoint = manifest(WEBHOOK_ATTEMPTS="3")["endpoints"]["jobnotice"]
    assert endpoint["taskQueueTrigger"]["retryConfig"]["maxAttempts"] == 3
    assert (endpoint["availableMemoryMb"], endpoint["concurrency"], endpoint["timeoutSeconds"]) == (256, 1, 60)


def test_region_and_instances_are_settings():
    moved = manifest(REGION="europe-west1", MIN_INSTANCES="1", MAX_INSTANCES="5")
    assert {tuple(e["region"]) for e in moved["endpoints"].values()} == {("europe-west1",)}
    assert moved["endpoints"]["api"]["minInstances"] == 1
    assert {e["maxInstances"] for e in moved["endpoints"].values()} == {5}


def test_hosting_rewrites_to_the_region_the_function_is_deployed_to(default_manifest):
    """Hosting names the function's region; a REGION setting must be copied into firebase.json too."""
    rewrite = next(
        r for r in json.loads((ROOT / "firebase.json").read_text())["hosting"]["rewrites"] if "function" in r
    )
    assert [rewrite["function"]["region"]] == default_manifest["endpoints"]["api"]["region"]
