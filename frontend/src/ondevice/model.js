// The shipped .tflite, run in the browser by LiteRT.js (WebAssembly, served from this site). Loaded once, after
// the first paint (LiteRT.js is a separate chunk); the service worker keeps the model and runtime for offline use.
// Answers have the server's shape (label, confidence, topk, abstained, modelVersion) plus source: "device".
import { toInput } from "./preprocess.js";

let loading = null;
const SERVICE_WORKER_WAIT_MS = 5000;

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

let runtime = null;
async function load() {
  await serviceWorkerInControl();
  const response = await fetch("/models/device.json");
  if (!response.ok) throw new Error(`No on-device model (HTTP ${response.status}).`);
  const device = await response.json();
  const { loadLiteRt, loadAndCompile, supportsFeature, Tensor } = await import("@litertjs/core");
  const cache = globalThis.caches ? await caches.open(device.cache) : null;
  // LiteRT.js picks its build by the same test; both files are kept before it asks for them
  const build = (await supportsFeature("relaxedSimd")) ? "litert_wasm_internal" : "litert_wasm_compat_internal";
  await Promise.all([kept(cache, `${device.runtime}${build}.js`), kept(cache, `${device.runtime}${build}.wasm`)]);
  runtime ??= loadLiteRt(device.runtime).catch((error) => {
    runtime = null;
    throw error;
  });
  await runtime;
  const model = await loadAndCompile(await kept(cache, device.url), { accelerator: "wasm" });
  return { device, model, Tensor };
}

/** Starts loading (once) and resolves when the model can answer; rejects when this browser cannot run it. */
export function loadDeviceModel() {
  loading ??= load().then(
    (loaded) => {
      document.documentElement.dataset.deviceModel = loaded.device.id; // it answers offline from now on
      return loaded;
    },
    (error) => {
      loading = null;
      throw error;
    },
  );
  return loading;
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
  const { device, model, Tensor } = await loadDeviceModel();
  const { data, width, height } = await pixels(blob);
  const spec = device.preprocessing;
  const input = new Tensor(toInput(data, width, height, spec, { isJpeg: await isJpeg(blob) }), [1, spec.size, spec.size, 3]);
  const inferStarted = performance.now();
  const outputs = await model.run(input);
  const probabilities = Float32Array.from(outputs[0].toTypedArray());
  const inferMs = performance.now() - inferStarted;
  input.delete();
  for (const output of outputs) output.delete();
  const topk = [...probabilities]
    .map((p, index) => ({ label: device.labels[index], p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 5);
  const [best] = topk;
  return {
    label: best.label,
    confidence: best.p,
    topk,
    // the server's rule (fruitclf/model.py): not a fruit, or not sure enough
    abstained: best.label === "not_fruit" || best.p < device.abstainThreshold,
    modelVersion: device.id,
    source: "device",
    timings: { infer: inferMs, total: performance.now() - started },
  };
}
