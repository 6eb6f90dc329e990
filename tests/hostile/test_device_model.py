"""Attacks on the on-device model door (GET /api/me/model and /api/me/model/file): an org's model file goes only
to the users it serves, with their ID token. Another org's member, a caller without a token, a version that may
not serve (rejected) and a stored file that is not the one registered each get a clear refusal and never the
bytes, nothing is written, and the API keeps answering."""

import hashlib

import pytest

from hostile import attack
from support import emulators
from support import org_models as om
from support import tflite_models as tm

LABELS = ["red-apple", "green-pear", "blue-plum"]
DOORS = ["/me/model", "/me/model/file"]


@pytest.fixture
def our_model(org, admin) -> bytes:
    """Our org's pinned, ready version; the file's bytes."""
    model = tm.classifier(classes=len(LABELS))
    om.upload(org, "v1", LABELS, model)
    assert om.register(admin, org, "v1").status_code == 202
    assert om.decided(org, "v1")["status"] == "ready"
    assert om.pin(admin, org, "v1").status_code == 200
    return model


def refused(send, status: int, code: str | None, secret: bytes) -> None:
    response = send()
    attack.assert_refused(response, status, code)
    assert secret not in response.content
    assert attack.api("GET", "/health").status_code == 200, "the API kept answering"


@pytest.mark.parametrize("door", DOORS)
def test_no_token_gets_nothing(org, our_model, door):
    with attack.nothing_written(orgs=(org,)):
        refused(lambda: attack.api("GET", door), 401, "unauthenticated", our_model)


@pytest.mark.parametrize("door", DOORS)
def test_a_forged_token_claiming_our_org_gets_nothing(org, our_model, door):
    forged = emulators.unsigned_token({"user_id": "intruder", "sub": "intruder", "org": org, "role": "admin"})
    with attack.nothing_written(orgs=(org,)):
        refused(lambda: attack.api("GET", door, forged), 401, None, our_model)


@pytest.mark.parametrize("query", ["", "?org={org}&version=v1", "?sha256={sha}"])
def test_another_orgs_member_never_gets_our_file(org, our_model, query):
    other = emulators.make_org()
    outsider = emulators.join_org(emulators.sign_up(), other, "member")
    path = "/me/model/file" + query.format(org=org, sha=hashlib.sha256(our_model).hexdigest())
    with attack.nothing_written(outsider, orgs=(org, other)):
        refused(lambda: attack.api("GET", path, outsider), 404, "no-org-model", our_model)
    described = attack.api("GET", "/me/model", outsider).json()
    assert described["version"] is None and org not in str(described)


def test_another_orgs_member_gets_their_own_model_never_ours(org, our_model):
    other = emulators.make_org()
    other_admin = emulators.join_org(emulators.sign_up(), other, "admin")
    theirs = tm.classifier(classes=4, bias=0.25)
    assert om.add_version(other_admin, other, "v1", ["a", "b", "c", "d"], theirs)["status"] == "ready"
    assert om.pin(other_admin, other, "v1").status_code == 200
    outsider = emulators.join_org(emulators.sign_up(), other, "member")
    file = attack.api("GET", "/me/model/file", outsider)
    assert file.status_code == 200 and file.content == theirs and file.content != our_model
    assert attack.api("GET", "/me/model", outsider).json()["id"] == f"{other}/v1"


@pytest.mark.parametrize("door", DOORS)
def test_a_rejected_version_pinned_behind_the_api_is_never_sent(door):
    # The API never pins a rejected version; a document edited by hand must still not put its file on devices.
    org_id = emulators.make_org()
    admin = emulators.join_org(emulators.sign_up(), org_id, "admin")
    model = tm.classifier(classes=2)  # two classes, three labels: the validator rejects it
    assert om.add_version(admin, org_id, "bad", LABELS, model)["status"] == "rejected"
    emulators.firestore().document("orgs", org_id).update({"modelVersion": "bad"})
    member = emulators.join_org(emulators.sign_up(), org_id, "member")
    with attack.nothing_written(member, orgs=(org_id,)):
        refused(lambda: attack.api("GET", door, member), 503, "org-model-unavailable", model)


def test_a_stored_file_that_is_not_the_registered_one_is_never_sent(org, our_model, member):
    swapped = tm.classifier(classes=len(LABELS), bias=1.0)
    emulators.bucket().blob(f"orgs/{org}/models/versions/v1/model.tflite").upload_from_string(swapped)
    with attack.nothing_written(member, orgs=(org,)):
        refused(lambda: attack.api("GET", "/me/model/file", member), 503, "org-model-unavailable", swapped)
