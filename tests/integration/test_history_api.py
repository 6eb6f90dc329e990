"""History, the stored image, deletion and feedback: each user sees and changes only their own."""

import requests

from support import emulators
from support.emulators import API


def test_history_is_newest_first_and_pages_with_a_cursor(user, classified):
    docs = classified(3)
    first = requests.get(f"{API}/classifications", params={"limit": 2}, headers=user.headers, timeout=30).json()
    assert [item["id"] for item in first["items"]] == [docs[2]["id"], docs[1]["id"]]
    assert first["nextCursor"]
    second = requests.get(
        f"{API}/classifications", params={"limit": 2, "cursor": first["nextCursor"]}, headers=user.headers, timeout=30
    ).json()
    assert [item["id"] for item in second["items"]] == [docs[0]["id"]]
    assert second["nextCursor"] is None


def test_history_rejects_bad_paging_parameters(user):
    for params in ({"limit": 0}, {"limit": 1000}, {"limit": "ten"}, {"cursor": "!!!"}):
        response = requests.get(f"{API}/classifications", params=params, headers=user.headers, timeout=30)
        assert response.status_code == 400, params


def test_one_item_and_its_image(user, classified):
    [doc] = classified(1)
    item = requests.get(f"{API}/classifications/{doc['id']}", headers=user.headers, timeout=30)
    assert item.status_code == 200 and item.json()["id"] == doc["id"]
    image = requests.get(f"{API}{doc['imageUrl'].removeprefix('/api')}", headers=user.headers, timeout=30)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"


def test_an_item_whose_image_is_missing_answers_404_for_the_image(user, classified):
    [doc] = classified(1)
    emulators.bucket().blob(doc["imagePath"]).delete()
    image = requests.get(f"{API}/classifications/{doc['id']}/image", headers=user.headers, timeout=30)
    assert image.status_code == 404, image.text
    assert image.json()["error"]["code"] == "image-not-found"


def test_another_users_items_are_invisible(user, other_user, classified):
    [doc] = classified(1)
    for method, suffix in (("get", ""), ("get", "/image"), ("delete", ""), ("post", "/feedback")):
        response = requests.request(
            method,
            f"{API}/classifications/{doc['id']}{suffix}",
            headers=other_user.headers,
            json={"correct": True},
            timeout=30,
        )
        assert response.status_code == 404, (method, suffix)
    assert requests.get(f"{API}/classifications", headers=other_user.headers, timeout=30).json()["items"] == []
    assert emulators.firestore().document("users", user.uid, "classifications", doc["id"]).get().get("feedback") is None


def test_delete_removes_document_and_image(user, classified):
    [doc] = classified(1)
    response = requests.delete(f"{API}/classifications/{doc['id']}", headers=user.headers, timeout=30)
    assert response.status_code == 204
    assert emulators.user_documents(user.uid) == []
    assert emulators.user_objects(user.uid) == []
    again = requests.delete(f"{API}/classifications/{doc['id']}", headers=user.headers, timeout=30)
    assert again.status_code == 404


def test_feedback_confirm_and_correct(user, classified):
    first, second = classified(2)
    confirm = requests.post(
        f"{API}/classifications/{first['id']}/feedback", json={"correct": True}, headers=user.headers, timeout=30
    )
    assert confirm.status_code == 200
    assert confirm.json()["feedback"]["correct"] is True
    correction = "banana" if second["label"] != "banana" or second["abstained"] else "apple"
    fix = requests.post(
        f"{API}/classifications/{second['id']}/feedback", json={"label": correction}, headers=user.headers, timeout=30
    )
    assert fix.status_code == 200
    assert fix.json()["feedback"] == {**fix.json()["feedback"], "label": correction, "correct": False}
    stored = emulators.firestore().document("users", user.uid, "classifications", second["id"]).get().get("feedback")
    assert stored["label"] == correction


def test_feedback_with_an_unknown_label_is_refused(user, classified):
    [doc] = classified(1)
    for body in ({"label": "durian-royale"}, {"correct": "yes"}, {}, []):
        response = requests.post(
            f"{API}/classifications/{doc['id']}/feedback", json=body, headers=user.headers, timeout=30
        )
        assert response.status_code == 400, body
    assert emulators.firestore().document("users", user.uid, "classifications", doc["id"]).get().get("feedback") is None


def test_model_info_is_public():
    body = requests.get(f"{API}/model", timeout=30).json()
    assert body["id"] and body["inputSize"] == 224
    assert "not_fruit" in body["labels"] and "banana" in body["labels"]
    assert 0 < body["abstainThreshold"] < 1


def test_odd_ids_are_simply_not_found(user):
    for doc_id in ("a" * 300, "x y", "a.b", "~"):
        response = requests.get(f"{API}/classifications/{doc_id}", headers=user.headers, timeout=30)
        assert response.status_code == 404, doc_id
        assert response.json()["error"]["code"] == "not-found"
