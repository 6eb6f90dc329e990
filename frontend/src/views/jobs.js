// Bulk jobs, for org admins: start one (a Storage folder of images, or the organisation's history re-classified
// with another model version), follow it (a progress bar with done, failed, images a second and time left,
// polled from the job API while it runs), cancel and resume it, download its results, and hear when it ends.
import { formatDate, h, labelName, mount, percent, toast } from "../dom.js";
import { explain, sentence } from "../errors.js";
import { jobsApi } from "../jobs-api.js";
import { isOrgAdmin, limits, session } from "../session.js";
import { endedJobs, endNotice } from "./job-notices.js";

const POLL_MS = 2000;
const ENDED = new Set(["done", "paused"]);

export function render(main) {
  if (!isOrgAdmin()) {
    mount(main, h("h1", { tabindex: "-1" }, "Bulk jobs"), h("p", {}, "Only an admin of an organisation can run bulk jobs."));
    return null;
  }
  const orgId = session.me.org;
  let opened = 0; // counts open() calls: a poll answer from before the latest one (a cancel, say) is stale
  let timer = null;
  let left = false;

  const notices = h("div", { "aria-live": "polite" });
  const list = h("div", { class: "jobs-list" });
  const detail = h("section", { class: "card job-detail", "aria-live": "polite", hidden: true, "data-testid": "job-detail" });
  mount(
    main,
    h(
      "section",
      { class: "jobs" },
      h("h1", { tabindex: "-1" }, "Bulk jobs"),
      h("p", { class: "hint" }, `Classify every image under a folder of orgs/${orgId}/bulk/, or re-classify the organisation's history with another model version to compare.`),
      notices,
      startForm(),
      detail,
      h("h2", {}, "Latest jobs"),
      list,
    ),
  );
  refresh();

  async function refresh() {
    try {
      const { jobs } = await jobsApi.list(orgId);
      mount(notices, endedJobs(jobs, { linkToJobs: false }));
      mount(list, jobs.length ? jobsTable(jobs) : h("p", {}, "No jobs yet."));
    } catch (error) {
      mount(list, h("p", { class: "error-text", role: "alert" }, sentence(explain(error, limits()))));
    }
  }

  function startForm() {
    const message = h("p", { class: "form-message error-text", role: "alert" });
    const prefix = h("input", { id: "job-prefix", name: "prefix", type: "text", placeholder: `orgs/${orgId}/bulk/<folder>/`, autocomplete: "off" });
    const version = h("input", { id: "job-version", name: "modelVersion", type: "text", placeholder: "v2", autocomplete: "off", disabled: true });
    const chunk = h("input", { id: "job-chunk", name: "chunkSize", type: "number", min: "1", max: "200", placeholder: "50" });
    const opinion = h("input", { id: "job-opinion", name: "secondOpinion", type: "checkbox" });
    const kind = (value, text, checked) =>
      h("label", { class: "choice" }, h("input", { type: "radio", name: "kind", value, checked, onchange: () => choose(value) }), " ", text);
    function choose(value) {
      prefix.disabled = value !== "prefix";
      version.disabled = value !== "reclassify";
    }
    async function submit(event) {
      event.preventDefault();
      message.textContent = "";
      const reclassify = !version.disabled;
      const body = reclassify ? { kind: "reclassify", modelVersion: version.value.trim() } : { prefix: prefix.value.trim() };
      if (chunk.value) body.chunkSize = Number(chunk.value);
      if (opinion.checked) body.secondOpinion = true;
      try {
        const job = await jobsApi.start(orgId, body);
        toast(`Job ${job.id} started: ${job.total} images.`);
        refresh();
        open(job.id, job);
      } catch (error) {
        message.textContent = sentence(explain(error, limits()));
      }
    }
    return h(
      "form",
      { class: "card job-start", onsubmit: submit, "aria-labelledby": "job-start-heading" },
      h("h2", { id: "job-start-heading" }, "Start a job"),
      h("fieldset", { class: "field" }, h("legend", {}, "What to classify"), kind("prefix", "Images in a folder", true), kind("reclassify", "The organisation's history, with another model version", false)),
      h("div", { class: "field" }, h("label", { for: "job-prefix" }, "Folder"), prefix),
      h("div", { class: "field" }, h("label", { for: "job-version" }, "Model version to compare with"), version),
      h("div", { class: "field" }, h("label", { for: "job-chunk" }, "Images per task (optional)"), chunk),
      h("div", { class: "field" }, h("label", { for: "job-opinion" }, opinion, " Ask the vision model about the images the model is unsure of (counts against today's second opinions)")),
      message,
      h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary" }, "Start the job")),
    );
  }

  function jobsTable(jobs) {
    return h(
      "table",
      { class: "jobs-table" },
      h("thead", {}, h("tr", {}, ["Job", "Kind", "State", "Images", "Started", ""].map((title) => h("th", { scope: "col" }, title)))),
      h(
        "tbody",
        {},
        jobs.map((job) =>
          h(
            "tr",
            { "data-testid": "job-row", "data-job": job.id },
            h("th", { scope: "row" }, job.id),
            h("td", {}, job.kind === "reclassify" ? `Re-classify with ${job.modelVersion ?? job.modelId}` : job.prefix),
            h("td", {}, job.state),
            h("td", {}, String(job.total)),
            h("td", {}, formatDate(job.createdAt)),
            h("td", {}, h("button", { type: "button", class: "button secondary", onclick: () => open(job.id) }, "Open")),
          ),
        ),
      ),
    );
  }

  async function open(jobId, known = null) {
    const mine = ++opened;
    clearTimeout(timer);
    detail.hidden = false;
    let previous = known?.state ?? null;
    async function poll() {
      if (left || mine !== opened) return;
      try {
        const job = await jobsApi.get(orgId, jobId);
        if (left || mine !== opened) return;
        showJob(job);
        if (previous === "running" && ENDED.has(job.state)) {
          toast(endNotice(job), job.state === "done" ? "info" : "error");
          refresh();
        }
        previous = job.state;
        if (job.state === "running") timer = setTimeout(poll, POLL_MS);
      } catch (error) {
        if (left || mine !== opened) return;
        mount(detail, h("p", { class: "error-text", role: "alert" }, sentence(explain(error, limits()))));
      }
    }
    if (known) showJob({ done: 0, failed: 0, pending: known.total, ...known });
    poll();
  }

  async function act(job, action) {
    try {
      const changed = await (action === "cancel" ? jobsApi.cancel(orgId, job.id) : jobsApi.resume(orgId, job.id));
      showJob(changed);
      refresh();
      open(job.id, changed);
    } catch (error) {
      toast(sentence(explain(error, limits())), "error");
    }
  }

  async function download(job, format) {
    try {
      const blob = await jobsApi.results(orgId, job.id, format);
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: `job-${job.id}.${format}`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      toast(sentence(explain(error, limits())), "error");
    }
  }

  function showJob(job) {
    const processed = (job.done ?? 0) + (job.failed ?? 0);
    const state = job.state === "paused" && job.pausedReason ? `paused (${job.pausedReason})` : job.state;
    mount(
      detail,
      h("h2", {}, job.kind === "reclassify" ? `Re-classification ${job.id}` : `Job ${job.id}`),
      h("p", { class: "meta" }, `Model: ${job.modelId ?? "the organisation's"}`, job.secondOpinion ? " · with second opinions" : ""),
      h(
        "div",
        { class: "progress-row" },
        h("progress", { max: String(job.total || 1), value: String(processed), "aria-label": "Images processed", "data-testid": "job-progress" }),
        h("span", { class: "progress-text" }, `${processed} of ${job.total}`),
      ),
      h(
        "dl",
        { class: "tiles" },
        tile("State", state, "job-state"),
        tile("Classified", String(job.done ?? 0), "job-done"),
        tile("Failed", String(job.failed ?? 0), "job-failed"),
        tile("Speed", job.perSecond == null ? "—" : `${job.perSecond} images/s`, "job-speed"),
        tile("Time left", job.secondsLeft == null ? "—" : duration(job.secondsLeft), "job-left"),
      ),
      ENDED.has(job.state) ? h("p", { class: "notice", "data-testid": "job-end" }, endNotice(job)) : null,
      job.comparison ? comparison(job.comparison) : null,
      h(
        "div",
        { class: "form-actions" },
        job.state === "running" || job.state === "paused" ? h("button", { type: "button", class: "button secondary", onclick: () => act(job, "cancel") }, "Cancel") : null,
        job.state === "cancelled" || job.state === "paused" ? h("button", { type: "button", class: "button primary", onclick: () => act(job, "resume") }, "Resume") : null,
        h("button", { type: "button", class: "button secondary", onclick: () => download(job, "csv") }, "Download CSV"),
        h("button", { type: "button", class: "button secondary", onclick: () => download(job, "jsonl") }, "Download JSONL"),
      ),
    );
  }

  return () => {
    left = true;
    clearTimeout(timer);
  };
}

function comparison(summary) {
  const feedback = summary.feedback;
  return h(
    "section",
    { class: "comparison", "data-testid": "job-comparison" },
    h("h3", {}, "Compared with the stored answers"),
    h("p", {}, summary.agreement == null ? "Nothing compared yet." : `Same answer for ${percent(summary.agreement)} (${summary.same} same, ${summary.changed} changed).`),
    feedback.items ? h("p", {}, `Where users gave feedback (${feedback.items}): the stored answers were right ${feedback.previousRight} times, the new model ${feedback.newRight}.`) : null,
    summary.changes.length
      ? h(
          "table",
          {},
          h("thead", {}, h("tr", {}, ["Was", "Now", "Images"].map((title) => h("th", { scope: "col" }, title)))),
          h("tbody", {}, summary.changes.slice(0, 20).map((c) => h("tr", {}, h("th", { scope: "row" }, labelName(c.from)), h("td", {}, labelName(c.to)), h("td", {}, String(c.count))))),
        )
      : null,
  );
}

function tile(name, value, testId) {
  return h("div", { class: "tile" }, h("dt", {}, name), h("dd", { "data-testid": testId }, value));
}

function duration(seconds) {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
