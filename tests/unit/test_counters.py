"""Aggregates: deltas on write and merging of shards."""

import datetime as dt

from google.cloud.firestore import Increment

from fruitclf.data import counters, sharded


def value(increment: Increment):
    return increment.value


def test_a_classification_adds_to_every_aggregate_and_a_delete_takes_it_back():
    doc = {
        "label": "kiwi",
        "confidence": 0.93,
        "abstained": False,
        "createdAt": dt.datetime(2026, 11, 28, tzinfo=dt.UTC),
        "feedback": {"correct": True},
    }
    add, remove = counters.for_classification(doc, +1), counters.for_classification(doc, -1)
    assert value(add["total"]) == 1 and value(remove["total"]) == -1
    assert value(add["perLabel"]["kiwi"]) == 1
    assert value(add["perDay"]["2026-11-28"]) == 1
    assert value(add["confidenceHist"]["9"]) == 1
    assert value(add["feedbackCorrect"]) == 1 and value(remove["feedbackN"]) == -1


def test_changing_feedback_moves_only_the_difference():
    doc = {"modelVersion": "acme/v2", "feedback": {"correct": True}}
    delta = counters.for_feedback(doc, {"correct": False, "label": "lime"})
    assert (value(delta["feedbackN"]), value(delta["feedbackCorrect"])) == (0, -1)
    first = counters.for_feedback({"modelVersion": "acme/v2", "feedback": None}, {"correct": True})
    assert (value(first["feedbackN"]), value(first["feedbackCorrect"])) == (1, 1)
    per_model = first["perModel"]["acme/v2"]
    assert (value(per_model["feedbackN"]), value(per_model["feedbackCorrect"])) == (1, 1)


def test_each_classification_counts_for_the_model_that_made_it_with_its_latency():
    doc = {"label": "kiwi", "confidence": 0.4, "abstained": True, "modelVersion": "acme/v1.2", "feedback": None}
    add = counters.for_classification({**doc, "timings": {"total": 42.0}}, +1)["perModel"]["acme/v1.2"]
    assert (value(add["requests"]), value(add["abstained"]), value(add["feedbackN"])) == (1, 1, 0)
    assert {k: value(v) for k, v in add["latencyHist"].items()} == {counters.latency_bucket(42.0): 1}
    untimed = counters.for_classification({**doc, "modelVersion": None}, -1)["perModel"]["unknown"]
    assert value(untimed["requests"]) == -1 and "latencyHist" not in untimed


def test_confidence_bins_cover_zero_to_one():
    assert [counters.confidence_bin(c) for c in (0.0, 0.05, 0.5, 0.999, 1.0)] == ["0", "0", "5", "9", "9"]


def test_shards_merge_field_by_field():
    merged = sharded.merge(
        [{"total": 2, "perLabel": {"kiwi": 2}}, {"total": 1, "perLabel": {"kiwi": 1, "lime": 1}}, {}]
    )
    assert merged == {"total": 3, "perLabel": {"kiwi": 3, "lime": 1}}
    nested = sharded.merge([{"perModel": {"a/v1": {"requests": 1, "latencyHist": {"3": 1}}}}] * 2)
    assert nested == {"perModel": {"a/v1": {"requests": 2, "latencyHist": {"3": 2}}}}
