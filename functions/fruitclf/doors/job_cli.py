"""`python -m fruitclf admin job ...`: an org's bulk jobs from the shell, acting as one of the org's admins.

The command names the admin (`--as EMAIL`), and the same service rules as the API decide: only an admin of the
org, as Auth has the account now, may start, read, cancel or resume its jobs.
"""

from __future__ import annotations

import argparse
import json
import sys

ACTIONS = ("start", "list", "status", "cancel", "resume", "results")


def register(commands) -> None:
    job = commands.add_parser("job", help="an org's bulk jobs, as one of its admins (--as EMAIL)")
    job.add_argument("action", choices=ACTIONS)
    job.add_argument("org_id")
    job.add_argument("target", nargs="?", help="start: the prefix orgs/<org>/bulk/<folder>/; otherwise the job id")
    job.add_argument("--as", dest="admin", required=True, metavar="EMAIL", help="an admin of the org")
    job.add_argument("--chunk-size", type=int, help="start: images per task (default: BULK_CHUNK_SIZE)")
    job.add_argument("--reclassify", metavar="VERSION", help="start: re-classify the org's history with VERSION")
    job.add_argument("--second-opinion", action="store_true", help="start: ask the vision model where unsure")
    job.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="results: the output format")


def run(args: argparse.Namespace) -> int:
    from .. import errors
    from ..service import jobs
    from ..service.identity import caller_for_email
    from ..web.present import job, job_results
    from ..web.tables import lines

    needs_target = args.action != "list" and not (args.action == "start" and args.reclassify)
    if needs_target and not args.target:
        raise errors.bad_request(f"`job {args.action}` needs a {'prefix' if args.action == 'start' else 'job id'}.")
    caller = caller_for_email(args.admin)
    if args.action == "results":
        columns, rows = job_results(*jobs.results(caller, args.org_id, args.target))
        sys.stdout.writelines(lines(rows, columns, args.format))
        return 0
    if args.action == "start":
        body: dict = (
            {"kind": "reclassify", "modelVersion": args.reclassify} if args.reclassify else {"prefix": args.target}
        )
        if args.second_opinion:
            body["secondOpinion"] = True
        if args.chunk_size is not None:
            body["chunkSize"] = args.chunk_size
        answer = job(jobs.start(caller, args.org_id, body))
    elif args.action == "list":
        answer = {"jobs": [job(item) for item in jobs.list_for_org(caller, args.org_id)]}
    else:
        act = {"status": jobs.get, "cancel": jobs.cancel, "resume": jobs.resume}[args.action]
        answer = job(act(caller, args.org_id, args.target))
    print(json.dumps(answer, indent=2))
    return 0
