"""The monitoring files in ops/ refer to things that exist: metrics Cloud Run publishes for the function, log-based
metrics defined next to them, and log fields the function really writes."""

import json
import re
from pathlib import Path

import pytest
import yaml

from fruitclf.doors.cloud_logging import CloudLoggingFormatter

ROOT = Path(__file__).resolve().parents[2]
ALERTS = sorted((ROOT / "ops" / "alerts").glob("*.json"))
LOG_METRICS = {
    path.stem: yaml.safe_load(path.read_text()) for path in sorted((ROOT / "ops" / "metrics").glob("*.yaml"))
}
# Cloud Functions (2nd gen) run as Cloud Run services named after the function; these are the Cloud Run metrics used.
CLOUD_RUN_METRICS = {"run.googleapis.com/request_count", "run.googleapis.com/request_latencies"}
DECLARED_FUNCTIONS = set(re.findall(r"^def (\w+)\(", (ROOT / "functions" / "main.py").read_text(), re.M))


def condition_filters(policy: dict) -> list[str]:
    filters = []
    for condition in policy["conditions"]:
        threshold = condition["conditionThreshold"]
        filters += [
            threshold["filter"],
            *([threshold["denominatorFilter"]] if "denominatorFilter" in threshold else []),
        ]
    return filters


def cloud_run_service_names(log_or_metric_filter: str) -> set[str]:
    return set(re.findall(r'resource\.labels?\.service_name="([^"]+)"', log_or_metric_filter))


def test_there_are_policies_for_errors_latency_and_rate_limits():
    metric_types = {
        re.search(r'metric\.type="([^"]+)"', f).group(1)
        for p in ALERTS
        for f in condition_filters(json.loads(p.read_text()))
    }
    assert metric_types == CLOUD_RUN_METRICS | {f"logging.googleapis.com/user/{name}" for name in LOG_METRICS}


@pytest.mark.parametrize("path", ALERTS, ids=lambda p: p.name)
def test_alert_policy_uses_known_metrics_of_declared_functions(path):
    policy = json.loads(path.read_text())
    assert policy["displayName"] and policy["documentation"]["content"]
    for metric_filter in condition_filters(policy):
        metric_type = re.search(r'metric\.type="([^"]+)"', metric_filter).group(1)
        user_metric = metric_type.removeprefix("logging.googleapis.com/user/")
        assert metric_type in CLOUD_RUN_METRICS or user_metric in LOG_METRICS, (
            f"{path.name}: unknown metric {metric_type}"
        )
        # Cloud Run service names are the function names (lowercase, '_' becomes '-').
        assert cloud_run_service_names(metric_filter) <= {name.replace("_", "-") for name in DECLARED_FUNCTIONS}


def sample_log_line(event: str, caplog) -> dict:
    """The log line the function writes for `event`, as it writes it."""
    with caplog.at_level("INFO"):
        if event == "request":
            from fruitclf.web.app import create_app

            create_app().test_client().get("/api/health")
        elif event == "bulk-chunk":
            from collections import Counter

            from fruitclf.service import bulk

            bulk._logged("acme", "job1", 0, "done", Counter(done=3, failed=1), 0.0)
    # The lines as Cloud Logging reads them (doors/cloud_logging.py).
    lines = [json.loads(CloudLoggingFormatter().format(record)) for record in caplog.records]
    lines = [line for line in lines if line.get("event") == event]
    assert lines, f"the function wrote no {event} log line"
    return lines[0]


@pytest.mark.parametrize("name", sorted(LOG_METRICS))
def test_log_metric_reads_fields_the_log_line_has(name, caplog):
    metric = LOG_METRICS[name]
    assert metric["metricDescriptor"]["metricKind"] == "DELTA"
    assert cloud_run_service_names(metric["filter"]) <= {name.replace("_", "-") for name in DECLARED_FUNCTIONS}
    event = re.search(r'jsonPayload\.event="([^"]+)"', metric["filter"]).group(1)
    line = sample_log_line(event, caplog)
    for field in re.findall(r"jsonPayload\.(\w+)\s*[=<>]", metric["filter"]):
        assert field in line, f"{name} filters on jsonPayload.{field}, which the {event} log line lacks"
