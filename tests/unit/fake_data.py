"""An in-memory stand-in for fruitclf.data, so the services' rules are tested in milliseconds without emulators.

The data layer's public functions are its interface: `FakeData.install(monkeypatch)` puts an in-memory
implementation of each one the services call in its place (same names, same arguments, same errors), and the
services cannot tell. The emulator suites (tests/integration) keep testing the real data layer and the wiring.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from google.cloud.firestore import Increment

from fruitclf import errors
from fruitclf.data import accounts, blobs, ops, orgs, ratelimits, store
from fruitclf.data.accounts import Account


def _apply(target: dict, delta: dict) -> None:
    """Apply a Firestore merge-write with Increment values, as the server would."""
    for key, value in delta.items():
        if isinstance(value, dict):
            _apply(target.setdefault(key, {}), value)
        elif isinstance(value, Increment):
            target[key] = target.get(key, 0) + value.value
        else:
            target[key] = value


@dataclass
class FakeData:
    classifications: dict[str, dict[str, dict]] = field(default_factory=dict)  # uid -> id -> document
    summaries: dict[str, dict] = field(default_factory=dict)  # uid or "org:<id>" -> aggregates
    upload_errors: dict[str, dict[str, dict]] = field(default_factory=dict)
    objects: dict[str, bytes] = field(default_factory=dict)  # Storage path -> bytes
    org_docs: dict[str, dict] = field(default_factory=dict)
    org_members: dict[str, dict[str, dict]] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    windows: dict[str, int] = field(default_factory=dict)  # rate-limit key -> uses in the (one, frozen) window
    ops: list[tuple[list[str], dict]] = field(default_factory=list)
    failing_writes: int = 0  # so many classification writes raise without writing (an outage after the upload)
    lose_next_answer: bool = False  # the next one is written, but its caller hears a timeout
    _ids: itertools.count = field(default_factory=itertools.count)

    # -- store
    def new_id(self) -> str:
        return f"doc{next(self._ids)}"

    def create_classification(self, uid: str, doc_id: str, doc: dict) -> bool:
        from google.api_core import exceptions as gexc

        if self.failing_writes:
            self.failing_writes -= 1
            raise gexc.ServiceUnavailable("firestore is down")
        mine = self.classifications.setdefault(uid, {})
        if doc_id in mine:
            return False
        mine[doc_id] = dict(doc)
        self._aggregate(uid, doc.get("org"), store.counters.for_classification(doc, sign=+1))
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise gexc.DeadlineExceeded("the answer was lost")
        return True

    def _aggregate(self, uid: str, org_id: str | None, delta: dict) -> None:
        _apply(self.summaries.setdefault(uid, {}), {k: v for k, v in delta.items() if k != "perModel"})
        if org_id:
            _apply(self.summaries.setdefault(f"org:{org_id}", {}), delta)

    def get_classification(self, uid: str, doc_id: str) -> dict:
        doc = self.classifications.get(uid, {}).get(doc_id)
        if doc is None:
            raise errors.not_found(f"No classification {doc_id[:80]!r} in your history.")
        return {"id": doc_id, **doc}

    def find_classification(self, uid: str, doc_id: str) -> dict | None:
        doc = self.classifications.get(uid, {}).get(doc_id)
        return None if doc is None else {"id": doc_id, **doc}

    def delete_classification(self, uid: str, doc_id: str) -> dict:
        doc = self.get_classification(uid, doc_id)
        del self.classifications[uid][doc_id]
        self._aggregate(uid, doc.get("org"), store.counters.for_classification(doc, sign=-1))
        return doc

    def set_feedback(self, uid: str, doc_id: str, feedback: dict) -> dict:
        doc = self.get_classification(uid, doc_id)
        self._aggregate(uid, doc.get("org"), store.counters.for_feedback(doc, feedback))
        self.classifications[uid][doc_id].update(feedback=feedback, hasFeedback=True)
        return {**doc, "feedback": feedback}

    def set_second_opinion(self, uid: str, doc_id: str, opinion: dict) -> None:
        self.classifications[uid][doc_id]["secondOpinion"] = opinion

    def list_classifications(self, uid: str, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
        docs = sorted(self.classifications.get(uid, {}).items(), key=lambda item: item[1]["createdAt"], reverse=True)
        start = next((i + 1 for i, (doc_id, _) in enumerate(docs) if doc_id == cursor), 0) if cursor else 0
        page = [{"id": doc_id, **doc} for doc_id, doc in docs[start : start + limit]]
        return page, (page[-1]["id"] if start + limit < len(docs) else None)

    def record_upload_error(self, uid: str, doc_id: str, upload_path: str, error: errors.ApiError) -> None:
        self.upload_errors.setdefault(uid, {})[doc_id] = {"uploadPath": upload_path, "error": error.to_dict()["error"]}

    def read_summary(self, uid: str) -> dict:
        return self.summaries.get(uid, {})

    def read_org_summary(self, org_id: str) -> dict:
        return self.summaries.get(f"org:{org_id}", {})

    # -- blobs
    def put_jpeg(self, path: str, data: bytes) -> None:
        self.objects[path] = data

    def get(self, path: str) -> bytes:
        return self.objects[path]

    def get_if_exists(self, path: str) -> bytes | None:
        return self.objects.get(path)

    def delete_quietly(self, path: str) -> None:
        self.objects.pop(path, None)

    def stat(self, path: str):
        data = self.objects.get(path)
        return None if data is None else blobs.ObjectInfo(size=len(data), generation=1)

    # -- orgs
    def read_org(self, org_id: str) -> dict | None:
        return self.org_docs.get(org_id)

    def create_org(self, org_id: str, fields: dict) -> None:
        if org_id in self.org_docs:
            raise errors.ApiError(409, "org-exists", f"An organisation {org_id!r} already exists; choose another id.")
        self.org_docs[org_id] = dict(fields)

    def delete_org(self, org_id: str) -> None:
        self.org_docs.pop(org_id, None)
        self.org_members.pop(org_id, None)

    def update_org(self, org_id: str, fields: dict) -> dict:
        self.org_docs[org_id].update(fields)
        return dict(self.org_docs[org_id])

    def put_member(self, org_id: str, member: dict) -> None:
        self.org_members.setdefault(org_id, {})[member["uid"]] = dict(member)

    def delete_member(self, org_id: str, uid: str) -> None:
        self.org_members.get(org_id, {}).pop(uid, None)

    def members(self, org_id: str) -> list[dict]:
        return list(self.org_members.get(org_id, {}).values())

    # -- accounts
    def by_uid(self, uid: str) -> Account | None:
        return self.accounts.get(uid)

    def by_email(self, email: str) -> Account:
        for account in self.accounts.values():
            if account.email == email:
                return account
        raise errors.not_found(f"No user has the email {email!r}; they must sign up first.", "user-not-found")

    def set_claims(self, uid: str, claims: dict) -> None:
        account = self.accounts[uid]
        self.accounts[uid] = Account(uid=uid, email=account.email, claims=dict(claims), anonymous=account.anonymous)

    # -- rate limits and ops figures
    def take(self, key: str, limit: int, now: float | None = None, window_s: int = ratelimits.WINDOW_S) -> float | None:
        used = self.windows.get(key, 0)
        if used >= limit:
            return 30.0
        self.windows[key] = used + 1
        return None

    def add_ops(self, scopes: list[str], counts: dict) -> None:
        self.ops.append((scopes, dict(counts)))

    def install(self, monkeypatch) -> FakeData:
        replacements = {
            store: [
                "new_id",
                "create_classification",
                "get_classification",
                "find_classification",
                "delete_classification",
                "set_feedback",
                "set_second_opinion",
                "list_classifications",
                "record_upload_error",
                "read_summary",
                "read_org_summary",
            ],
            blobs: ["put_jpeg", "get", "get_if_exists", "delete_quietly", "stat"],
            orgs: {
                "read": "read_org",
                "create": "create_org",
                "delete": "delete_org",
                "update": "update_org",
                "put_member": "put_member",
                "delete_member": "delete_member",
                "members": "members",
            },
            accounts: ["by_uid", "by_email", "set_claims"],
            ratelimits: ["take"],
            ops: {"add": "add_ops"},
        }
        for module, names in replacements.items():
            pairs = names.items() if isinstance(names, dict) else ((name, name) for name in names)
            for name, mine in pairs:
                assert hasattr(module, name), f"{module.__name__}.{name} is gone: update the fake"
                monkeypatch.setattr(module, name, getattr(self, mine))
        return self
