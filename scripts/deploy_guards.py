"""What scripts/deploy reads from firebase-tools' `--json` answers before it deploys.

deploy_guards.py site <hosting:sites:list json>
    prints the project's default Hosting site; exit 3 when the project has no site at all (scripts/deploy creates
    one, as firebase-tools' own interactive deploy does), 1 when it has sites but no default one.
deploy_guards.py deletions <functions:list json> <functions the rehearsal deploys (json)>
    exit 1, naming them, when a deployed function of this codebase is missing from the source: the functions
    deploy runs with --force, which would delete it without asking.
deploy_guards.py live <hosting:channel:list json>
    prints the live release's version and message (the commit it was deployed from), for the rollback line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NO_SITE = 3


def result_of(path: str) -> dict | list:
    answer = json.loads(Path(path).read_text())
    if answer.get("status") != "success":
        raise SystemExit(f"deploy: firebase-tools answered {answer.get('error') or answer}")
    return answer["result"]


def default_site(sites: list[dict]) -> str | None:
    for site in sites:
        if site.get("type") == "DEFAULT_SITE":
            return site["name"].rsplit("/", 1)[-1]
    return None


def functions_to_be_deleted(deployed: list[dict], wanted: list[dict]) -> list[dict]:
    """Deployed functions of the default codebase that the source no longer has (--force deletes them)."""
    keep = {(f["id"], f["region"]) for f in wanted}
    return [
        f for f in deployed if f.get("codebase", "default") in (None, "default") and (f["id"], f["region"]) not in keep
    ]


def live_release(channels: list[dict]) -> tuple[str, str] | None:
    for channel in channels:
        if channel["name"].endswith("/channels/live") and channel.get("release", {}).get("version"):
            release = channel["release"]
            return release["version"]["name"].rsplit("/", 1)[-1], release.get("message", "")
    return None


def main(argv: list[str]) -> int:
    command, *paths = argv
    if command == "site":
        sites = result_of(paths[0])["sites"]
        site = default_site(sites)
        if site:
            print(site)
            return 0
        if sites:
            print(
                "deploy: the project has Hosting sites but no default one: name yours in firebase.json "
                '("hosting": {"site": "<site-id>", ...})',
                file=sys.stderr,
            )
            return 1
        return NO_SITE
    if command == "deletions":
        doomed = functions_to_be_deleted(result_of(paths[0]), json.loads(Path(paths[1]).read_text()))
        for f in doomed:
            print(
                f"deploy: {f['id']} ({f['region']}) is deployed but not in functions/main.py; the functions deploy "
                f"runs with --force, which would delete it. Delete it yourself "
                f"(npx firebase functions:delete {f['id']} --region {f['region']}) or bring it back.",
                file=sys.stderr,
            )
        return 1 if doomed else 0
    if command == "live":
        release = live_release(result_of(paths[0])["channels"])
        print("\t".join(release) if release else "")
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
