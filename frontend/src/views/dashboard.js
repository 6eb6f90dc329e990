// Charts of the user's classifications (and, for org admins, the org's and the operations figures).
// A chunk of its own: Chart.js loads only when someone opens the dashboard. Every chart has a table twin
// for screen readers and for people who prefer numbers.
import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from "chart.js";
import { api } from "../api.js";
import { h, labelName, mount, percent } from "../dom.js";
import { explain, sentence } from "../errors.js";
import { isOrgAdmin, limits, session } from "../session.js";
import { jobNotices } from "./job-notices.js";
import { versionFigures } from "./model-versions.js";

Chart.register(ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip);

const COLORS = { primary: "#1f6f43", accent: "#c0392b", amber: "#b36b00", blue: "#1d5fa8", muted: "#8a948d" };
const HISTOGRAM_BUCKETS = Array.from({ length: 10 }, (_, i) => `${i * 10}–${i * 10 + 10}%`);

export function render(main) {
  const charts = [];
  let pending = []; // charts are drawn once their canvas is in the page, so they can measure it
  const body = h("div", { class: "dashboard-body" }, h("p", { role: "status" }, "Loading your figures…"));
  mount(main, h("section", { class: "dashboard" }, h("h1", { tabindex: "-1" }, "Dashboard"), body));

  load();

  async function load() {
    try {
      const orgId = isOrgAdmin() ? session.me.org : null;
      const [mine, org, notices] = await Promise.all([api.stats(), orgId ? api.orgStats(orgId) : null, orgId ? jobNotices(orgId) : null]);
      mount(body, notices, statsSection("Your classifications", mine, "mine"), org ? statsSection(`Organisation: ${orgId}`, org, "org") : null, org?.models ? versionFigures(org.models) : null, org?.ops ? opsSection(org.ops) : null);
      for (const { canvas, config } of pending) charts.push(new Chart(canvas, config));
      pending = [];
    } catch (error) {
      mount(body, h("p", { class: "error-text", role: "alert" }, sentence(explain(error, limits()))), h("button", { type: "button", class: "button primary", onclick: load }, "Try again"));
    }
  }

  function chartFigure(caption, config, table) {
    const canvas = h("canvas", { role: "img", "aria-label": caption });
    const figure = h("figure", { class: "card chart" }, h("figcaption", {}, caption), h("div", { class: "chart-box" }, canvas), h("details", {}, h("summary", {}, "Show as a table"), table));
    const options = { responsive: true, maintainAspectRatio: false, animation: false, datasets: { bar: { maxBarThickness: 56 } }, ...config.options };
    pending.push({ canvas, config: { ...config, options } });
    return figure;
  }

  function statsSection(title, stats, key) {
    if (!stats.total) {
      const empty = key === "org" ? "Nobody in the organisation has classified a photo yet." : "No classifications yet. ";
      return h("section", { class: "stats-section" }, h("h2", {}, title), h("p", {}, empty, key === "org" ? null : [h("a", { href: "/", "data-link": true }, "Classify a fruit"), " and come back."]));
    }
    const perLabel = Object.entries(stats.perLabel ?? {}).sort((a, b) => b[1] - a[1]);
    const perDay = stats.perDay ?? [];
    const histogram = stats.confidenceHistogram ?? [];
    const feedback = stats.feedback ?? { n: 0, correct: 0, accuracy: null };
    const yInteger = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    return h(
      "section",
      { class: "stats-section", "data-testid": `stats-${key}` },
      h("h2", {}, title),
      h(
        "dl",
        { class: "tiles" },
        tile("Classified", String(stats.total)),
        tile("Mean confidence", percent(stats.meanConfidence)),
        tile("Not sure", percent(stats.abstainRate)),
        tile("Accuracy (from feedback)", feedback.accuracy == null ? "No feedback yet" : `${percent(feedback.accuracy)} of ${feedback.n}`),
      ),
      h(
        "div",
        { class: "charts" },
        chartFigure(
          "Classifications per fruit",
          { type: "bar", data: { labels: perLabel.map(([label]) => labelName(label)), datasets: [{ label: "Photos", data: perLabel.map(([, count]) => count), backgroundColor: COLORS.primary }] }, options: { plugins: { legend: { display: false } }, scales: yInteger } },
          table(["Fruit", "Photos"], perLabel.map(([label, count]) => [labelName(label), count])),
        ),
        chartFigure(
          "Classifications per day",
          { type: "line", data: { labels: perDay.map((d) => d.day), datasets: [{ label: "Photos", data: perDay.map((d) => d.count), borderColor: COLORS.blue, backgroundColor: COLORS.blue, tension: 0.2 }] }, options: { plugins: { legend: { display: false } }, scales: yInteger } },
          table(["Day", "Photos"], perDay.map((d) => [d.day, d.count])),
        ),
        chartFigure(
          "Confidence distribution",
          { type: "bar", data: { labels: HISTOGRAM_BUCKETS, datasets: [{ label: "Photos", data: histogram, backgroundColor: COLORS.amber }] }, options: { plugins: { legend: { display: false } }, scales: yInteger } },
          table(["Confidence", "Photos"], HISTOGRAM_BUCKETS.map((bucket, i) => [bucket, histogram[i] ?? 0])),
        ),
        chartFigure(
          "Accuracy from feedback",
          feedback.n
            ? { type: "doughnut", data: { labels: ["Right", "Wrong"], datasets: [{ data: [feedback.correct, feedback.n - feedback.correct], backgroundColor: [COLORS.primary, COLORS.accent] }] }, options: { plugins: { legend: { position: "bottom" } } } }
            : { type: "doughnut", data: { labels: ["No feedback yet"], datasets: [{ data: [1], backgroundColor: [COLORS.muted] }] }, options: { plugins: { legend: { position: "bottom" }, tooltip: { enabled: false } } } },
          table(["Answers", "Count"], [["Confirmed right", feedback.correct], ["Corrected", feedback.n - feedback.correct]]),
        ),
      ),
    );
  }

  function opsSection(ops) {
    const days = ops.perDay ?? [];
    const errorRate = (d) => (d.requests ? d.errors / d.requests : 0);
    const sum = (field) => days.reduce((total, d) => total + (d[field] ?? 0), 0);
    const [requests, errors, rateLimited] = [sum("requests"), sum("errors"), sum("rateLimited")];
    return h(
      "section",
      { class: "stats-section", "data-testid": "stats-ops" },
      h("h2", {}, "Operations"),
      h(
        "dl",
        { class: "tiles" },
        tile("Requests", String(requests)),
        tile("Error rate", percent(requests ? errors / requests : 0)),
        tile("Rate-limit hits", String(rateLimited)),
        tile("p95 latency, latest day", days.at(-1)?.p95 == null ? "—" : `${Math.round(days.at(-1).p95)} ms`),
      ),
      h(
        "div",
        { class: "charts" },
        chartFigure(
          "Latency percentiles (ms)",
          {
            type: "line",
            data: {
              labels: days.map((d) => d.day),
              datasets: [
                { label: "p50", data: days.map((d) => d.p50), borderColor: COLORS.primary, backgroundColor: COLORS.primary },
                { label: "p95", data: days.map((d) => d.p95), borderColor: COLORS.amber, backgroundColor: COLORS.amber },
                { label: "p99", data: days.map((d) => d.p99), borderColor: COLORS.accent, backgroundColor: COLORS.accent },
              ],
            },
            options: { scales: { y: { beginAtZero: true } } },
          },
          table(["Day", "p50", "p95", "p99"], days.map((d) => [d.day, d.p50, d.p95, d.p99])),
        ),
        chartFigure(
          "Requests, errors and rate-limit hits",
          {
            type: "bar",
            data: {
              labels: days.map((d) => d.day),
              datasets: [
                { label: "Requests", data: days.map((d) => d.requests), backgroundColor: COLORS.blue },
                { label: "Errors", data: days.map((d) => d.errors), backgroundColor: COLORS.accent },
                { label: "Rate-limited", data: days.map((d) => d.rateLimited), backgroundColor: COLORS.amber },
              ],
            },
            options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
          },
          table(["Day", "Requests", "Errors", "Error rate", "Rate-limited"], days.map((d) => [d.day, d.requests, d.errors, percent(errorRate(d)), d.rateLimited])),
        ),
      ),
    );
  }

  return () => {
    for (const chart of charts) chart.destroy();
  };
}

function tile(name, value) {
  return h("div", { class: "tile" }, h("dt", {}, name), h("dd", {}, value));
}

function table(headers, rows) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col" }, header)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, cell) : h("td", {}, cell)))))),
  );
}
