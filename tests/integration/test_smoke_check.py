"""scripts/smoke_check.py, the last step of scripts/deploy, against the Hosting emulator: the same site layout
(built app, /api rewrite to the function, the on-device model) that production serves."""

import importlib.util
from pathlib import Path

from support.emulators import HOSTING

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "smoke_check.py"
spec = importlib.util.spec_from_file_location("smoke_check", SCRIPT)
smoke_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(smoke_check)


def test_a_healthy_site_passes_every_check(capsys):
    assert smoke_check.smoke_check(HOSTING, attempts=1, pause=0) == []
    output = capsys.readouterr().out
    assert "the app's page and its script /assets/" in output
    assert "the API (model fruit-lite0-" in output
    assert "the on-device model /models/" in output


def test_a_site_that_does_not_answer_fails_each_check_by_name():
    failures = smoke_check.smoke_check("http://127.0.0.1:9", attempts=2, pause=0)
    assert len(failures) == 3
    assert [failure.split(" failed")[0] for failure in failures] == [
        "GET http://127.0.0.1:9/",
        "GET http://127.0.0.1:9/api/health",
        "GET http://127.0.0.1:9/models/device.json",
    ]
