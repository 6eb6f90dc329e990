"""A re-classification's comparison: what each outcome records beside the stored answer, and the job's summary."""

from fruitclf.data.sharded import merge
from fruitclf.service import reclassify


def stored(label, abstained=False, feedback=None):
    return {"label": label, "confidence": 0.9, "abstained": abstained, "modelVersion": "old", "feedback": feedback}


def answer(label, abstained=False):
    return {"label": label, "confidence": 0.8, "topk": [], "abstained": abstained, "modelVersion": "acme/v2"}


def test_an_unchanged_answer_counts_as_agreement_and_keeps_the_stored_one_beside_it():
    fields, counts = reclassify.compared(stored("apple"), answer("apple"))
    assert fields["previous"] == {"label": "apple", "confidence": 0.9, "abstained": False, "modelVersion": "old"}
    assert (fields["changed"], fields["feedbackLabel"]) == (False, None)
    assert counts == {"compared.same": 1}


def test_an_abstention_is_compared_as_not_fruit_the_way_feedback_judges_it():
    fields, counts = reclassify.compared(stored("apple", abstained=True), answer("banana"))
    assert fields["changed"] is True
    assert counts == {"compared.changed": 1, "changes.not_fruit>banana": 1}


def test_feedback_scores_both_models_against_the_users_label():
    feedback = {"correct": False, "label": "banana"}
    _, counts = reclassify.compared(stored("apple", feedback=feedback), answer("banana"))
    assert counts["feedback.items"] == 1
    assert (counts["feedback.previousRight"], counts["feedback.newRight"]) == (0, 1)


def test_the_summary_adds_up_shards_into_a_rate_the_changes_and_the_feedback_score():
    shards = [
        {
            "compared": {"same": 3, "changed": 1},
            "changes": {"apple>banana": 1},
            "feedback": {"items": 1, "newRight": 1},
        },
        {"compared": {"same": 1, "changed": 3}, "changes": {"apple>banana": 1, "kiwi>lime": 2}},
    ]
    summary = reclassify.summary(merge(shards))
    assert (summary["same"], summary["changed"], summary["agreement"]) == (4, 4, 0.5)
    assert summary["changes"] == [
        {"from": "apple", "to": "banana", "count": 2},
        {"from": "kiwi", "to": "lime", "count": 2},
    ]
    assert summary["feedback"] == {"items": 1, "previousRight": 0, "newRight": 1}


def test_a_job_with_no_outcome_yet_has_no_agreement_rate():
    assert reclassify.summary({})["agreement"] is None
