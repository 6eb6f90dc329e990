"""Restore drill: export everything, start from nothing with the export imported, and a user finds the same history,
stats, images and organisation role as before.

It spans two emulator runs (scripts/test): the first records what the API answers and exports the emulators' data
through the emulator hub (what `firebase emulators:export` does); the second starts fresh emulators with
`--import` of that export (FRUIT_RESTORED=1) and asks again. The Auth export carries custom claims, which is
where org roles live, so they come back with the accounts. Production's equivalent: docs/deploy.md, "Restore".
"""

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
import requests

from support import emulators
from support.emulators import API

DRILL = Path(__file__).resolve().parents[2] / ".cache" / "restore-drill"
HUB = "http://127.0.0.1:4400"
RESTORED = os.environ.get("FRUIT_RESTORED") == "1"


def answers(user: emulators.User) -> dict:
    """Everything the user relies on, as the API gives it."""

    def get(path: str):
        response = requests.get(f"{API}{path}", headers=user.headers, timeout=30)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response

    history = get("/classifications").json()
    me = get("/me").json()
    return {
        "history": history,
        "stats": get("/stats").json(),
        "me": me,
        "org": get(f"/orgs/{me['org']}").json(),
        "claims": {k: emulators.token_claims(user.token).get(k) for k in ("org", "role")},
        "images": {
            item["id"]: hashlib.sha256(get(f"/classifications/{item['id']}/image").content).hexdigest()
            for item in history["items"]
        },
    }


@pytest.mark.skipif(RESTORED, reason="this run restored the drill's export; the drill's first half ran before it")
def test_drill_records_answers_and_exports_everything():
    org = emulators.make_org()
    user = emulators.join_org(emulators.sign_up(), org, "admin")
    for color in ((200, 40, 40), (240, 200, 30)):
        image = {"image": ("p.jpg", emulators.jpeg_bytes(color=color), "image/jpeg")}
        assert requests.post(f"{API}/classify", headers=user.headers, files=image, timeout=60).status_code == 201
    before = answers(user)
    assert len(before["history"]["items"]) == 2 and before["claims"] == {"org": org, "role": "admin"}

    shutil.rmtree(DRILL, ignore_errors=True)
    DRILL.mkdir(parents=True)
    exported = requests.post(
        f"{HUB}/_admin/export", json={"path": str(DRILL / "export"), "initiatedBy": "restore-drill"}, timeout=120
    )
    assert exported.status_code == 200, exported.text
    accounts = json.loads((DRILL / "export" / "auth_export" / "accounts.json").read_text())["users"]
    exported_user = next(u for u in accounts if u["localId"] == user.uid)
    assert json.loads(exported_user["customAttributes"]) == {"org": org, "role": "admin"}, (
        "the Auth export lost the org role"
    )
    (DRILL / "expected.json").write_text(
        json.dumps({"email": user.email, "password": user.password, "uid": user.uid, "answers": before})
    )


@pytest.mark.skipif(not RESTORED, reason="runs in the second emulator run, started with --import of the drill's export")
def test_restored_emulators_answer_as_before():
    expected = json.loads((DRILL / "expected.json").read_text())
    user = emulators.sign_in(emulators.User(expected["uid"], expected["email"], expected["password"], token=""))
    assert answers(user) == expected["answers"]
