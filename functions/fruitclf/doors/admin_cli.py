"""`python -m fruitclf admin ...`: operator commands, e.g. creating an organisation with its first admin. The
operator acts on any org (service/members.py's operator functions), unlike a caller of the API.

Runs against the emulators when FIRESTORE_EMULATOR_HOST / FIREBASE_AUTH_EMULATOR_HOST are set (scripts/dev sets
them), otherwise against the project of the Application Default Credentials (GCLOUD_PROJECT names it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

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

    upload = commands.add_parser(
        "upload-model", help="add a version of ORG_ID's own model, as its admin EMAIL (then validated, docs/models.md)"
    )
    upload.add_argument("org_id")
    upload.add_argument("version", help="lowercase letters, digits, dots and dashes (at most 40)")
    upload.add_argument("--model", required=True, metavar="FILE", help="the .tflite file")
    upload.add_argument("--labels", required=True, metavar="FILE", help="one label a line, in output order")
    upload.add_argument("--card", required=True, metavar="FILE", help="the card (JSON)")
    upload.add_argument("--as", dest="as_email", required=True, metavar="EMAIL", help="an admin of the org")
    upload.add_argument("--notes", default="")

    member = commands.add_parser("set-member", help="add EMAIL to ORG_ID with a role")
    member.add_argument("org_id")
    member.add_argument("email")
    member.add_argument("--role", default="member", help="member or admin")

    job_cli.register(commands)


def run(args: argparse.Namespace) -> int:
    # Imported here: the Firebase clients are heavy, and `classify`/`bench` must not pay for them.
    from google.auth.exceptions import DefaultCredentialsError

    from .. import errors
    from ..service import members, org_models

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
        elif args.admin_cmd == "upload-model":
            files = {
                "model.tflite": Path(args.model).read_bytes(),
                "labels.txt": Path(args.labels).read_bytes(),
                "card.json": Path(args.card).read_bytes(),
            }
            version = org_models.register_files(args.as_email, args.org_id, args.version, files, args.notes)
            print(json.dumps(version, indent=2, default=str))
        else:
            print(json.dumps(members.set_member(args.org_id, args.email, args.role), indent=2))
    except errors.ApiError as exc:
        print(f"error: {exc.message}")
        return 1
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}")
        return 2
    except DefaultCredentialsError:
        print(
            "error: no Google credentials. For the emulators set FIRESTORE_EMULATOR_HOST and FIREBASE_AUTH_EMULATOR_HOST; "
            "for a project run `gcloud auth application-default login` and set GCLOUD_PROJECT."
        )
        return 1
    return 0
