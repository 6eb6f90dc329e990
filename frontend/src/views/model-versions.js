// An org's model versions as its admins see them (GET /api/orgs/<org>/models): what serves the org, each version
// with its validation report, and the actions an admin takes from there: pin, roll back, roll out to a share.
import { h, formatDate, mount, percent, uid } from "../dom.js";
import { formatBytes } from "../errors.js";

const STATUS_NAMES = { validating: "Validating…", ready: "Ready", rejected: "Rejected", deleted: "Deleted" };
const CHECK_MARKS = { passed: "Passed", failed: "Failed", skipped: "Skipped" };

/** What serves the org now, with roll back and stop rollout. */
export function servingSummary(listing, act, shipped = null) {
  const { pinned, history = [], rollout } = listing;
  const previous = history.at(-1);
  return h(
    "section",
    { class: "card model-serving", "aria-labelledby": "model-serving-heading" },
    h("h2", { id: "model-serving-heading" }, "Serving your organisation"),
    h("p", { "data-testid": "model-pinned" }, pinned ? `Pinned: ${pinned}` : "Pinned: none (the shipped model your organisation chose)"),
    shippedChooser(shipped, act),
    rollout
      ? h(
          "p",
          { "data-testid": "model-rollout" },
          `Rollout: ${rollout.version} to ${rollout.share}% of your users (the same users each time); the others get ${pinned ?? "the shipped model"}. `,
          h("button", { type: "button", class: "button secondary small", onclick: () => act("stop-rollout") }, "Stop the rollout"),
        )
      : null,
    previous
      ? h("button", { type: "button", class: "button secondary", onclick: () => act("rollback") }, `Roll back to ${previous}`)
      : h("p", { class: "hint" }, "No earlier version to roll back to."),
  );
}

// The shipped model serves whenever no version is pinned (during a rollout, the users outside it). The default is
// offered as "" (modelId null): the org then follows the default through later deploys instead of keeping today's file.
function shippedChooser(shipped, act) {
  if (!shipped) return null;
  const { available, defaultId, chosen } = shipped;
  const select = h(
    "select",
    { id: "shipped-model" },
    available.map((id) => {
      const value = id === defaultId ? "" : id;
      return h("option", { value, selected: value === (chosen ?? "") }, id === defaultId ? `${id} (the default)` : id);
    }),
  );
  const submit = (event) => {
    event.preventDefault();
    act("choose-shipped", select.value || null);
  };
  return h(
    "form",
    { class: "shipped-model", "aria-label": "Shipped model", onsubmit: submit },
    h("label", { for: "shipped-model" }, "Shipped model, when no version is pinned"),
    " ",
    select,
    " ",
    h("button", { type: "submit", class: "button secondary small" }, "Use this model"),
    h("p", { class: "hint" }, "Every instance uses a new choice within 30 seconds."),
  );
}

