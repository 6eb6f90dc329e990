// Many photos at once (up to 50): each is answered on this device at once, then sent to the server one after
// another with its own progress; a results table (thumbnail, label, confidence, not sure), "Retry failed photos",
// and a CSV of the answers. When the server's rate limit is reached the batch pauses with one message and a
// countdown, then carries on by itself: the photo that hit the limit is not counted as failed.
import { classify } from "../api.js";
import { h, labelName, mount, percent } from "../dom.js";
import { explain, sentence } from "../errors.js";
import { acceptAttribute, prepareImage } from "../image.js";
import { classifyOnDevice } from "../ondevice/model.js";
import { limits } from "../session.js";

export const MAX_FILES = 50;

const answerText = (answer) => (answer.abstained ? (answer.label === "not_fruit" ? "Not a fruit" : "Not sure") : labelName(answer.label));

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
  let pausedUntil = 0;
  let countdown = null;
  let left = false;

  const picker = h("input", { type: "file", multiple: true, accept: acceptAttribute(limits()), hidden: true, "data-testid": "batch-picker", onchange: onInput });
  const dropzone = h(
    "div",
    { class: "dropzone", "data-testid": "batch-dropzone" },
    h("p", { class: "dropzone-title" }, `Drop up to ${MAX_FILES} photos here`),
    h("div", { class: "dropzone-actions" }, h("button", { type: "button", class: "button primary", onclick: () => picker.click() }, "Choose photos"), picker),
    h("p", { class: "hint" }, "Each photo is answered on this device at once, then by the server, whose answer counts and goes to your history."),
  );
  const notice = h("p", { class: "hint", role: "status" });
  const pauseBanner = h("div", { class: "banner banner-warn", role: "alert", hidden: true });
  const summary = h("p", { class: "batch-summary", role: "status" });
  const retryButton = h("button", { type: "button", class: "button secondary", hidden: true, onclick: retryFailed }, "Retry failed photos");
  const csvButton = h("button", { type: "button", class: "button secondary", disabled: true, onclick: downloadCsv }, "Download CSV");
  const body = h("tbody");
  const table = h(
    "table",
    { class: "batch-table", hidden: true },
    h("caption", { class: "visually-hidden" }, "Answers for your photos"),
    h("thead", {}, h("tr", {}, ["Photo", "File", "Answer", "Confidence", "Not sure", "Status"].map((name) => h("th", { scope: "col" }, name)))),
    body,
  );
  const section = h(
    "section",
    { class: "batch" },
    h("h1", { tabindex: "-1" }, "Classify many photos"),
    dropzone,
    notice,
    pauseBanner,
    h("div", { class: "batch-actions" }, summary, retryButton, csvButton),
    h("div", { class: "table-scroll" }, table),
  );
  mount(main, section);

  function onInput(event) {
    const files = [...event.target.files];
    event.target.value = "";
    add(files);
  }
  section.addEventListener("dragover", (event) => {
    if (![...(event.dataTransfer?.types ?? [])].includes("Files")) return;
    event.preventDefault();
    dropzone.classList.add("dragging");
  });
  section.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("dragging");
    add([...(event.dataTransfer?.files ?? [])]);
  });

  function add(files) {
    const room = MAX_FILES - rows.length;
    const taken = files.slice(0, Math.max(0, room));
    notice.textContent =
      files.length > taken.length ? `A batch holds ${MAX_FILES} photos: ${files.length - taken.length} of them were not added; classify them in another batch.` : "";
    for (const file of taken) {
      const row = { file, state: "waiting", progress: 0, answer: null, error: null, prepared: null, element: null };
      row.element = h("tr", { "data-testid": "batch-row" });
      rows.push(row);
      body.append(row.element);
      draw(row);
    }
    table.hidden = rows.length === 0;
    update();
    run();
  }

  function draw(row) {
    const { answer } = row;
    let status = {
      waiting: "Waiting",
      preparing: "Preparing",
      uploading: `Uploading ${Math.round(row.progress * 100)}%`,
      done: "Done",
      failed: row.error ? `Failed: ${explain(row.error, limits()).title}` : "Failed", // the CSV has the whole sentence
    }[row.state];
    if (answer?.source === "device" && row.state !== "failed") status += " · answer from this device so far";
    const thumbnail = row.prepared?.width ? row.thumbnail : null;
    mount(
      row.element,
      h("td", {}, thumbnail ? h("img", { src: thumbnail, alt: "", width: "48", height: "48", class: "batch-thumb" }) : ""),
      h("td", { class: "batch-name" }, row.file.name),
      h("td", {}, answer ? answerText(answer) : "—"),
      h("td", {}, answer ? percent(answer.confidence) : "—"),
      h("td", {}, answer ? (answer.abstained ? "Yes" : "No") : "—"),
      h("td", { class: `batch-status batch-${row.state}` }, status),
    );
  }

  function update() {
    const done = rows.filter((row) => row.state === "done").length;
    const failed = rows.filter((row) => row.state === "failed").length;
    summary.textContent = rows.length ? `${done} of ${rows.length} done${failed ? `, ${failed} failed` : ""}.` : "";
    retryButton.hidden = failed === 0 || running;
    csvButton.disabled = !rows.some((row) => row.answer);
  }

  async function prepare(row) {
    row.state = "preparing";
    draw(row);
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
    draw(row);
    const answer = await classify(row.prepared.blob, {
      filename: row.prepared.filename,
      onProgress: (fraction) => {
        row.progress = fraction;
        draw(row);
      },
    });
    row.answer = answer;
    row.state = "done";
  }

  async function run() {
    if (running) return;
    running = true;
    update();
    for (let row = next(); row && !left; row = next()) {
      try {
        if (!row.prepared) await prepare(row);
        await waitWhilePaused();
        if (left) break;
        await upload(row);
        row.error = null;
      } catch (error) {
        if (error.status === 429) {
          row.state = "waiting"; // not a failure: it goes again when the limit allows
          pause(error.retryAfter ?? 30);
        } else {
          row.state = "failed";
          row.error = error;
        }
      }
      draw(row);
      update();
    }
    running = false;
    update();
  }

  const next = () => rows.find((row) => row.state === "waiting");

  function pause(seconds) {
    pausedUntil = Date.now() + seconds * 1000;
    clearInterval(countdown);
    const show = () => {
      const remaining = Math.ceil((pausedUntil - Date.now()) / 1000);
      const waiting = rows.filter((row) => row.state === "waiting").length;
      if (remaining <= 0) {
        clearInterval(countdown);
        pauseBanner.hidden = true;
        return;
      }
      pauseBanner.hidden = false;
      pauseBanner.textContent = `The server's limit on photos per minute is reached. The other ${waiting} photos continue by themselves in ${remaining} s.`;
    };
    show();
    countdown = setInterval(show, 1000);
  }

  function waitWhilePaused() {
    const wait = pausedUntil - Date.now();
    return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
  }

  function retryFailed() {
    for (const row of rows.filter((row) => row.state === "failed")) {
      row.state = "waiting";
      row.error = null;
      draw(row);
    }
    run();
  }

  function downloadCsv() {
    const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
    const link = h("a", { href: url, download: "fruit-classifications.csv", hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }

  return () => {
    left = true;
    clearInterval(countdown);
    objectUrls.forEach((url) => URL.revokeObjectURL(url));
  };
}
