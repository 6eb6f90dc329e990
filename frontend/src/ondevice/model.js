// The model in the browser, run by LiteRT.js (WebAssembly, served from this site): the org version (or the shipped
// model the org chose) serving the signed-in user when there is one (GET /api/me/model says which, with its card;
// its file comes with the user's ID token and is kept here by its hash), else the shipped default (public,
// /models/device.json). LiteRT.js is a separate chunk, loaded after the first paint; the service worker keeps the
// default model and the runtime for offline use. Answers have the server's shape (label, confidence, topk,
// abstained, modelVersion) plus source: "device".
import { api } from "../api.js";
import { session } from "../session.js";
import { toInput } from "./preprocess.js";

const SERVICE_WORKER_WAIT_MS = 5000;
// Which model serves the user is asked again after this long: a pin, rollback or rollout reaches the device
// within it (plus the server's own 30 s org cache, docs/models.md).
const SERVING_MAX_AGE_MS = 60_000;
// Org versions' files by hash. Not a "fruit-" name: the service worker clears those on each release.
const ORG_MODELS_CACHE = "org-models";
const SAVED_SERVING = "fruit-device-model"; // the last /api/me/model answer, for a start without a network

/** On a first visit the service worker takes control a moment after the page loads: the model and the runtime
 *  are fetched through it (and so kept for offline use) when it does so within a few seconds. */
function serviceWorkerInControl() {
  const worker = navigator.serviceWorker;
  if (!import.meta.env.PROD || !worker || worker.controller) return Promise.resolve();
  return new Promise((resolve) => {
    worker.addEventListener("controllerchange", resolve, { once: true });
    setTimeout(resolve, SERVICE_WORKER_WAIT_MS); // it failed to install: load anyway
  });
}

/** The bytes of a file from the device cache, fetched and kept there first if need be. The page, not the service
 *  worker, fills this cache, once and completely, so an interrupted load never leaves half a model behind. */
async function kept(cache, url) {
  let response = await cache?.match(url);
  if (!response) {
    response = await fetch(url);
    if (!response.ok) throw new Error(`Could not load ${url} (HTTP ${response.status}).`);
    await cache?.put(url, response.clone());
  }
  return new Uint8Array(await response.arrayBuffer());
}

let platform = null;
/** LiteRT.js and the default model's description, loaded once. */
async function loadPlatform() {
  await serviceWorkerInControl();
  const response = await fetch("/models/device.json");
  if (!response.ok) throw new Error(`No on-device model (HTTP ${response.status}).`);
  const device = await response.json();
  const { loadLiteRt, loadAndCompile, supportsFeature, Tensor } = await import("@litertjs/core");
  const cache = globalThis.caches ? await caches.open(device.cache) : null;
  // LiteRT.js picks its build by the same test; both files are kept before it asks for them
  const build = (await supportsFeature("relaxedSimd")) ? "litert_wasm_internal" : "litert_wasm_compat_internal";
  await Promise.all([kept(cache, `${device.runtime}${build}.js`), kept(cache, `${device.runtime}${build}.wasm`)]);
  await loadLiteRt(device.runtime);
  return { device, cache, loadAndCompile, Tensor };
}

function platformOnce() {
  platform ??= loadPlatform().catch((error) => {
    platform = null;
    throw error;
  });
  return platform;
}

function savedServing(uid) {
  try {
    const saved = JSON.parse(localStorage.getItem(SAVED_SERVING));
    return saved?.uid === uid ? saved.card : undefined;
  } catch {
    return undefined;
  }
}

let serving = null; // {uid, at, card: Promise of GET /api/me/model's answer, or null for the default model}
/** What serves the signed-in user: GET /api/me/model's answer (an org version's card, or `version: null` and the
 *  shipped model's `id`), null for a user outside any organisation (the default model). */
