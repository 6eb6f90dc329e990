"""training.feedback reads the feedback export in both formats and keeps only the photos that teach a label."""

import csv
import io
import json
import pathlib

from training import feedback

ROWS = [
    {"id": "a", "imagePath": "users/u/a.jpg", "modelLabel": "apple", "correctedLabel": "pear", "correct": False},
    {"id": "b", "imagePath": "users/u/b.jpg", "modelLabel": "lime", "correctedLabel": None, "correct": True},
    {"id": "c", "imagePath": "users/u/c.jpg", "modelLabel": "kiwi", "correctedLabel": None, "correct": None},
    {"id": "d", "imagePath": "users/u/d.jpg", "modelLabel": "kiwi", "correctedLabel": "durian", "correct": False},
    {"id": "e", "imagePath": "users/u/gone.jpg", "modelLabel": "kiwi", "correctedLabel": "melon", "correct": False},
]


def write_csv(path: pathlib.Path) -> None:
    from fruitclf.web.routes.export import COLUMNS

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**dict.fromkeys(COLUMNS, None), **row} for row in ROWS)
    path.write_text(out.getvalue())


def test_both_export_formats_read_alike(tmp_path):
    (tmp_path / "f.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    write_csv(tmp_path / "f.csv")
    as_jsonl, as_csv = feedback.read_export(tmp_path / "f.jsonl"), feedback.read_export(tmp_path / "f.csv")
    labels = [feedback.example_label(row) for row in as_jsonl]
    assert labels == [feedback.example_label(row) for row in as_csv] == ["pear", "lime", None, "durian", "melon"]


def test_fetch_keeps_corrected_and_confirmed_photos_and_lists_the_rest(tmp_path):
    for name in ("a", "b", "c", "d"):
        (tmp_path / "images" / "users" / "u").mkdir(parents=True, exist_ok=True)
        (tmp_path / "images" / "users" / "u" / f"{name}.jpg").write_bytes(name.encode())
    result = feedback.fetch(ROWS, tmp_path / "out", ["apple", "pear", "lime", "kiwi", "melon"], tmp_path / "images")
    assert result["kept"] == {"a": "pear", "b": "lime"}
    assert [(s["id"], "durian" in s["reason"] or "gone.jpg" in s["reason"]) for s in result["skipped"]] == [
        ("d", True),
        ("e", True),
    ]
    assert (tmp_path / "out" / "pear" / "a").read_bytes() == b"a"
    assert sorted(p.parent.name for p in (tmp_path / "out").glob("*/*")) == ["lime", "pear"]
