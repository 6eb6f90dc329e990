// Vite plugin: puts what the app needs beyond its bundle into the build, all served by Hosting (no CDN):
//   /models/device.json            which model and runtime the browser runs, labels, threshold, card `preprocessing`
//   /models/<id>-<hash>/model.tflite  the default model (functions/models/DEFAULT), the very file the server runs
//   /litert/<version>/...          LiteRT.js's WebAssembly runtime from node_modules/@litertjs/core/wasm
//   /catalog/nutrition.json        functions/catalog/nutrition.json, for the result card
//   /sw.js                         src/sw.js with the app-shell list and the cache versions filled in
// Versioned paths and cache names mean a new model, runtime or release replaces the old one cleanly.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const FRONTEND = join(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = join(FRONTEND, "..");
const MODELS = join(REPO, "functions", "models");
const LITERT = join(FRONTEND, "node_modules", "@litertjs", "core");
// The plain build needs relaxed SIMD (current Chrome, Edge, Firefox); `compat` is LiteRT.js's fallback for the rest.
const LITERT_FILES = ["litert_wasm_internal.js", "litert_wasm_internal.wasm", "litert_wasm_compat_internal.js", "litert_wasm_compat_internal.wasm"];
// Fetched by the page itself, not part of the shell the service worker precaches.
const NOT_SHELL = /^(models|litert|catalog)\/|^sw\.js$/;

const shortHash = (...buffers) => {
  const hash = createHash("sha256");
  for (const buffer of buffers) hash.update(buffer);
  return hash.digest("hex").slice(0, 10);
};

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function writeDeviceModel(outDir, runtimePath, litertVersion) {
  const id = readFileSync(join(MODELS, "DEFAULT"), "utf8").trim();
  const tflite = readFileSync(join(MODELS, id, "model.tflite"));
  const card = JSON.parse(readFileSync(join(MODELS, id, "model_card.json"), "utf8"));
  if (!card.preprocessing) throw new Error(`functions/models/${id}/model_card.json has no "preprocessing": the browser cannot prepare its input`);
  const folder = `${id}-${shortHash(tflite)}`;
  copy(join(MODELS, id, "model.tflite"), join(outDir, "models", folder, "model.tflite"));
  const device = {
    id,
    runtime: runtimePath,
    cache: `fruit-device-${folder}-litert-${litertVersion}`, // the service worker's name for it too
    url: `/models/${folder}/model.tflite`,
    bytes: tflite.length,
    labels: readFileSync(join(MODELS, id, "labels.txt"), "utf8").split("\n").map((line) => line.trim()).filter(Boolean),
    abstainThreshold: card.abstain_threshold,
    preprocessing: card.preprocessing,
  };
  writeFileSync(join(outDir, "models", "device.json"), JSON.stringify(device));
  return device.cache;
}

function writeRuntime(outDir) {
  const { version } = JSON.parse(readFileSync(join(LITERT, "package.json"), "utf8"));
  for (const name of LITERT_FILES) copy(join(LITERT, "wasm", name), join(outDir, "litert", version, name));
  return version;
}

export function offlineAssets() {
  let outDir;
  return {
    name: "fruit-offline-assets",
    apply: "build",
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    writeBundle() {
      const litertVersion = writeRuntime(outDir);
      const deviceCache = writeDeviceModel(outDir, `/litert/${litertVersion}/`, litertVersion);
      copy(join(REPO, "functions", "catalog", "nutrition.json"), join(outDir, "catalog", "nutrition.json"));
      const shellFiles = filesUnder(outDir)
        .map((path) => relative(outDir, path).split("\\").join("/"))
        .filter((path) => !NOT_SHELL.test(path))
        .sort();
      const shellHash = shortHash(...shellFiles.map((path) => `${path}\0`), ...shellFiles.map((path) => readFileSync(join(outDir, path))));
      const worker = readFileSync(join(FRONTEND, "src", "sw.js"), "utf8")
        .replace('"__SHELL_FILES__"', JSON.stringify(shellFiles.map((path) => (path === "index.html" ? "/" : `/${path}`))))
        .replace("__SHELL_VERSION__", shellHash)
        .replace('"fruit-device-__DEVICE_VERSION__"', JSON.stringify(deviceCache));
      writeFileSync(join(outDir, "sw.js"), worker);
    },
  };
}