function servingCard() {
  const uid = session.user?.uid;
  if (!uid || !session.me?.org) return Promise.resolve(null);
  if (serving?.uid === uid && Date.now() - serving.at < SERVING_MAX_AGE_MS) return serving.card;
  const card = api.deviceModel().then(
    (answer) => {
      localStorage.setItem(SAVED_SERVING, JSON.stringify({ uid, card: answer }));
      return answer;
    },
    (error) => {
      const saved = error.status === 0 ? savedServing(uid) : undefined; // offline: the last one known
      if (saved === undefined) throw error;
      return saved;
    },
  );
  serving = { uid, at: Date.now(), card };
  card.catch(() => serving?.card === card && (serving = null));
  return card;
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** An org version's file (or a shipped model the org chose): from this device's cache by its hash, or else
 *  downloaded with the user's token, checked against the hash and kept (in place of any other: one serves a user). */
async function orgModelBytes(card) {
  const cache = globalThis.caches ? await caches.open(ORG_MODELS_CACHE) : null;
  const key = `/api/me/model/file?sha256=${card.sha256}`;
  const cached = await cache?.match(key);
  if (cached) return new Uint8Array(await cached.arrayBuffer());
  const bytes = new Uint8Array(await (await api.deviceModelFile()).arrayBuffer());
  if ((await sha256Hex(bytes)) !== card.sha256) {
    serving = null; // another version serves the user since the card was read: ask again next time
    throw new Error("Your organisation's model changed while it downloaded.");
  }
  if (cache) {
    await Promise.all((await cache.keys()).map((request) => cache.delete(request)));
    await cache.put(key, new Response(bytes));
  }
  return bytes;
}

/** What running a model takes, the same for the default one and an org version. */
function defaultModel({ device, cache }) {
  const { id, url, labels, abstainThreshold, preprocessing } = device;
  return { id, key: url, labels, abstainThreshold, preprocessing, outputKind: "probabilities", bytes: () => kept(cache, url) };
}

function orgModel(card) {
  const { id, sha256, labels, abstainThreshold, preprocessing, outputKind } = card;
  return { id, key: sha256, labels, abstainThreshold, preprocessing, outputKind, bytes: () => orgModelBytes(card) };
}

const compiled = new Map(); // model key -> Promise of the compiled model (compiled once per page)
function compile(model, { loadAndCompile }) {
  if (!compiled.has(model.key)) {
    const promise = model.bytes().then((bytes) => loadAndCompile(bytes, { accelerator: "wasm" }));
    promise.catch(() => compiled.delete(model.key));
    compiled.set(model.key, promise);
  }
  return compiled.get(model.key);
}

/** Loads (once per model) the model serving this user and resolves when it can answer; rejects when this
 *  browser cannot run it or cannot know which model serves the user. */
export async function loadDeviceModel() {
  const loaded = await platformOnce();
  const card = await servingCard();
  // A shipped model the org chose comes like an org version (with a `version`), unless it is too big for a device:
  // then the device stands aside and the server answers, rather than answer with a model the org did not choose.
  if (card && !card.version && card.id && card.id !== loaded.device.id) {
    throw new Error(`Your organisation's model ${card.id} answers on the server only.`);
  }
  const model = card?.version ? orgModel(card) : defaultModel(loaded);
  const runnable = await compile(model, loaded);
  document.documentElement.dataset.deviceModel = model.id; // it answers offline from now on
  return { model, runnable, Tensor: loaded.Tensor };
}

/** RGBA pixels of an image blob as the server decodes them: EXIF orientation applied, no colour management,
 *  transparent pixels over white. */
async function pixels(blob) {
  const bitmap = await createImageBitmap(blob, { imageOrientation: "from-image", colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = "#fff";
  context.fillRect(0, 0, bitmap.width, bitmap.height);
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { data: context.getImageData(0, 0, canvas.width, canvas.height).data, width: canvas.width, height: canvas.height };
}

const isJpeg = async (blob) => {
  const head = new Uint8Array(await blob.slice(0, 3).arrayBuffer());
  return head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
};

/**
 * Classifies an image blob on this device.
 * @returns {Promise<{label: string, confidence: number, topk: {label: string, p: number}[], abstained: boolean,
 *   modelVersion: string, source: "device", timings: {infer: number, total: number}}>}
 */
export async function classifyOnDevice(blob) {
  const started = performance.now();
  const { model, runnable, Tensor } = await loadDeviceModel();
  const { data, width, height } = await pixels(blob);
  const spec = model.preprocessing;
  const input = new Tensor(toInput(data, width, height, spec, { isJpeg: await isJpeg(blob) }), [1, spec.size, spec.size, 3]);
  const inferStarted = performance.now();
  const outputs = await runnable.run(input);
  const scores = Float32Array.from(outputs[0].toTypedArray());
  const probabilities = model.outputKind === "logits" ? softmax(scores) : scores;
  const inferMs = performance.now() - inferStarted;
  input.delete();
  for (const output of outputs) output.delete();
  const topk = [...probabilities]
    .map((p, index) => ({ label: model.labels[index], p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 5);
  const [best] = topk;
  return {
    label: best.label,
    confidence: best.p,
    topk,
    // the server's rule (ml/model.py): not a fruit, or not sure enough (a model without not_fruit: the threshold)
    abstained: best.label === "not_fruit" || best.p < model.abstainThreshold,
    modelVersion: model.id,
    source: "device",
    timings: { infer: inferMs, total: performance.now() - started },
  };
}

/** A card's `output.kind: "logits"`: the server applies the softmax, and so does the device. */
function softmax(scores) {
  const top = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}
