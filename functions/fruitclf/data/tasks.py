"""Cloud Tasks: put a task on a task-queue function's queue (the Cloud Tasks emulator when it runs).

Traps of the pinned versions (firebase-admin 7.7, firebase-tools 15.34), each handled here once:
- `TaskQueue.enqueue` sends its payload as the body unchanged, while `tasks_fn.on_task_dispatched` accepts only
  `{"data": ...}` (and refuses any other key): the payload is wrapped here.
- The queue is named after the function, and a queue name allows only letters, digits and '-' (no '_').
- A task name is never reused: Cloud Tasks refuses it for a while after the task ran, the emulator forever
  (409 either way). For a deterministic name that means "already queued", which is what callers want.
- With a task id given, the emulator answers with the name as sent, and the SDK's reply parser (which strips a
  leading '/' only the emulator's made-up names carry) fails with ValueError after the task was queued.
"""

from __future__ import annotations

import re
from typing import Any

from firebase_admin import exceptions, functions

from ..config import emulator_mode, settings
from .clients import admin_app

_TASK_ID = re.compile(r"[A-Za-z0-9_-]{1,500}")


def enqueue(function: str, task_id: str, payload: dict[str, Any], deadline_s: int) -> bool:
    """Queue `payload` for the task-queue function `function` under the name `task_id`. False when a task of
    that name was already queued (a duplicate: nothing new is queued)."""
    if not _TASK_ID.fullmatch(task_id):
        raise ValueError(f"not a task id: {task_id!r}")
    cfg = settings()
    queue = functions.task_queue(f"locations/{cfg.region}/functions/{function}", app=admin_app())
    options = functions.TaskOptions(task_id=task_id, dispatch_deadline_seconds=deadline_s)
    try:
        queue.enqueue({"data": payload}, options)
    except (exceptions.AlreadyExistsError, exceptions.ConflictError):
        return False
    except ValueError as exc:
        if not (emulator_mode() and "resource name" in str(exc)):
            raise
    return True
