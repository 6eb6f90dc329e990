"""`python -m fruitclf admin ...`: operator commands, e.g. creating an organisation with its first admin. The
operator acts on any org (service/members.py's operator functions), unlike a caller of the API.

Runs against the emulators when FIRESTORE_EMULATOR_HOST / FIREBASE_AUTH_EMULATOR_HOST are set (scripts/dev sets
them), otherwise against the project of the Application Default Credentials (GCLOUD_PROJECT names it).
"""

from __future__ import annotations

import argparse
import json

from . import job_cli


def register(subparsers) -> None:
    admin = subparsers.add_parser("admin", help="operator commands: organisations and their admins")
    commands = admin.add_subparsers(dest="admin_cmd", required=True)

    create = commands.add_parser("create-org", help="create an organisation and make EMAIL its first admin")
    create.add_argument("org_id")
    create.add_argument("--name", required=True)
    create.add_argument("--admin", required=True, metavar="EMAIL", help="an existing user's email")
    create.add_argument("--rpm", type=int, help="requests per minute for the whole org (default: RATE_LIMIT)")
    create.add_argument("--features", help="comma-separated, from: classification, analytics, second_opinion")
    create.add_argument("--model", help="model id (default: the default model)")

    member = commands.add_parser("set-member", help="add EMAIL to ORG_ID with a role")
    member.add_argument("org_id")
    member.add_argument("email")
    member.add_argument("--role", default="member", help="member or admin")

    job_cli.register(commands)


def run(args: argparse.Namespace) -> int:
    # Imported here: the Firebase clients are heavy, and `classify`/`bench` must not pay for them.
    from google.auth.exceptions import DefaultCredentialsError

    from .. import errors
    from ..service import members

    try:
        if args.admin_cmd == "job":
            return job_cli.run(args)
        if args.admin_cmd == "create-org":
            fields = {}
            if args.rpm is not None:
                fields["requestsPerMinute"] = args.rpm
            if args.features:
                fields["features"] = [f.strip() for f in args.features.split(",") if f.strip()]
            if args.model:
                fields["modelId"] = args.model
            config, member = members.create_with_admin(args.org_id, args.name, args.admin, **fields)
            print(json.dumps({"org": config.to_dict(), "admin": member}, indent=2))
        else:
            print(json.dumps(members.set_member(args.org_id, args.email, args.role), indent=2))
    except errors.ApiError as exc:
        print(f"error: {exc.message}")
        return 1
    except DefaultCredentialsError:
        print(
            "error: no Google credentials. For the emulators set FIRESTORE_EMULATOR_HOST and FIREBASE_AUTH_EMULATOR_HOST; "
            "for a project run `gcloud auth application-default login` and set GCLOUD_PROJECT."
        )
        return 1
    return 0
