// Classify a photo: drop, pick, take with the camera or paste; downscale, upload with progress, show the
// answer. The model on this device answers first (marked as such); the server's answer replaces it. Offline, the
// photo waits in the offline queue with the device's answer, and once the queue has uploaded it the server's
// answer replaces that too. A failed upload keeps the prepared image so "Try again" does not make the user pick
// it again.
import { api, ApiError, classify } from "../api.js";
import { countdown } from "../countdown.js";
import { h, mount, toast } from "../dom.js";
import { acceptedFormats, explain, formatBytes, sentence } from "../errors.js";
import { acceptAttribute, prepareImage } from "../image.js";
import { enqueue, QUEUE_ANSWERED } from "../offline/queue.js";
import { classifyOnDevice } from "../ondevice/model.js";
import { hasFeature, limits, session } from "../session.js";
import { acceptDroppedFiles } from "./drop-target.js";
import { resultCard } from "./result-card.js";

export function render(main) {
  const inputs = photoInputs((file) => flow.start(file));
  const preview = photoPreview();
  const progress = uploadProgress();
  const errors = errorPanel();
  const results = resultPanel(inputs.pickButton);
  const section = h(
    "section",
    { class: "classify" },
    h("h1", { tabindex: "-1" }, "Classify a fruit"),
    h("div", { class: "classify-grid" }, h("div", {}, inputs.dropzone, preview.element, progress.element, errors.element), results.element),
  );
  mount(main, section);
  const flow = classifyFlow({ preview, progress, errors, results });
  acceptDroppedFiles(section, inputs.dropzone, ([file]) => file && flow.start(file));
  const stopPaste = acceptPastedPhoto((file) => flow.start(file));
  return () => {
    flow.stop();
    stopPaste();
  };
}

/**
 * One photo at a time, from its choice to an answer: prepared and previewed, answered on this device, uploaded
 * (or queued while offline), then the server's answer or a readable error with "Try again".
 */
function classifyFlow({ preview, progress, errors, results }) {
  let attempt = null; // {prepared, previewUrl, device: Promise of the device's answer or null, answered, queued}
  let inflight = null; // the AbortController of the upload in progress: a new photo cancels the old upload

  function reset() {
    errors.hide();
    progress.hide();
    results.clear();
  }

  async function start(file) {
    inflight?.abort();
    reset();
    if (attempt?.previewUrl) URL.revokeObjectURL(attempt.previewUrl);
    attempt = null;
    preview.hide();
    try {
      const prepared = await prepareImage(file, limits());
      const previewUrl = prepared.width ? URL.createObjectURL(prepared.blob) : null;
      // a preview only: a browser that cannot run the model (or decode the photo) simply waits for the server
      const device = prepared.width ? classifyOnDevice(prepared.blob).catch(deviceUnavailable) : Promise.resolve(null);
      attempt = { prepared, previewUrl, device, answered: false };
      preview.show(previewUrl, file.name || "Pasted image");
    } catch (error) {
      errors.show(error);
      return;
    }
    upload();
  }

  async function upload() {
    reset();
    if (navigator.onLine === false) return saveForLater();
    progress.start();
    const current = attempt;
    inflight?.abort();
    const controller = (inflight = new AbortController());
    showDeviceAnswerMeanwhile(current, controller.signal);
    try {
      const classification = await classify(current.prepared.blob, {
        filename: current.prepared.filename,
        signal: controller.signal,
        onProgress: progress.update,
      });
      progress.hide();
      current.answered = true;
      results.show(classification);
    } catch (error) {
      if (controller.signal.aborted) return; // replaced by a newer photo, which owns the screen now
      progress.hide();
      if (error.code === "offline") return saveForLater();
      current.answered = true; // the error stays on screen, not a preview that would wait forever
      results.clear();
      errors.show(error, upload);
    }
  }

  /** The device's answer, marked as such, for as long as the server's has not come. */
  function showDeviceAnswerMeanwhile(current, signal) {
    current.device.then((answer) => {
      if (answer && !current.answered && attempt === current && !signal.aborted) results.show(answer);
    });
  }

  /** Offline: the device's answer now, the photo into the offline queue for the server (and the history). */
  async function saveForLater() {
    const current = attempt;
    current.answered = true;
    const answer = await current.device;
    const { blob, filename } = current.prepared;
    try {
      current.queued = await enqueue({ uid: session.user.uid, blob, filename, device: answer });
    } catch {
      // no IndexedDB (some private windows): the photo can only wait on screen, for "Try again"
      errors.show(new ApiError(0, "offline", "You are offline: reconnect and try again."), upload);
      return;
    }
    if (attempt !== current) return;
    if (answer) results.show(answer, { waiting: "offline" });
    else results.notice("You are offline: the photo is saved on this device and will be classified when you are back online.");
  }

  /** The offline queue uploaded a photo: if it is the one on screen, the server's answer (or refusal) replaces the card. */
  function onQueueAnswered({ detail: { item, classification, error } }) {
    if (!attempt?.queued || attempt.queued.clientId !== item.clientId) return;
    if (classification) return results.show(classification, { savedAt: item.createdAt });
    results.clear();
    errors.show(error);
  }
  window.addEventListener(QUEUE_ANSWERED, onQueueAnswered);

  return {
    start,
    stop() {
      inflight?.abort();
      errors.hide();
      window.removeEventListener(QUEUE_ANSWERED, onQueueAnswered);
      if (attempt?.previewUrl) URL.revokeObjectURL(attempt.previewUrl);
    },
  };
}

