"""Bulk jobs on the emulators: images under an org's bulk prefix, the job API, and what a job wrote."""

from __future__ import annotations

import io
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image

from support import emulators
from support.emulators import API

FUNCTIONS = "http://127.0.0.1:5001"
TASK_FUNCTION = "bulkchunk"


def small_jpeg(i: int) -> bytes:
    """A distinct 48x48 JPEG (about 700 bytes): enough for the pipeline and the model, cheap to make by the thousand."""
    out = io.BytesIO()
    Image.new("RGB", (48, 48), ((37 * i) % 256, (91 * i) % 256, (53 * i) % 256)).save(out, "JPEG", quality=80)
    return out.getvalue()


def upload(org_id: str, folder: str, n: int, extra: dict[str, bytes] | None = None) -> str:
    """`n` small JPEGs (and `extra` objects by name) under orgs/<org>/bulk/<folder>/; returns the prefix."""
    prefix = f"orgs/{org_id}/bulk/{folder}/"
    bucket = emulators.bucket()
    objects = {f"{prefix}img-{i:05d}.jpg": small_jpeg(i) for i in range(n)}
    objects.update({prefix + name: data for name, data in (extra or {}).items()})

    def put(item):
        bucket.blob(item[0]).upload_from_string(item[1], content_type="image/jpeg")

    # A few at a time: each upload also runs the Storage trigger on the emulators, and a burst of those slows
    # every function there.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, objects.items()))
    return prefix


def start(admin, org_id: str, body: dict) -> requests.Response:
    return requests.post(f"{API}/orgs/{org_id}/jobs", headers=admin.headers, json=body, timeout=120)


def started(admin, org_id: str, body: dict) -> dict:
    """A job that the API accepted (202)."""
    response = start(admin, org_id, body)
    assert response.status_code == 202, response.text
    return response.json()


def read(admin, org_id: str, job_id: str) -> dict:
    response = requests.get(f"{API}/orgs/{org_id}/jobs/{job_id}", headers=admin.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def act(admin, org_id: str, job_id: str, action: str) -> requests.Response:
    return requests.post(f"{API}/orgs/{org_id}/jobs/{job_id}/{action}", headers=admin.headers, timeout=120)


def wait_until(admin, org_id: str, job_id: str, predicate, timeout_s: float = 300) -> dict:
    return emulators.wait_for(lambda: (job := read(admin, org_id, job_id)) and predicate(job) and job, timeout_s, 0.5)


def items(org_id: str, job_id: str) -> list[dict]:
    """Every outcome the job recorded, read behind the API."""
    return [s.to_dict() for s in emulators.firestore().collection("orgs", org_id, "jobs", job_id, "items").stream()]


def partly_recorded_chunks(org_id: str, job_id: str) -> list[int]:
    """Chunks some but not all of whose images have an outcome: chunks stopped half way."""
    recorded = {item["path"] for item in items(org_id, job_id)}
    chunks = emulators.firestore().collection("orgs", org_id, "jobs", job_id, "chunks").stream()
    return [
        int(chunk.id)
        for chunk in chunks
        if 0 < len(recorded.intersection(chunk.get("paths"))) < len(chunk.get("paths"))
    ]


def deliver(org_id: str, job_id: str, chunk: int) -> requests.Response:
    """Call the task function directly with a chunk's payload, as a duplicated delivery from the queue would."""
    payload = {"data": {"org": org_id, "job": job_id, "chunk": chunk, "run": 1}}
    url = f"{FUNCTIONS}/{emulators.PROJECT}/us-central1/{TASK_FUNCTION}"
    return requests.post(url, json=payload, timeout=300)


def task_function_processes() -> list[int]:
    """The Python processes serving `bulkchunk` in the functions emulator (one per running chunk)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if f"FUNCTION_TARGET={TASK_FUNCTION}".encode() in environ and b"functions-framework" in cmdline:
            if b"python" in Path(os.readlink(proc / "exe")).name.encode():
                found.append(int(proc.name))
    return found


def kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
