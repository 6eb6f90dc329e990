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
