// The service worker: the app opens and classifies without a network. Not bundled: the build
// (build/offline-assets.js) copies it to /sw.js with the shell list and the two cache versions filled in.
//   shell cache   index.html, the hashed assets, icons, manifest: precached at install
//   device cache  /models/** and /litert/** (the model and LiteRT.js's WebAssembly): the page fills it
//                 (ondevice/model.js) when it first loads the model; here they are only served from it
// A new release or model changes a version, so the next install starts fresh caches and activate removes
// every older "fruit-" cache. Never stored, not even handled: /api/** (the server's answers and history stay live)
// and Hosting's reserved /__/** (Google sign-in's handler and iframe belong to Firebase), except
// /__/firebase/init.json, the project's config, which an offline start needs.
const SHELL_FILES = "__SHELL_FILES__";
const SHELL_CACHE = "fruit-shell-__SHELL_VERSION__";
const DEVICE_CACHE = "fruit-device-__DEVICE_VERSION__";
const CURRENT = [SHELL_CACHE, DEVICE_CACHE];
const NOT_OURS = /^\/(api|__)\//;
const FIREBASE_CONFIG = "/__/firebase/init.json";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL_FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("fruit-") && !CURRENT.includes(name)).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

/** Cache first: for files whose URL changes whenever their content does. */
async function cacheFirst(request, cacheName = null) {
  const cached = await caches.match(request, { ignoreVary: true }); // the URL says which version it is
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && cacheName) (await caches.open(cacheName)).put(request, response.clone());
  return response;
}

/** Network first, the last good copy when offline: for the few files whose URL stays the same. */
async function networkFirst(request, cacheName, fallbackUrl = null) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(cacheName)).put(fallbackUrl ?? request, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(fallbackUrl ?? request, { ignoreVary: true });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (NOT_OURS.test(url.pathname) && url.pathname !== FIREBASE_CONFIG) return;
  if (request.mode === "navigate") {
    // every route is the same index.html (Hosting falls back to it)
    event.respondWith(networkFirst(request, SHELL_CACHE, "/"));
  } else if (/^\/(models|litert)\/[^/]+\//.test(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(cacheFirst(request, SHELL_CACHE));
  } else {
    // device.json, the nutrition catalog, the manifest, Hosting's /__/firebase/init.json
    event.respondWith(networkFirst(request, SHELL_CACHE));
  }
});