function reportTable(report) {
  if (!report) return h("p", { class: "hint" }, "The validation function has not reported yet.");
  return h(
    "table",
    { class: "report-table" },
    h("caption", { class: "visually-hidden" }, "Validation checks"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Check"), h("th", { scope: "col" }, "Result"), h("th", { scope: "col" }, "Detail"))),
    h(
      "tbody",
      {},
      report.checks.map((check) =>
        h(
          "tr",
          { class: `check-${check.status}`, "data-check": check.name },
          h("th", { scope: "row" }, check.name),
          h("td", {}, CHECK_MARKS[check.status] ?? check.status),
          h("td", {}, check.detail),
        ),
      ),
    ),
  );
}

/** The accuracy check (report.accuracy): the version and the one serving the org, on the org's corrected photos. */
function accuracyComparison(accuracy) {
  if (!accuracy) return null;
  const row = (role, side) =>
    h(
      "tr",
      { "data-model": side.model },
      h("th", { scope: "row" }, `${side.model} (${role})`),
      h("td", {}, `${side.correct} of ${side.photos}`),
      h("td", {}, side.top1 == null ? "—" : percent(side.top1)),
      h("td", {}, String(side.unknownLabels ?? 0)),
    );
  return h(
    "section",
    { class: "accuracy-check", "aria-label": "Accuracy check" },
    h("h4", {}, `Accuracy on your ${accuracy.photos} corrected photos`),
    accuracy.photos
      ? h(
          "table",
          { class: "report-table" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col" }, "Model"), h("th", { scope: "col" }, "Right"), h("th", { scope: "col" }, "Top-1"), h("th", { scope: "col" }, "Labels it lacks")),
          ),
          h("tbody", {}, row("this version", accuracy.candidate), accuracy.serving ? row("serving now", accuracy.serving) : null),
        )
      : h("p", { class: "hint" }, "No corrected photos yet: feedback from your members fills this check."),
  );
}

function rolloutControl(version, act) {
  const id = uid("rollout-share");
  const share = h("input", { id, type: "number", min: 1, max: 99, step: 1, value: 10, class: "share-input" });
  return h(
    "span",
    { class: "rollout-control" },
    h("label", { for: id }, "Share of users (%)"),
    share,
    h("button", { type: "button", class: "button secondary small", onclick: () => act("rollout", version.version, Number(share.value)) }, "Roll out"),
  );
}

/** One version: its facts, its report (open while it is the one just uploaded or it was rejected), its actions. */
function versionCard(version, listing, act, { open }) {
  const isPinned = version.version === listing.pinned;
  const inRollout = version.version === listing.rollout?.version;
  const ready = version.status === "ready";
  return h(
    "article",
    { class: `card model-version status-${version.status}`, "data-testid": "model-version", "data-version": version.version, "data-status": version.status },
    h(
      "h3",
      {},
      `${version.version} · ${version.name}`,
      isPinned ? h("span", { class: "badge" }, "Pinned") : null,
      inRollout ? h("span", { class: "badge" }, `Rollout ${listing.rollout.share}%`) : null,
    ),
    h(
      "p",
      { class: "meta" },
      h("span", { class: "model-status" }, STATUS_NAMES[version.status] ?? version.status),
      ` · ${version.labels?.length ?? 0} labels · ${formatBytes(version.bytes ?? 0)} · uploaded by ${version.uploadedBy?.email ?? "an admin"}`,
      version.createdAt ? ` on ${formatDate(version.createdAt)}` : "",
    ),
    version.notes ? h("p", {}, version.notes) : null,
    version.status === "rejected" && version.report?.reasons?.length
      ? h("ul", { class: "error-text", "aria-label": "Why it was rejected" }, version.report.reasons.map((reason) => h("li", {}, reason)))
      : null,
    accuracyComparison(version.report?.accuracy),
    h("details", { open: open || version.status === "rejected" }, h("summary", {}, "Validation report"), reportTable(version.report)),
    ready && !isPinned
      ? h(
          "div",
          { class: "version-actions" },
          h("button", { type: "button", class: "button primary small", onclick: () => act("pin", version.version) }, `Pin ${version.version}`),
          inRollout ? null : rolloutControl(version, act),
        )
      : null,
    // what serves anyone (pinned, in a rollout) must be replaced first; the server says so too (409)
    !isPinned && !inRollout && ["ready", "rejected"].includes(version.status) ? deleteControl(version, act) : null,
  );
}

/** Delete, asked twice: the version's file goes for good (its record and the history it made stay). */
function deleteControl(version, act) {
  const area = h("div", { class: "version-delete" });
  const ask = () =>
    mount(area, h("button", { type: "button", class: "button small danger-outline", "aria-label": `Delete version ${version.version}`, onclick: confirm }, "Delete"));
  function confirm() {
    const yes = h("button", { type: "button", class: "button small danger", onclick: () => act("delete", version.version) }, "Yes, delete");
    mount(
      area,
      h("span", { class: "confirm-text" }, `Delete ${version.version}? Its history stays.`),
      yes,
      h("button", { type: "button", class: "button small secondary", onclick: ask }, "Cancel"),
    );
    yes.focus();
  }
  ask();
  return area;
}

/** Newest first. `act(action, version?, share?)` performs an admin action; `openVersion` shows its report open. */
export function versionList(listing, act, { openVersion = null } = {}) {
  const versions = [...(listing.versions ?? [])].reverse();
  return h(
    "section",
    { "aria-labelledby": "model-versions-heading" },
    h("h2", { id: "model-versions-heading" }, "Versions"),
    versions.length
      ? versions.map((version) => versionCard(version, listing, act, { open: version.version === openVersion }))
      : h("p", { class: "hint" }, "No versions yet: add one above."),
  );
}

const rate = (value) => (value == null ? "—" : percent(value));
const ms = (value) => (value == null ? "—" : `${Math.round(value)} ms`);

/** Each model that answered the org side by side (GET /api/orgs/<org>/stats `models`), most used first: what an
 *  admin decides a pin or a rollout from. Shown on the Models page and the dashboard. */
export function versionFigures(models) {
  return h(
    "section",
    { class: "version-figures", "aria-labelledby": "version-figures-heading", "data-testid": "version-figures" },
    h("h2", { id: "version-figures-heading" }, "How each version did"),
    models?.length
      ? h(
          "div",
          { class: "table-scroll" },
          h(
            "table",
            { class: "report-table" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Model", "Classifications", "Not sure", "Right by feedback", "Latency p50", "p95"].map((name) => h("th", { scope: "col" }, name)),
              ),
            ),
            h(
              "tbody",
              {},
              models.map((row) =>
                h(
                  "tr",
                  { "data-model": row.model },
                  h("th", { scope: "row" }, row.model),
                  h("td", {}, String(row.requests)),
                  h("td", {}, rate(row.abstainRate)),
                  h("td", {}, row.feedback.n ? `${rate(row.feedback.accuracy)} of ${row.feedback.n}` : "—"),
                  h("td", {}, ms(row.latencyMs?.p50)),
                  h("td", {}, ms(row.latencyMs?.p95)),
                ),
              ),
            ),
          ),
        )
      : h("p", { class: "hint" }, "No classifications yet: the figures fill in as your members classify."),
  );
}
