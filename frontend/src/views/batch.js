// Many photos at once (up to 50): each is answered on this device at once, then sent to the server one after
// another with its own progress; a results table (thumbnail, label, confidence, not sure), "Retry failed photos",
// and a CSV of the answers. When the server's rate limit is reached the batch pauses with one message and a
// countdown, then carries on by itself: the photo that hit the limit is not counted as failed.
import { classify } from "../api.js";
import { countdown } from "../countdown.js";
import { h, mount, percent } from "../dom.js";
import { explain, sentence } from "../errors.js";
import { acceptAttribute, prepareImage } from "../image.js";
import { classifyOnDevice } from "../ondevice/model.js";
import { limits } from "../session.js";
import { verdictText } from "../verdict.js";
import { acceptDroppedFiles } from "./drop-target.js";

export const MAX_FILES = 50;

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
const csvField = (value) => {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

export function toCsv(rows) {
  const header = ["file", "label", "confidence", "not_sure", "answered_by", "model", "classification_id", "error"];
  const lines = rows.map(({ file, answer, error }) => [
    file.name,
    answer?.label,
    answer ? answer.confidence.toFixed(4) : "",
    answer ? (answer.abstained ? "yes" : "no") : "",
    answer ? (answer.source === "device" ? "device" : "server") : "",
    answer?.modelVersion,
    answer?.source === "device" ? "" : answer?.id,
    error ? sentence(explain(error, limits())) : "",
  ]);
  return [header, ...lines].map((line) => line.map(csvField).join(",")).join("\r\n") + "\r\n";
}

export function render(main) {
  const rows = [];
  const objectUrls = [];
  let running = false;
  let left = false;

  const dropzone = batchDropzone(add);
  const notice = h("p", { class: "hint", role: "status" });
  const banner = pauseBanner(() => rows.filter(isWaiting).length);
  const summary = h("p", { class: "batch-summary", role: "status" });
  const retryButton = h("button", { type: "button", class: "button secondary", hidden: true, onclick: retryFailed }, "Retry failed photos");
  const csvButton = h("button", { type: "button", class: "button secondary", disabled: true, onclick: () => downloadCsv(rows) }, "Download CSV");
  const table = resultsTable();
  const section = h(
    "section",
    { class: "batch" },
    h("h1", { tabindex: "-1" }, "Classify many photos"),
    dropzone,
    notice,
    banner.element,
    h("div", { class: "batch-actions" }, summary, retryButton, csvButton),
    h("div", { class: "table-scroll" }, table.element),
  );
  mount(main, section);
  acceptDroppedFiles(section, dropzone, add);

  function add(files) {
    const taken = files.slice(0, Math.max(0, MAX_FILES - rows.length));
    notice.textContent =
      files.length > taken.length ? `A batch holds ${MAX_FILES} photos: ${files.length - taken.length} of them were not added; classify them in another batch.` : "";
    for (const file of taken) {
      const row = { file, state: "waiting", progress: 0, answer: null, error: null, prepared: null, element: h("tr", { "data-testid": "batch-row" }) };
      rows.push(row);
      table.add(row);
    }
    update();
    run();
  }

  function update() {
    const failed = rows.filter((row) => row.state === "failed").length;
    summary.textContent = summaryText(rows);
    retryButton.hidden = failed === 0 || running;
    csvButton.disabled = !rows.some((row) => row.answer);
  }

  async function run() {
    if (running) return;
    running = true;
    update();
    for (let row = rows.find(isWaiting); row && !left; row = rows.find(isWaiting)) {
      await classifyRow(row);
      drawRow(row);
      update();
    }
    running = false;
    update();
  }

  /** One photo: prepared and answered on the device, then sent when the server's limit allows. */
  async function classifyRow(row) {
    try {
      if (!row.prepared) await prepare(row, objectUrls);
      await banner.wait();
      if (left) return;
      await upload(row);
      row.error = null;
    } catch (error) {
      if (error.status === 429) {
        row.state = "waiting"; // not a failure: it goes again when the limit allows
        banner.pause(error.retryAfter ?? 30);
      } else {
        row.state = "failed";
        row.error = error;
      }
    }
  }

  function retryFailed() {
    for (const row of rows.filter((row) => row.state === "failed")) {
      row.state = "waiting";
      row.error = null;
      drawRow(row);
    }
    run();
  }

  return () => {
    left = true;
    banner.stop();
    objectUrls.forEach((url) => URL.revokeObjectURL(url));
  };
}

const isWaiting = (row) => row.state === "waiting";

function batchDropzone(onFiles) {
  const onchange = (event) => {
    const files = [...event.target.files];
    event.target.value = "";
    onFiles(files);
  };
  const picker = h("input", { type: "file", multiple: true, accept: acceptAttribute(limits()), hidden: true, "data-testid": "batch-picker", onchange });
  return h(
    "div",
    { class: "dropzone", "data-testid": "batch-dropzone" },
    h("p", { class: "dropzone-title" }, `Drop up to ${MAX_FILES} photos here`),
    h("div", { class: "dropzone-actions" }, h("button", { type: "button", class: "button primary", onclick: () => picker.click() }, "Choose photos"), picker),
    h("p", { class: "hint" }, "Each photo is answered on this device at once, then by the server, whose answer counts and goes to your history."),
  );
}

/** The batch's one message at the server's rate limit, counting down until the batch carries on by itself. */
function pauseBanner(waitingCount) {
  const element = h("div", { class: "banner banner-warn", role: "alert", hidden: true });
  let pausedUntil = 0;
  let stopCountdown = () => {};
  return {
    element,
    pause(seconds) {
      pausedUntil = Date.now() + seconds * 1000;
      stopCountdown();
      stopCountdown = countdown(seconds, {
        tick: (remaining) => {
          element.hidden = false;
          element.textContent = `The server's limit on photos per minute is reached. The other ${waitingCount()} photos continue by themselves in ${remaining} s.`;
        },
        done: () => (element.hidden = true),
      });
    },
    /** Resolves once the batch may send again. */
    wait() {
      const wait = pausedUntil - Date.now();
      return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
    },
    stop: () => stopCountdown(),
  };
}

function resultsTable() {
  const body = h("tbody");
  const element = h(
    "table",
    { class: "batch-table", hidden: true },
    h("caption", { class: "visually-hidden" }, "Answers for your photos"),
    h("thead", {}, h("tr", {}, ["Photo", "File", "Answer", "Confidence", "Not sure", "Status"].map((name) => h("th", { scope: "col" }, name)))),
    body,
  );
  return {
    element,
    add(row) {
      body.append(row.element);
      drawRow(row);
      element.hidden = false;
    },
  };
}

function drawRow(row) {
  const { answer } = row;
  const thumbnail = row.prepared?.width ? row.thumbnail : null;
  mount(
    row.element,
    h("td", {}, thumbnail ? h("img", { src: thumbnail, alt: "", width: "48", height: "48", class: "batch-thumb" }) : ""),
    h("td", { class: "batch-name" }, row.file.name),
    h("td", {}, answer ? verdictText(answer) : "—"),
    h("td", {}, answer ? percent(answer.confidence) : "—"),
    h("td", {}, answer ? (answer.abstained ? "Yes" : "No") : "—"),
    h("td", { class: `batch-status batch-${row.state}` }, statusText(row)),
  );
}

function statusText(row) {
  const status = {
    waiting: "Waiting",
    preparing: "Preparing",
    uploading: `Uploading ${Math.round(row.progress * 100)}%`,
    done: "Done",
    failed: row.error ? `Failed: ${explain(row.error, limits()).title}` : "Failed", // the CSV has the whole sentence
  }[row.state];
  return row.answer?.source === "device" && row.state !== "failed" ? `${status} · answer from this device so far` : status;
}

function summaryText(rows) {
  if (!rows.length) return "";
  const done = rows.filter((row) => row.state === "done").length;
  const failed = rows.filter((row) => row.state === "failed").length;
  return `${done} of ${rows.length} done${failed ? `, ${failed} failed` : ""}.`;
}

/** Downscaled, shown as a thumbnail and answered on this device (when the browser can decode it). */
async function prepare(row, objectUrls) {
  row.state = "preparing";
  drawRow(row);
  row.prepared = await prepareImage(row.file, limits());
  if (row.prepared.width) {
    row.thumbnail = URL.createObjectURL(row.prepared.blob);
    objectUrls.push(row.thumbnail);
    row.answer = await classifyOnDevice(row.prepared.blob).catch(() => null);
  }
}

async function upload(row) {
  row.state = "uploading";
  row.progress = 0;
  drawRow(row);
  row.answer = await classify(row.prepared.blob, {
    filename: row.prepared.filename,
    onProgress: (fraction) => {
      row.progress = fraction;
      drawRow(row);
    },
  });
  row.state = "done";
}

function downloadCsv(rows) {
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
  const link = h("a", { href: url, download: "fruit-classifications.csv", hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
