"""Bulk jobs under attack: only an admin of the org may start, read, cancel or resume its jobs; a job only ever
reads the org's own bulk folder; malformed bodies and forged task deliveries are refused and write nothing."""

from functools import partial

import pytest
import requests

from hostile import attack
from support import bulk, emulators


@pytest.fixture
def finished_job(org, admin):
    """A job of one image, run to its end (so nothing moves while an attack is checked)."""
    started = bulk.started(admin, org, {"prefix": bulk.upload(org, "hostile", 1)})
    return bulk.wait_until(admin, org, started["id"], lambda job: job["state"] == "done")


@pytest.fixture
def other_admin():
    """The admin of another organisation."""
    return emulators.join_org(emulators.sign_up(), emulators.make_org(), "admin")


def job_requests(org: str, job_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("POST", f"/orgs/{org}/jobs", {"prefix": f"orgs/{org}/bulk/hostile/"}),
        ("GET", f"/orgs/{org}/jobs", None),
        ("GET", f"/orgs/{org}/jobs/{job_id}", None),
        ("POST", f"/orgs/{org}/jobs/{job_id}/cancel", None),
        ("POST", f"/orgs/{org}/jobs/{job_id}/resume", None),
        ("GET", f"/orgs/{org}/jobs/{job_id}/results?format=csv", None),
    ]


ACTIONS = ["start", "list", "read", "cancel", "resume", "results"]


@pytest.mark.parametrize("action", ACTIONS)
def test_a_member_cannot_touch_the_orgs_jobs(org, admin, member, finished_job, action):
    method, path, body = job_requests(org, finished_job["id"])[ACTIONS.index(action)]
    attack.refused(
        partial(attack.api, method, path, member, json=body), 403, "not-org-admin", member, admin, orgs=[org]
    )


@pytest.mark.parametrize("action", ACTIONS)
def test_another_orgs_admin_cannot_touch_the_orgs_jobs(org, admin, other_admin, finished_job, action):
    method, path, body = job_requests(org, finished_job["id"])[ACTIONS.index(action)]
    attack.refused(
        partial(attack.api, method, path, other_admin, json=body), 403, "not-org-admin", other_admin, orgs=[org]
    )


def test_another_orgs_admin_finds_no_such_job_under_their_own_org(org, admin, other_admin, finished_job):
    """Job ids are per org: asking for this org's job under one's own org finds nothing."""
    own = emulators.token_claims(other_admin.token)["org"]
    for method, suffix in (("GET", ""), ("POST", "/cancel"), ("POST", "/resume"), ("GET", "/results")):
        attack.refused(
            partial(attack.api, method, f"/orgs/{own}/jobs/{finished_job['id']}{suffix}", other_admin),
            404,
            "job-not-found",
            other_admin,
            orgs=[org, own],
        )


def test_anonymous_and_signed_out_callers_are_refused(org, finished_job):
    anonymous = attack.api("POST", f"/orgs/{org}/jobs", None, json={"prefix": f"orgs/{org}/bulk/hostile/"})
    attack.assert_refused(anonymous, 401, "unauthenticated")


BAD_BODIES = [
    ({}, "invalid-job"),
    ({"prefix": None}, "invalid-job"),
    ({"prefix": 42}, "invalid-job"),
    ({"prefix": ["orgs/{org}/bulk/x/"]}, "invalid-job"),
    ({"prefix": ""}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/"}, "invalid-job"),  # the whole bulk folder: name a folder
    ({"prefix": "orgs/{org}/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/members/"}, "invalid-job"),
    ({"prefix": "orgs/{other}/bulk/x/"}, "invalid-job"),  # another org's images
    ({"prefix": "orgs/{org}-x/bulk/x/"}, "invalid-job"),
    ({"prefix": "users/{uid}/images/"}, "invalid-job"),
    ({"prefix": "uploads/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/../../{other}/bulk/x/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/./x/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x//y/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/.hidden/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/a b/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x\u0000/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/" + "x/" * 9}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/" + "x" * 101 + "/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "chunkSize": 0}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "chunkSize": -5}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "chunkSize": 201}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "chunkSize": 10**18}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "chunkSize": 2.5}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "chunkSize": "50"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "chunkSize": True}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "chunkSize": None}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "secondOpinion": "yes"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "kind": "everything"}, "invalid-job"),
    ({"kind": "reclassify"}, "invalid-job"),  # compare with which model?
    ({"kind": "reclassify", "modelVersion": "v1", "prefix": "orgs/{org}/bulk/x/"}, "invalid-job"),
    ({"prefix": "orgs/{org}/bulk/x/", "org": "{other}"}, "invalid-job"),
]


def _fill(value, **names):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(v, **names) for v in value]
    return value


