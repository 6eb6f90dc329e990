"""Bulk jobs of an organisation: start, list, read, cancel, resume, results (org admins; service/jobs.py decides)."""

from flask import Blueprint

from ...service import jobs
from ..auth import current_caller
from ..bodies import json_object
from ..present import job as present_job
from ..present import job_results
from ..tables import download, requested_format

bp = Blueprint("jobs", __name__)


@bp.post("/orgs/<org_id>/jobs")
def start(org_id: str):
    return present_job(jobs.start(current_caller(), org_id, json_object())), 202


@bp.get("/orgs/<org_id>/jobs")
def list_jobs(org_id: str):
    return {"jobs": [present_job(job) for job in jobs.list_for_org(current_caller(), org_id)]}


@bp.get("/orgs/<org_id>/jobs/<job_id>")
def get(org_id: str, job_id: str):
    return present_job(jobs.get(current_caller(), org_id, job_id))


@bp.post("/orgs/<org_id>/jobs/<job_id>/cancel")
def cancel(org_id: str, job_id: str):
    return present_job(jobs.cancel(current_caller(), org_id, job_id))


@bp.post("/orgs/<org_id>/jobs/<job_id>/resume")
def resume(org_id: str, job_id: str):
    return present_job(jobs.resume(current_caller(), org_id, job_id))


@bp.get("/orgs/<org_id>/jobs/<job_id>/results")
def results(org_id: str, job_id: str):
    fmt = requested_format()
    columns, rows = job_results(*jobs.results(current_caller(), org_id, job_id))
    return download(rows, columns, fmt, f"job-{job_id}")
