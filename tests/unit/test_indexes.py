"""The emulator does not enforce composite indexes, so check firestore.indexes.json against the queries the
code runs: every query that filters on one field and orders on another needs a composite index."""

import json
from pathlib import Path

INDEXES = json.loads((Path(__file__).resolve().parents[2] / "firestore.indexes.json").read_text())["indexes"]

# (collection group, scope, [(field, order)...]) for each query in functions/fruitclf/data/store.py that needs one.
QUERIES_NEEDING_INDEXES = [
    (
        "classifications",
        "COLLECTION",
        [("hasFeedback", "ASCENDING"), ("createdAt", "DESCENDING")],
    ),  # a user's feedback export
    (
        "classifications",
        "COLLECTION_GROUP",
        [("org", "ASCENDING"), ("hasFeedback", "ASCENDING"), ("createdAt", "DESCENDING")],
    ),  # an org's export
]


def test_every_composite_query_has_its_index():
    declared = {
        (index["collectionGroup"], index["queryScope"], tuple((f["fieldPath"], f["order"]) for f in index["fields"]))
        for index in INDEXES
    }
    for group, scope, fields in QUERIES_NEEDING_INDEXES:
        assert (group, scope, tuple(fields)) in declared, f"missing index for {group} ({scope}) on {fields}"


def test_the_query_shapes_listed_here_are_the_ones_in_store():
    source = (Path(__file__).resolve().parents[2] / "functions" / "fruitclf" / "data" / "store.py").read_text()
    assert 'collection_group("classifications").where("org", "==", org_id)' in source
    assert (
        'query.where("hasFeedback", "==", True).order_by("createdAt", direction=firestore.Query.DESCENDING)' in source
    )
    assert source.count("order_by(") == 2, (
        "a new ordered query: add its index to firestore.indexes.json and to this test"
    )


def test_the_orgs_history_query_has_its_collection_group_field_index():
    """A re-classification job lists an org's history with a collection-group equality on `org`: Firestore
    serves that only from a single-field index in collection-group scope, which is off unless declared."""
    overrides = json.loads((Path(__file__).resolve().parents[2] / "firestore.indexes.json").read_text())
    [org_field] = [
        o for o in overrides["fieldOverrides"] if (o["collectionGroup"], o["fieldPath"]) == ("classifications", "org")
    ]
    scopes = {(index["order"], index["queryScope"]) for index in org_field["indexes"]}
    assert ("ASCENDING", "COLLECTION_GROUP") in scopes
    assert ("ASCENDING", "COLLECTION") in scopes, "an override replaces the defaults: keep the collection scope"
