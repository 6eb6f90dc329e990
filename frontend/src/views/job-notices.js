// The notice that a bulk job ended (done, or paused: its daily budget spent, its model gone), for org admins:
// on the dashboard and atop the jobs page. Read from the job listing, which carries each job's end.
import { formatDate, h } from "../dom.js";
import { jobsApi } from "../jobs-api.js";

const RECENT_MS = 7 * 24 * 60 * 60 * 1000;
export const PAUSE_REASONS = {
  "daily-budget": "the organisation's daily image budget is spent; resume it tomorrow",
  "org-model-unavailable": "its model can no longer be loaded",
  "feature-disabled": "classification is switched off for the organisation",
};

/** What one ended job says to its admins, as a sentence. */
export function endNotice(job) {
  const what = job.kind === "reclassify" ? `Re-classification ${job.id}` : `Job ${job.id}`;
  if (job.state === "done") return `${what} finished: ${job.done ?? 0} classified, ${job.failed ?? 0} failed.`;
  return `${what} paused: ${PAUSE_REASONS[job.pausedReason] ?? job.pausedReason ?? "see the job"}.`;
}

const ended = (job) => job.state === "done" || job.state === "paused";
const when = (job) => job.finishedAt ?? job.updatedAt ?? job.createdAt;

/** The org's jobs that ended in the last week, as a section (null when none did, or the list failed). */
export async function jobNotices(orgId) {
  const { jobs } = await jobsApi.list(orgId).catch(() => ({ jobs: [] }));
  return endedJobs(jobs);
}

/** The section for jobs already listed; `linkToJobs` adds a link to the jobs page (not on that page itself). */
export function endedJobs(jobs, { linkToJobs = true } = {}) {
  const recent = jobs.filter((job) => ended(job) && Date.now() - Date.parse(when(job)) < RECENT_MS);
  if (!recent.length) return null;
  return h(
    "section",
    { class: "stats-section job-notices", "data-testid": "job-notices" },
    h("h2", {}, "Bulk jobs that ended"),
    h(
      "ul",
      {},
      recent.map((job) => h("li", { class: `notice notice-${job.state}` }, endNotice(job), " ", h("time", { datetime: when(job) }, formatDate(when(job))))),
    ),
    linkToJobs ? h("p", {}, h("a", { href: "/jobs", "data-link": true }, "Open the jobs page")) : null,
  );
}
