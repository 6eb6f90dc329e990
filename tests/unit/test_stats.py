"""The API's view of a summary (service/stats.py): the last 30 days, rates and means."""

import datetime as dt

from fruitclf.service import stats


def test_stats_show_the_last_30_days_rates_and_means():
    today = dt.date(2026, 11, 28)
    summary = {
        "total": 4,
        "abstained": 1,
        "confidenceSum": 3.0,
        "perLabel": {"kiwi": 3, "lime": 1, "gone": 0},
        "perDay": {"2026-11-28": 3, "2026-11-27": 1, "2026-01-01": 9},
        "confidenceHist": {"9": 3, "0": 1},
        "feedbackN": 2,
        "feedbackCorrect": 1,
    }
    shown = stats.to_stats(summary, today)
    assert shown["perLabel"] == {"kiwi": 3, "lime": 1}
    assert len(shown["perDay"]) == 30 and shown["perDay"][-1] == {"day": "2026-11-28", "count": 3}
    assert shown["perDay"][-2]["count"] == 1, "only the last 30 days are shown"
    assert shown["confidenceHistogram"][0] == 1 and shown["confidenceHistogram"][9] == 3
    assert (shown["meanConfidence"], shown["abstainRate"]) == (0.75, 0.25)
    assert shown["feedback"] == {"n": 2, "correct": 1, "accuracy": 0.5}


def test_each_model_shows_its_requests_abstain_rate_feedback_accuracy_and_latency_side_by_side():
    summary = {
        "perModel": {
            "acme/v1": {"requests": 4, "abstained": 1, "feedbackN": 2, "feedbackCorrect": 1, "latencyHist": {"3": 4}},
            "acme/v2": {
                "requests": 10,
                "abstained": 0,
                "feedbackN": 0,
                "feedbackCorrect": 0,
                "latencyHist": {"1": 9, "8": 1},
            },
            "fruit-lite0-v4": {"requests": 0, "abstained": 0, "feedbackN": 0, "feedbackCorrect": 0},
        }
    }
    v2, v1 = stats.per_model(summary)
    assert v2 == {
        "model": "acme/v2",
        "requests": 10,
        "abstainRate": 0.0,
        "feedback": {"n": 0, "correct": 0, "accuracy": None},
        "latencyMs": {"p50": 20.0, "p95": 100.0},
    }
    assert (v1["model"], v1["abstainRate"], v1["feedback"]["accuracy"], v1["latencyMs"]["p50"]) == (
        "acme/v1",
        0.25,
        0.5,
        40.0,
    )