@pytest.mark.parametrize(("body", "code"), BAD_BODIES, ids=[repr(b)[:60] for b, _ in BAD_BODIES])
def test_malformed_job_requests_are_refused(org, admin, other_admin, body, code):
    other = emulators.token_claims(other_admin.token)["org"]
    bulk.upload(org, "x", 1)
    body = {key: _fill(value, org=org, other=other, uid=admin.uid) for key, value in body.items()}
    attack.refused(partial(attack.api, "POST", f"/orgs/{org}/jobs", admin, json=body), 400, code, admin, orgs=[org])


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"[]", "application/json"),
        (b'"orgs/x/bulk/y/"', "application/json"),
        (b"{", "application/json"),
        (b"\xff", "text/plain"),
    ],
)
def test_job_bodies_that_are_not_a_json_object_are_refused(org, admin, data, content_type):
    send = partial(attack.api, "POST", f"/orgs/{org}/jobs", admin, data=data, headers={"Content-Type": content_type})
    attack.refused(send, 400, "invalid-json", admin, orgs=[org])


def test_an_empty_folder_starts_no_job(org, admin):
    send = partial(attack.api, "POST", f"/orgs/{org}/jobs", admin, json={"prefix": f"orgs/{org}/bulk/nothing-here/"})
    attack.refused(send, 422, "empty-prefix", admin, orgs=[org])


@pytest.mark.parametrize("job_id", ["nope", "a" * 65, "x y", "abc%2Fdef", "abc$", "abc.def"])
def test_odd_job_ids_find_nothing(org, admin, job_id):
    for method, suffix in (("GET", ""), ("POST", "/cancel"), ("POST", "/resume")):
        response = attack.api(method, f"/orgs/{org}/jobs/{job_id}{suffix}", admin)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] in ("job-not-found", "not-found")


FORGED = [
    {"org": "{org}", "job": "nosuchjob", "chunk": 0},
    {"org": "{org}", "job": "{job}", "chunk": 99},
    {"org": "../{org}", "job": "{job}", "chunk": 0},
    {"org": "{org}", "job": "{job}/items", "chunk": 0},
    {"org": "{org}", "job": "{job}", "chunk": -1},
    {"org": "{org}", "job": "{job}", "chunk": "0"},
    {"org": "{org}", "job": "{job}", "chunk": True},
    {"org": "{org}", "job": "{job}", "chunk": 10**12},
    {"org": "{org}"},
    "not an object",
    None,
]


@pytest.mark.parametrize("payload", FORGED, ids=[repr(p)[:50] for p in FORGED])
def test_forged_task_deliveries_write_nothing(org, admin, finished_job, payload):
    """Deployed, only Cloud Tasks can call the function (it is private); on the emulators anyone on the machine
    can, which shows that a delivery the API did not queue cannot write anything either."""
    if isinstance(payload, dict):
        payload = {k: _fill(v, org=org, job=finished_job["id"]) for k, v in payload.items()}
    url = f"{bulk.FUNCTIONS}/{emulators.PROJECT}/us-central1/{bulk.TASK_FUNCTION}"
    with attack.nothing_written(admin, orgs=[org]):
        reply = requests.post(url, json={"data": payload}, timeout=60)
    assert reply.status_code == 200, reply.text
    assert reply.json()["result"]["outcome"] in ("refused", "skipped")


def test_a_reclassification_only_takes_a_ready_version_of_the_org_itself(org, admin, member, other_admin):
    """Unknown, rejected, another org's and impossible version names are refused before anything is written;
    a member may not start one at all."""
    from support import org_models as om
    from support import tflite_models as tm

    assert om.classify(member).status_code == 201  # the org has a history to compare
    other = emulators.token_claims(other_admin.token)["org"]
    assert om.add_version(other_admin, other, "theirs", ["a", "b", "c"])["status"] == "ready"
    rejected = om.add_version(admin, org, "custom", ["a", "b", "c"], model=tm.classifier(head="MyCustomSoftmax"))
    assert rejected["status"] == "rejected"

    def start(who, version):
        body = {"kind": "reclassify", "modelVersion": version}
        return partial(attack.api, "POST", f"/orgs/{org}/jobs", who, json=body)

    attack.refused(start(admin, "nothing-here"), 404, "model-version-not-found", admin, orgs=[org])
    attack.refused(start(admin, "theirs"), 404, "model-version-not-found", admin, orgs=[org, other])
    attack.refused(start(admin, "custom"), 409, "model-version-not-ready", admin, orgs=[org])
    for name in ("../theirs", "V1", "", 7, None):
        attack.refused(start(admin, name), 400, None, admin, orgs=[org])
    attack.refused(start(member, "custom"), 403, "not-org-admin", member, admin, orgs=[org])
    attack.refused(start(other_admin, "theirs"), 403, "not-org-admin", other_admin, orgs=[org, other])
