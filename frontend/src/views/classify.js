// Classify a photo: drop, pick, take with the camera or paste; downscale, upload with progress, show the
// answer. The model on this device answers first (marked as such); the server's answer replaces it. Offline, the
// photo waits in the offline queue with the device's answer, and once the queue has uploaded it the server's
// answer replaces that too. A failed upload keeps the prepared image so "Try again" does not make the user pick
// it again.
import { api, ApiError, classify } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { acceptedFormats, explain, formatBytes, sentence } from "../errors.js";
import { acceptAttribute, prepareImage } from "../image.js";
import { enqueue, QUEUE_ANSWERED } from "../offline/queue.js";
import { classifyOnDevice } from "../ondevice/model.js";
import { hasFeature, limits, session } from "../session.js";
import { resultCard } from "./result-card.js";

export function render(main) {
  let attempt = null; // {prepared, previewUrl, device: Promise of the device's answer or null, answered, queued}
  let countdown = null;
  let inflight = null; // the AbortController of the upload in progress: a new photo cancels the old upload
  const picker = h("input", { type: "file", accept: acceptAttribute(limits()), hidden: true, "data-testid": "picker", onchange: onInput });
  // `capture` opens the camera on phones; desktops ignore it and show the file picker.
  const camera = h("input", { type: "file", accept: "image/*", capture: "environment", hidden: true, onchange: onInput });
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
  const preview = h("figure", { class: "preview", hidden: true });
  const progress = h("progress", { max: "100", value: "0", "aria-label": "Upload progress" });
  const progressText = h("span", { class: "progress-text" });
  const progressRow = h("div", { class: "progress-row", hidden: true, role: "status" }, progress, progressText);
  const errorPanel = h("div", { class: "error-panel", hidden: true });
  const resultSlot = h("div", { class: "result-slot", "aria-live": "polite" });

  const section = h(
    "section",
    { class: "classify" },
    h("h1", { tabindex: "-1" }, "Classify a fruit"),
    h("div", { class: "classify-grid" }, h("div", {}, dropzone, preview, progressRow, errorPanel), resultSlot),
  );
  mount(main, section);

  function onInput(event) {
    const [file] = event.target.files;
    event.target.value = ""; // choosing the same file again must fire change again
    if (file) start(file);
  }

  function onDragOver(event) {
    if (![...(event.dataTransfer?.types ?? [])].includes("Files")) return;
    event.preventDefault();
    dropzone.classList.add("dragging");
  }
  function onDragLeave(event) {
    if (!section.contains(event.relatedTarget)) dropzone.classList.remove("dragging");
  }
  function onDrop(event) {
    event.preventDefault();
    dropzone.classList.remove("dragging");
    const [file] = event.dataTransfer?.files ?? [];
    if (file) start(file);
  }
  function onPaste(event) {
    const file = [...(event.clipboardData?.files ?? [])][0];
    if (file) {
      event.preventDefault();
      start(file);
    }
  }
  section.addEventListener("dragover", onDragOver);
  section.addEventListener("dragleave", onDragLeave);
  section.addEventListener("drop", onDrop);
  document.addEventListener("paste", onPaste);

  function reset() {
    clearInterval(countdown);
    errorPanel.hidden = true;
    progressRow.hidden = true;
    resultSlot.replaceChildren();
  }

  function showPreview(url, name) {
    preview.hidden = false;
    mount(
      preview,
      url ? h("img", { src: url, alt: `Your photo: ${name}` }) : h("div", { class: "preview-missing" }, "No preview for this format"),
      h("figcaption", {}, name),
    );
  }

  async function start(file) {
    inflight?.abort();
    reset();
    if (attempt?.previewUrl) URL.revokeObjectURL(attempt.previewUrl);
    attempt = null;
    preview.hidden = true;
    try {
      const prepared = await prepareImage(file, limits());
      const previewUrl = prepared.width ? URL.createObjectURL(prepared.blob) : null;
      // a preview only: a browser that cannot run the model (or decode the photo) simply waits for the server
      const device = prepared.width ? classifyOnDevice(prepared.blob).catch(deviceUnavailable) : Promise.resolve(null);
      attempt = { prepared, previewUrl, device, answered: false };
      showPreview(previewUrl, file.name || "Pasted image");
    } catch (error) {
      showError(error);
      return;
    }
    upload();
  }

  async function upload() {
    reset();
    if (navigator.onLine === false) return saveForLater();
    progressRow.hidden = false;
    progress.value = 0;
    progressText.textContent = "Uploading…";
    const current = attempt;
    const { prepared } = current;
    inflight?.abort();
    const controller = (inflight = new AbortController());
    current.device.then((answer) => {
      if (answer && !current.answered && attempt === current && !controller.signal.aborted) showResult(answer);
    });
    try {
      const classification = await classify(prepared.blob, {
        filename: prepared.filename,
        signal: controller.signal,
        onProgress: (fraction) => {
          progress.value = Math.round(fraction * 100);
          progressText.textContent = fraction < 1 ? `Uploading… ${Math.round(fraction * 100)}%` : "Classifying…";
        },
      });
      progressRow.hidden = true;
      current.answered = true;
      showResult(classification);
    } catch (error) {
      if (controller.signal.aborted) return; // replaced by a newer photo, which owns the screen now
      progressRow.hidden = true;
      if (error.code === "offline") return saveForLater();
      current.answered = true; // the error stays on screen, not a preview that would wait forever
      resultSlot.replaceChildren();
      showError(error, { canRetry: true });
    }
  }

  /** Offline: the device's answer now, the photo into the offline queue for the server (and the history). */
  async function saveForLater() {
    const current = attempt;
    current.answered = true;
    const answer = await current.device;
    try {
      current.queued = await enqueue({ uid: session.user.uid, blob: current.prepared.blob, filename: current.prepared.filename, device: answer });
    } catch {
      // no IndexedDB (some private windows): the photo can only wait on screen, for "Try again"
      showError(new ApiError(0, "offline", "You are offline: reconnect and try again."), { canRetry: true });
      return;
    }
    if (attempt !== current) return;
    if (answer) showResult(answer, { waiting: "offline" });
    else
      mount(resultSlot, h("p", { class: "card device-notice", role: "status" }, "You are offline: the photo is saved on this device and will be classified when you are back online."));
  }

  /** The offline queue uploaded a photo: if it is the one on screen, the server's answer (or refusal) replaces the card. */
  function onQueueAnswered({ detail: { item, classification, error } }) {
    if (!attempt?.queued || attempt.queued.clientId !== item.clientId) return;
    if (classification) return showResult(classification, { savedAt: item.createdAt });
    resultSlot.replaceChildren();
    showError(error);
  }
  window.addEventListener(QUEUE_ANSWERED, onQueueAnswered);

  async function askSecondOpinion(classification, button) {
    button.disabled = true;
    button.textContent = "Asking…";
    try {
      showResult(await api.secondOpinion(classification.id));
    } catch (error) {
      button.disabled = false;
      button.textContent = "Ask for a second opinion";
      toast(sentence(explain(error, limits())), "error");
    }
  }

  function showResult(classification, { waiting, savedAt } = {}) {
    mount(
      resultSlot,
      resultCard(classification, {
        onSecondOpinion: hasFeature("second_opinion") ? (button) => askSecondOpinion(classification, button) : undefined,
        waiting,
        savedAt,
      }),
      h("button", { type: "button", class: "button secondary another", onclick: () => pickButton.focus() }, "Classify another photo"),
    );
    resultSlot.querySelector(".verdict-label")?.setAttribute("tabindex", "-1");
    resultSlot.querySelector(".verdict-label")?.focus({ preventScroll: false });
  }

  function showError(error, { canRetry = false } = {}) {
    const { title, detail, retryable, retryAfter } = explain(error, limits());
    const retry =
      canRetry && retryable
        ? h("button", { type: "button", class: "button primary", onclick: () => upload() }, "Try again")
        : null;
    errorPanel.hidden = false;
    const detailText = detail.startsWith(title) ? detail.slice(title.length).replace(/^[.;:,\s]+/, "") : detail;
    mount(errorPanel, h("div", { role: "alert" }, h("p", { class: "error-title" }, title), detailText ? h("p", {}, detailText) : null), retry);
    if (retry && retryAfter > 0) {
      let remaining = retryAfter;
      retry.disabled = true;
      retry.textContent = `Try again in ${remaining} s`;
      countdown = setInterval(() => {
        remaining -= 1;
        if (remaining > 0) retry.textContent = `Try again in ${remaining} s`;
        else {
          clearInterval(countdown);
          retry.disabled = false;
          retry.textContent = "Try again";
        }
      }, 1000);
    }
  }

  return () => {
    inflight?.abort();
    clearInterval(countdown);
    document.removeEventListener("paste", onPaste);
    window.removeEventListener(QUEUE_ANSWERED, onQueueAnswered);
    if (attempt?.previewUrl) URL.revokeObjectURL(attempt.previewUrl);
  };
}

function deviceUnavailable(error) {
  console.warn("No answer from this device:", error);
  return null;
}

/** Phones and tablets: a touch screen and no mouse-like pointer. On a desktop `capture` would only open the picker. */
function hasCamera() {
  return navigator.maxTouchPoints > 0 && !matchMedia("(hover: hover) and (pointer: fine)").matches;
}
