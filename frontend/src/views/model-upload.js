// The form that adds a model version: the three files go to the org's upload folder in Cloud Storage (only its
// admins may write there, storage.rules), with one progress bar for the lot, then POST /api/orgs/<org>/models
// registers them and the validation function takes over.
import { api } from "../api.js";
import { h, uid } from "../dom.js";
import { explain, formatBytes, sentence } from "../errors.js";
import { uploadFile } from "../storage.js";

// As service/org_models.py and storage.rules have them.
const VERSION_PATTERN = "[a-z0-9]([a-z0-9.\\-]{0,38}[a-z0-9])?";
const FILES = [
  { name: "model.tflite", label: "Model (.tflite)", accept: ".tflite", contentType: "application/octet-stream", maxBytes: 20 * 1024 * 1024 },
  { name: "labels.txt", label: "Labels (labels.txt, one a line)", accept: ".txt,text/plain", contentType: "text/plain", maxBytes: 256 * 1024 },
  { name: "card.json", label: "Card (card.json)", accept: ".json,application/json", contentType: "application/json", maxBytes: 64 * 1024 },
];
const STORAGE_REFUSALS = {
  "storage/unauthorized": "Storage refused the upload: only this organisation's admins may upload its models (sign out and in again if you were made admin just now).",
  "storage/canceled": "The upload was cancelled.",
  "storage/retry-limit-exceeded": "The upload kept failing: check your connection and try again.",
  "storage/quota-exceeded": "The project's storage is full: tell its operator.",
};

function fileField({ name, label, accept }) {
  const id = uid("model-file");
  const input = h("input", { id, type: "file", name, accept, required: true });
  return { name, input, element: h("div", { class: "field" }, h("label", { for: id }, label), input) };
}

function textField(label, control) {
  control.id = uid("model-field");
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

function problemWith(files) {
  for (const spec of FILES) {
    const file = files[spec.name];
    if (!file) return `Choose the ${spec.name} file.`;
    if (file.size === 0) return `${file.name} is empty.`;
    if (file.size > spec.maxBytes) return `${file.name} is ${formatBytes(file.size)}: ${spec.name} may be at most ${formatBytes(spec.maxBytes)}.`;
  }
  return null;
}

function explainFailure(error) {
  if (error?.code?.startsWith?.("storage/")) return STORAGE_REFUSALS[error.code] ?? `The upload failed (${error.code}).`;
  return sentence(explain(error));
}

/**
 * @param {{orgId: string, onRegistered: (version: object) => void}} options onRegistered gets the new version
 *   (status "validating") once the API has it
 */
export function uploadForm({ orgId, onRegistered }) {
  const version = h("input", { type: "text", name: "version", required: true, pattern: VERSION_PATTERN, maxlength: 40, autocomplete: "off", "aria-describedby": "model-version-hint" });
  const notes = h("textarea", { name: "notes", rows: 2, maxlength: 2000 });
  const fields = FILES.map(fileField);
  const bar = h("progress", { max: 1, value: 0, "aria-label": "Upload progress" });
  const progressText = h("span", {});
  const progress = h("p", { class: "upload-progress", hidden: true }, bar, " ", progressText);
  const status = h("p", { role: "status", "aria-live": "polite" });
  const failure = h("p", { class: "error-text", role: "alert" });
  const submit = h("button", { type: "submit", class: "button primary" }, "Upload and validate");

  function showProgress(sent, total) {
    bar.value = total ? sent / total : 0;
    progressText.textContent = `${Math.round((100 * sent) / total)}% (${formatBytes(sent)} of ${formatBytes(total)})`;
  }

  async function send(event) {
    event.preventDefault();
    failure.textContent = "";
    status.textContent = "";
    const files = Object.fromEntries(fields.map((field) => [field.name, field.input.files[0]]));
    const problem = problemWith(files);
    if (problem) {
      failure.textContent = problem;
      return;
    }
    const name = version.value.trim();
    const total = FILES.reduce((sum, spec) => sum + files[spec.name].size, 0);
    const sent = Object.fromEntries(FILES.map((spec) => [spec.name, 0]));
    submit.disabled = true;
    progress.hidden = false;
    showProgress(0, total);
    try {
      await Promise.all(
        FILES.map((spec) =>
          uploadFile(`orgs/${orgId}/models/uploads/${name}/${spec.name}`, files[spec.name], {
            contentType: spec.contentType,
            onBytes: (bytes) => {
              sent[spec.name] = bytes;
              showProgress(Object.values(sent).reduce((sum, value) => sum + value, 0), total);
            },
          }),
        ),
      );
      status.textContent = `Uploaded. Registering ${name}…`;
      const registered = await api.registerModel(orgId, { version: name, upload: name, notes: notes.value });
      status.textContent = `${name} is registered: its validation report is below.`;
      event.target.reset();
      onRegistered(registered);
    } catch (error) {
      status.textContent = "";
      failure.textContent = explainFailure(error);
    } finally {
      submit.disabled = false;
      progress.hidden = true;
    }
  }

  return h(
    "form",
    { class: "card model-upload", "aria-labelledby": "model-upload-heading", onsubmit: send },
    h("h2", { id: "model-upload-heading" }, "Add a version"),
    textField("Version", version),
    h("p", { class: "hint", id: "model-version-hint" }, "1 to 40 lowercase letters, digits, dots or dashes, such as v2 or 2026-12-grocery. Versions never change once added."),
    fields.map((field) => field.element),
    textField("Notes (optional)", notes),
    h("p", { class: "hint" }, "The card holds the model's preprocessing object and abstain threshold (docs/models.md). The file is checked in a separate, limited process before it may serve."),
    submit,
    progress,
    status,
    failure,
  );
}
