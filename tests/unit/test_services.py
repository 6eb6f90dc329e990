"""The services' rules against an in-memory data layer (tests/unit/fake_data.py): every door's admission, the
classify pipeline's all-or-nothing writes, history and feedback, organisations and limits. No emulators."""

from __future__ import annotations

import io
import types

import pytest
from PIL import Image

from fake_data import FakeData
from fruitclf.data import accounts
from fruitclf.data.accounts import Account
from fruitclf.doors import upload_trigger
from fruitclf.errors import ApiError
from fruitclf.service import access, classify, history, invitations, members, orgs, stats
from fruitclf.service.identity import Caller


@pytest.fixture
def data(monkeypatch, use_settings, classifier) -> FakeData:
    monkeypatch.setattr(orgs, "_cache", {})
    use_settings(openai_api_key="", rate_limit_per_minute=3, storage_bucket="demo-fruit.appspot.com")
    return FakeData().install(monkeypatch)


def photo(color=(230, 120, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(out, "JPEG", comment=b"<b>from the camera</b>")
    return out.getvalue()


ALICE = Caller(uid="alice", email="alice@fruit.test", anonymous=False, org=None, role=None)


def member(org: str, role: str = "member", uid: str = "bob") -> Caller:
    return Caller(uid=uid, email=f"{uid}@fruit.test", anonymous=False, org=org, role=role)


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


# -- classify: one path for every door


def test_a_classified_photo_is_stored_with_its_image_and_counted(data):
    doc = classify.classify_image(ALICE, photo, source="web")
    stored = data.classifications["alice"][doc["id"]]
    assert stored["label"] == doc["label"] and len(stored["topk"]) == 3 and stored["source"] == "web"
    assert b"from the camera" not in data.objects[doc["imagePath"]], "the stored copy has no metadata"
    assert data.summaries["alice"]["total"] == 1
    scopes, counts = data.ops[-1]
    assert scopes == ["all"] and counts["requests"] == 1 and not {"errors", "rejected"} & set(counts)


def test_over_the_limit_nothing_is_read_or_written(data):
    for _ in range(3):
        classify.classify_image(ALICE, photo, source="web")
    read = []
    error = refused(classify.classify_image, ALICE, lambda: read.append(1) or photo(), source="web")
    assert (error.status, error.code) == (429, "rate-limited") and int(error.headers["Retry-After"]) >= 1
    assert read == [], "a refused caller's upload is not even parsed"
    assert len(data.classifications["alice"]) == 3
    assert data.ops[-1][1] == {"rateLimited": 1}


def test_a_disabled_feature_refuses_before_any_work(data):
    data.org_docs["acme"] = {"name": "Acme", "features": ["analytics"], "modelId": None, "requestsPerMinute": None}
    error = refused(classify.classify_image, member("acme"), photo, source="web")
    assert (error.status, error.code) == (403, "feature-disabled")
    assert data.classifications == {} and data.objects == {}


def test_an_image_that_cannot_be_read_writes_nothing_and_counts_as_rejected(data):
    error = refused(classify.classify_image, ALICE, lambda: b"not a picture", source="web")
    assert (error.status, error.code) == (415, "unsupported-image")
    assert data.classifications == {} and data.objects == {}
    assert data.ops[-1][1]["rejected"] == 1


def test_a_write_that_landed_though_its_answer_was_lost_is_one_whole_classification(data):
    data.lose_next_answer = True
    doc = classify.classify_image(ALICE, photo, source="web")
    assert list(data.classifications["alice"]) == [doc["id"]] and data.summaries["alice"]["total"] == 1
    assert list(data.objects) == [doc["imagePath"]], "the image stays with its document"


def test_a_write_still_unknown_when_the_request_gives_up_is_settled_in_the_background(data):
    data.failing_writes = 2  # the write and its retry within the request
    with pytest.raises(Exception, match="firestore is down"):
        classify.classify_image(ALICE, photo, source="web")
    assert data.ops[-1][1]["errors"] == 1
    classify._settling.submit(lambda: None).result()  # one worker: the settling write has run
    [doc] = data.classifications["alice"].values()
    assert list(data.objects) == [doc["imagePath"]] and data.summaries["alice"]["total"] == 1


def test_a_failure_before_the_document_write_removes_the_uploaded_image(data, monkeypatch):
    def vision_model_down(*_args):
        raise RuntimeError("the vision model is down")

    monkeypatch.setattr(classify.opinion, "ask", vision_model_down)
    monkeypatch.setattr(classify.opinion, "available", lambda: True)
    with pytest.raises(RuntimeError, match="vision model is down"):
        classify.classify_image(ALICE, photo, source="web", second_opinion=True)
    assert data.objects == {} and data.classifications == {}
    assert data.ops[-1][1]["errors"] == 1


def test_the_storage_trigger_enters_through_the_same_limits(data):
    data.accounts["alice"] = Account(uid="alice", email="alice@fruit.test", claims={}, anonymous=False)
    for n in range(4):
        data.objects[f"uploads/alice/{n}.jpg"] = photo()
        event = types.SimpleNamespace(name=f"uploads/alice/{n}.jpg", generation=1, bucket="demo-fruit.appspot.com")
        upload_trigger.on_upload(event)
    assert len(data.classifications["alice"]) == 3, "the fourth upload in the minute is over RATE_LIMIT"
    [refusal] = data.upload_errors["alice"].values()
    assert refusal["error"]["code"] == "rate-limited" and refusal["uploadPath"] == "uploads/alice/3.jpg"
    assert not [path for path in data.objects if path.startswith("uploads/")], "every upload is removed"


def test_a_replayed_upload_is_classified_once(data):
    data.objects["uploads/alice/a.jpg"] = photo()
    first = classify.classify_stored_upload(ALICE, "uploads/alice/a.jpg", source="mobile")
    data.objects["uploads/alice/a.jpg"] = photo()  # the same object delivered again
    again = classify.classify_stored_upload(ALICE, "uploads/alice/a.jpg", source="mobile")
    assert again["id"] == first["id"] and len(data.classifications["alice"]) == 1


# -- history and feedback


def test_feedback_confirms_or_corrects_with_one_of_the_model_s_labels(data):
    doc = classify.classify_image(ALICE, photo, source="web")
    confirmed = history.give_feedback(ALICE, doc["id"], correct=True, label=None)
    assert confirmed["feedback"]["correct"] is True and confirmed["feedback"]["label"] == doc["label"]
    unknown = refused(history.give_feedback, ALICE, doc["id"], correct=False, label="dragonfruit-xl")
    assert (unknown.status, unknown.code) == (400, "unknown-label")
    empty = refused(history.give_feedback, ALICE, doc["id"], correct=False, label=None)
    assert empty.code == "invalid-feedback"
    other = "banana" if doc["label"] != "banana" else "apple"
    corrected = history.give_feedback(ALICE, doc["id"], correct=False, label=other)
    assert corrected["feedback"] == {**corrected["feedback"], "correct": False, "label": other}
    assert data.summaries["alice"]["feedbackN"] == 1 and data.summaries["alice"]["feedbackCorrect"] == 0


def test_deleting_removes_the_document_its_image_and_its_counts(data):
    doc = classify.classify_image(ALICE, photo, source="web")
    history.delete("alice", doc["id"])
    assert data.classifications["alice"] == {} and data.objects == {}
    assert stats.for_user(ALICE)["total"] == 0
    assert refused(history.get, "alice", doc["id"]).status == 404


def test_pages_are_between_one_and_a_hundred_items(data):
    for limit in (0, 101):
        assert refused(history.page, "alice", limit, None).code == "invalid-limit"
    for color in ((1, 2, 3), (200, 30, 40)):
        classify.classify_image(ALICE, lambda c=color: photo(c), source="web")
    first, cursor = history.page("alice", 1, None)
    second, end = history.page("alice", 1, cursor)
    assert len(first) == len(second) == 1 and first[0]["id"] != second[0]["id"] and end is None


# -- organisations


def test_only_an_admin_of_the_org_passes_the_admin_check():
    access.require_admin(member("acme", "admin"), "acme")
    for caller, org_id in ((member("acme"), "acme"), (member("globex", "admin"), "acme"), (ALICE, None)):
        assert refused(access.require_admin, caller, org_id).code == "not-org-admin"
    assert refused(access.require_member, ALICE, "acme").code == "not-org-member"


def never_read():
    raise AssertionError("a refused caller's body was read")


@pytest.mark.parametrize(
    "act",
    [
        lambda caller: orgs.update(caller, "acme", never_read),
        lambda caller: members.listing(caller, "acme"),
        lambda caller: members.change_role(caller, "acme", never_read),
        lambda caller: members.remove(caller, "acme", "carol"),
        lambda caller: invitations.invite(caller, "acme", never_read),
        lambda caller: invitations.pending_for_org(caller, "acme"),
        lambda caller: invitations.withdraw(caller, "acme", "acme--x"),
        lambda caller: stats.for_org(caller, "acme"),
    ],
    ids=["update", "members", "change-role", "remove", "invite", "invitations", "withdraw", "stats"],
)
def test_every_org_action_is_for_its_admins_whichever_door(data, act):
    """The services decide, so the HTTP routes and any other door get the same answer."""
    assert refused(act, member("acme")).code == "not-org-admin"
    assert refused(act, member("globex", "admin")).code == "not-org-admin"


def test_an_org_s_feedback_export_is_for_its_admins(data):
    assert refused(history.feedback_examples, member("acme"), whole_org=True).code == "not-org-admin"


def test_a_new_org_follows_the_rate_limit_setting_until_it_sets_its_own(data, monkeypatch):
    orgs.create("acme", "Acme")
    assert data.org_docs["acme"]["requestsPerMinute"] is None
    assert orgs.config_for(member("acme")).requests_per_minute == 3
    admin = member("acme", "admin")
    orgs.update(admin, "acme", lambda: {"requestsPerMinute": 1})
    assert orgs.config_for(member("acme")).to_dict()["requestsPerMinute"] == 1
    for bad in ({"requestsPerMinute": 0}, {"requestsPerMinute": True}, {"features": ["teleport"]}, {"owner": "me"}):
        assert refused(orgs.update, admin, "acme", lambda bad=bad: bad).code == "invalid-org-field"


def test_an_org_is_created_with_its_first_admin_or_not_at_all(data, monkeypatch):
    data.accounts["bob"] = Account(uid="bob", email="bob@fruit.test", claims={"org": "globex"}, anonymous=False)
    assert refused(members.create_with_admin, "acme", "Acme", "bob@fruit.test").code == "in-another-org"
    assert "acme" not in data.org_docs, "checked before anything is written"
    data.accounts["carol"] = Account(uid="carol", email="carol@fruit.test", claims={}, anonymous=False)

    def auth_down(uid: str, claims: dict) -> None:
        raise ApiError(503, "unavailable", "Auth is down")

    monkeypatch.setattr(accounts, "set_claims", auth_down)
    assert refused(members.create_with_admin, "acme", "Acme", "carol@fruit.test").status == 503
    assert "acme" not in data.org_docs and "acme" not in data.org_members, "an org whose admin failed is removed"


def test_an_org_limit_refuses_its_members_together(data):
    data.org_docs["acme"] = {"name": "Acme", "features": ["classification"], "modelId": None, "requestsPerMinute": 1}
    classify.classify_image(member("acme", uid="bob"), photo, source="web")
    error = refused(classify.classify_image, member("acme", uid="carol"), photo, source="web")
    assert error.code == "rate-limited" and "organisation" in error.message


def test_admins_cannot_remove_themselves(data):
    assert refused(members.remove, member("acme", "admin", uid="bob"), "acme", "bob").code == "cannot-remove-self"
