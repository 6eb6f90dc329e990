// The answer for one photo: the label, the top-3 confidence bars, a clear "not a fruit / not sure" state,
// the model version and the time taken, nutrition per 100 g, feedback, and the second opinion when there is one.
// An answer from this device (source "device") says so: it is a preview until the server's answer replaces it.
// The server's answer for a photo saved offline says when it was saved.
import { formatDate, h, labelName, percent } from "../dom.js";
import { session } from "../session.js";
import { verdictText } from "../verdict.js";
import { feedbackControl } from "./feedback.js";
import { nutritionPanel } from "./nutrition.js";

export function confidenceBars(topk) {
  return h(
    "ol",
    { class: "bars", "aria-label": "Top guesses" },
    topk.slice(0, 3).map(({ label, p }) =>
      h(
        "li",
        { class: "bar-row" },
        h("span", { class: "bar-label" }, labelName(label)),
        h("span", { class: "bar-track", "aria-hidden": "true" }, h("span", { class: "bar-fill", style: { width: percent(p) } })),
        h("span", { class: "bar-value" }, percent(p)),
      ),
    ),
  );
}

function headline(classification) {
  return h(
    "div",
    { class: classification.abstained ? "verdict verdict-unsure" : "verdict" },
    h("p", { class: "verdict-label" }, verdictText(classification)),
    h(
      "p",
      { class: "verdict-detail" },
      classification.abstained ? whyNotSure(classification) : `${percent(classification.confidence)} confident`,
    ),
  );
}

function whyNotSure(classification) {
  const best = classification.topk?.[0];
  const threshold = session.model?.abstainThreshold;
  return [
    classification.label === "not_fruit"
      ? "This does not look like a fruit the model knows."
      : `The model is not confident enough to answer${threshold ? ` (it needs ${percent(threshold)})` : ""}.`,
    best && best.label !== "not_fruit" ? ` Its best guess was ${labelName(best.label)} at ${percent(best.p)}.` : "",
    " Try a closer, well-lit photo of a single fruit.",
  ];
}

function secondOpinionPanel(secondOpinion) {
  return h(
    "section",
    { class: "second-opinion", "aria-label": "Second opinion" },
    h("h3", {}, "Second opinion"),
    secondOpinion.label
      ? h(
          "p",
          {},
          h("strong", {}, labelName(secondOpinion.label)),
          secondOpinion.confidence != null ? ` (${percent(secondOpinion.confidence)})` : "",
          secondOpinion.note ? ` — ${secondOpinion.note}` : "",
        )
      : h("p", {}, secondOpinion.note || "No second opinion is available right now."),
    secondOpinion.model ? h("p", { class: "meta" }, `From ${secondOpinion.model}`) : null,
  );
}

function deviceNotice(waiting) {
  return h(
    "p",
    { class: "device-notice", "data-testid": "device-notice" },
    h("strong", {}, "On this device"),
    waiting === "offline"
      ? " · You are offline: the photo is saved here and goes to the server, and your history, when you are back online."
      : " · The server's answer replaces this in a moment.",
  );
}

function savedOfflineNotice(savedAt) {
  return h(
    "p",
    { class: "device-notice", "data-testid": "saved-offline" },
    "Saved on this device on ",
    h("time", { datetime: savedAt }, formatDate(savedAt)),
    " while you were offline. This is the server's answer, now in your history.",
  );
}

/**
 * @param {object} classification the server's, or classifyOnDevice()'s (source "device")
 * @param {{onSecondOpinion?: (button: HTMLButtonElement) => void, waiting?: "server"|"offline", savedAt?: string}} options
 *   waiting: for a device answer, what it waits for; savedAt: for the server's answer to a photo saved offline,
 *   when it was saved (ISO 8601)
 */
export function resultCard(classification, { onSecondOpinion, waiting = "server", savedAt } = {}) {
  const onDevice = classification.source === "device";
  const seconds = classification.timings?.total != null ? `${(classification.timings.total / 1000).toFixed(2)} s` : null;
  return h(
    "article",
    {
      class: `card result ${classification.abstained ? "result-unsure" : ""} ${onDevice ? "result-device" : ""}`,
      "aria-labelledby": "result-heading",
      "data-testid": onDevice ? "device-result" : "result",
      "data-label": classification.label,
      "data-confidence": classification.confidence,
      "data-model-version": classification.modelVersion,
      "data-infer-ms": classification.timings?.infer,
    },
    h("h2", { id: "result-heading", class: "visually-hidden" }, onDevice ? "Result on this device" : "Result"),
    onDevice ? deviceNotice(waiting) : null,
    savedAt ? savedOfflineNotice(savedAt) : null,
    headline(classification),
    classification.topk?.length ? confidenceBars(classification.topk) : null,
    h(
      "p",
      { class: "meta" },
      `Model ${classification.modelVersion ?? "unknown"}`,
      onDevice ? " · on this device" : "",
      seconds ? ` · took ${seconds}` : "",
    ),
    classification.abstained ? null : nutritionPanel(classification.label),
    classification.secondOpinion ? secondOpinionPanel(classification.secondOpinion) : null,
    onSecondOpinion && !classification.secondOpinion && !onDevice
      ? h("button", { type: "button", class: "button secondary", onclick: (event) => onSecondOpinion(event.currentTarget) }, "Ask for a second opinion")
      : null,
    onDevice ? null : feedbackControl(classification),
  );
}
