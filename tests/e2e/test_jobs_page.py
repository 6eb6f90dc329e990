"""The jobs page: an org admin starts a bulk job over a Storage folder, follows its progress bar, cancels and
resumes it, downloads its results, and hears when it ends (on the page and on the dashboard). A member is not
offered the page at all."""

from __future__ import annotations

import csv

from actions import sign_in
from playwright.sync_api import expect

from support import bulk, emulators

JOB_TIMEOUT_MS = 180_000  # the queue starts 5 one-image chunks a second (BULK_QUEUE_PER_SECOND) on shared CPUs


def _signed_in(page, user) -> None:
    page.goto("/")
    sign_in(page, user.email, user.password)
    expect(page.get_by_role("heading", name="Classify a fruit")).to_be_visible()


def test_an_admin_starts_follows_cancels_resumes_and_downloads_a_job(page, screenshot):
    org = emulators.make_org()
    admin = emulators.join_org(emulators.sign_up(), org, "admin")
    prefix = bulk.upload(org, "web", 30)
    _signed_in(page, admin)

    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Bulk jobs")).to_be_visible()
    page.get_by_label("Folder", exact=True).fill(prefix)
    page.get_by_label("Images per task (optional)").fill("1")  # 30 tasks: slow enough to cancel half way
    page.get_by_role("button", name="Start the job").click()
    state = page.get_by_test_id("job-state")
    expect(state).to_have_text("running")

    page.get_by_role("button", name="Cancel").click()
    expect(state).to_have_text("cancelled")
    page.get_by_role("button", name="Resume").click()
    expect(state).to_have_text("running")
    expect(page.get_by_test_id("job-speed")).to_contain_text("images/s", timeout=JOB_TIMEOUT_MS)

    end = page.get_by_test_id("job-end")
    expect(end).to_contain_text("finished: 30 classified, 0 failed", timeout=JOB_TIMEOUT_MS)
    expect(page.get_by_test_id("job-progress")).to_have_attribute("value", "30")
    expect(page.get_by_test_id("job-notices")).to_contain_text("finished: 30 classified")
    screenshot(page, "jobs-done")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    with open(download.value.path(), newline="") as results:
        rows = list(csv.DictReader(results))
    assert sorted(row["path"] for row in rows) == sorted(f"{prefix}img-{i:05d}.jpg" for i in range(30))
    assert {row["status"] for row in rows} == {"done"}

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("job-notices")).to_contain_text("finished: 30 classified, 0 failed")


def test_a_member_is_not_offered_the_jobs_page(page):
    org = emulators.make_org()
    member = emulators.join_org(emulators.sign_up(), org, "member")
    _signed_in(page, member)
    expect(page.get_by_role("link", name="History")).to_be_visible()
    expect(page.get_by_role("link", name="Jobs")).to_be_hidden()
    page.goto("/jobs")
    expect(page.get_by_text("Only an admin of an organisation can run bulk jobs.")).to_be_visible()