/** The ways to give a photo: "Choose a photo", the camera on phones, and the formats and size the server takes. */
function photoInputs(onFile) {
  const onchange = (event) => {
    const [file] = event.target.files;
    event.target.value = ""; // choosing the same file again must fire change again
    if (file) onFile(file);
  };
  const picker = h("input", { type: "file", accept: acceptAttribute(limits()), hidden: true, "data-testid": "picker", onchange });
  // `capture` opens the camera on phones; desktops ignore it and show the file picker.
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment", hidden: true, onchange });
  const pickButton = h("button", { type: "button", class: "button primary", onclick: () => picker.click() }, "Choose a photo");
  const dropzone = h(
    "div",
    { class: "dropzone", "data-testid": "dropzone" },
    h("p", { class: "dropzone-title" }, "Drop a photo of a fruit here"),
    h(
      "div",
      { class: "dropzone-actions" },
      pickButton,
      hasCamera() ? h("button", { type: "button", class: "button secondary", onclick: () => camera.click() }, "Take a photo") : null,
      picker,
      camera,
    ),
    h("p", { class: "hint" }, `You can also paste an image. ${acceptedFormats(limits())}, up to ${formatBytes(limits().maxUploadBytes)}.`),
  );
  return { dropzone, pickButton };
}

/** A pasted image is classified like a chosen one. @returns {() => void} stops listening */
function acceptPastedPhoto(onFile) {
  const onPaste = (event) => {
    const file = [...(event.clipboardData?.files ?? [])][0];
    if (file) {
      event.preventDefault();
      onFile(file);
    }
  };
  document.addEventListener("paste", onPaste);
  return () => document.removeEventListener("paste", onPaste);
}

function photoPreview() {
  const element = h("figure", { class: "preview", hidden: true });
  return {
    element,
    show(url, name) {
      element.hidden = false;
      mount(
        element,
        url ? h("img", { src: url, alt: `Your photo: ${name}` }) : h("div", { class: "preview-missing" }, "No preview for this format"),
        h("figcaption", {}, name),
      );
    },
    hide: () => (element.hidden = true),
  };
}

function uploadProgress() {
  const bar = h("progress", { max: "100", value: "0", "aria-label": "Upload progress" });
  const text = h("span", { class: "progress-text" });
  const element = h("div", { class: "progress-row", hidden: true, role: "status" }, bar, text);
  return {
    element,
    start() {
      element.hidden = false;
      bar.value = 0;
      text.textContent = "Uploading…";
    },
    /** @param {number} fraction of the photo sent, 0 to 1 */
    update(fraction) {
      bar.value = Math.round(fraction * 100);
      text.textContent = fraction < 1 ? `Uploading… ${Math.round(fraction * 100)}%` : "Classifying…";
    },
    hide: () => (element.hidden = true),
  };
}

/** What went wrong, in words; "Try again" when it is worth it, counting down when the server said when. */
function errorPanel() {
  const element = h("div", { class: "error-panel", hidden: true });
  let stopCountdown = () => {};
  return {
    element,
    /** @param {() => void} [onRetry] what "Try again" does; without it there is no button */
    show(error, onRetry) {
      stopCountdown();
      const { title, detail, retryable, retryAfter } = explain(error, limits());
      const retry = onRetry && retryable ? h("button", { type: "button", class: "button primary", onclick: () => onRetry() }, "Try again") : null;
      element.hidden = false;
      const detailText = detail.startsWith(title) ? detail.slice(title.length).replace(/^[.;:,\s]+/, "") : detail;
      mount(element, h("div", { role: "alert" }, h("p", { class: "error-title" }, title), detailText ? h("p", {}, detailText) : null), retry);
      if (retry && retryAfter > 0) stopCountdown = retryCountdown(retry, retryAfter);
    },
    hide() {
      stopCountdown();
      element.hidden = true;
    },
  };
}

/** "Try again in 3 s", disabled, until the server's Retry-After has passed. @returns {() => void} stops it */
function retryCountdown(button, seconds) {
  button.disabled = true;
  return countdown(seconds, {
    tick: (remaining) => (button.textContent = `Try again in ${remaining} s`),
    done: () => {
      button.disabled = false;
      button.textContent = "Try again";
    },
  });
}

/** The answer (the device's, then the server's) or a notice, with "Classify another photo". */
function resultPanel(pickButton) {
  const element = h("div", { class: "result-slot", "aria-live": "polite" });
  function show(classification, { waiting, savedAt } = {}) {
    mount(
      element,
      resultCard(classification, {
        onSecondOpinion: hasFeature("second_opinion") ? (button) => askSecondOpinion(classification, button, show) : undefined,
        waiting,
        savedAt,
      }),
      h("button", { type: "button", class: "button secondary another", onclick: () => pickButton.focus() }, "Classify another photo"),
    );
    const verdict = element.querySelector(".verdict-label");
    verdict?.setAttribute("tabindex", "-1");
    verdict?.focus({ preventScroll: false });
  }
  return {
    element,
    show,
    notice: (text) => mount(element, h("p", { class: "card device-notice", role: "status" }, text)),
    clear: () => element.replaceChildren(),
  };
}

async function askSecondOpinion(classification, button, show) {
  button.disabled = true;
  button.textContent = "Asking…";
  try {
    show(await api.secondOpinion(classification.id));
  } catch (error) {
    button.disabled = false;
    button.textContent = "Ask for a second opinion";
    toast(sentence(explain(error, limits())), "error");
  }
}

function deviceUnavailable(error) {
  console.warn("No answer from this device:", error);
  return null;
}

/** Phones and tablets: a touch screen and no mouse-like pointer. On a desktop `capture` would only open the picker. */
function hasCamera() {
  return navigator.maxTouchPoints > 0 && !matchMedia("(hover: hover) and (pointer: fine)").matches;
}
