// Boot: wait for the first auth state, load the user's profile, then route. Paths are real URLs (Hosting
// falls back to /index.html), links with data-link are handled here without a page load.
import "./styles.css";
import { watchUser } from "./auth.js";
import { h, mount, toast } from "./dom.js";
import { explain, sentence } from "./errors.js";
import { flush } from "./offline/queue.js";
import { loadDeviceModel } from "./ondevice/model.js";
import { clearProfile, hasFeature, isOrgAdmin, refreshProfile, session } from "./session.js";
import * as account from "./views/account.js";
import * as classifyView from "./views/classify.js";
import * as historyView from "./views/history.js";
import * as landing from "./views/landing.js";

const main = document.getElementById("main");
const nav = document.querySelector(".app-nav");

// The dashboard brings Chart.js: it is a separate chunk, loaded on first visit; so is the batch view.
const routes = {
  "/": { nav: "classify", title: "Classify", load: async () => classifyView },
  "/batch": { nav: "batch", title: "Batch", load: () => import("./views/batch.js") },
  "/history": { nav: "history", title: "History", load: async () => historyView },
  "/dashboard": { nav: "dashboard", title: "Dashboard", load: () => import("./views/dashboard.js") },
  "/models": { nav: "models", title: "Models", load: () => import("./views/models.js") },
  "/account": { nav: "account", title: "Account", load: async () => account },
  "/jobs": { nav: "jobs", title: "Bulk jobs", load: () => import("./views/jobs.js") },
};
const APP_NAME = "Fruit Classifier";

let leaveView = null;
let renderCount = 0;

function navigate(path, { replace = false } = {}) {
  if (replace) window.history.replaceState(null, "", path);
  else if (path !== location.pathname) window.history.pushState(null, "", path);
  render();
}

async function render() {
  const ticket = ++renderCount;
  leaveView?.();
  leaveView = null;
  const route = routes[location.pathname] ?? null;
  nav.hidden = !session.user;
  document.title = session.user && route ? `${route.title} · ${APP_NAME}` : APP_NAME;
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.nav === route?.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // an organisation may have analytics switched off: then there is no dashboard to offer
  nav.querySelector('[data-nav="dashboard"]').hidden = Boolean(session.me) && !hasFeature("analytics");
  nav.querySelector('[data-nav="jobs"]').hidden = !isOrgAdmin(); // bulk jobs are the org admins' alone
  nav.querySelector('[data-nav="models"]').hidden = !isOrgAdmin();
  if (!session.user) {
    leaveView = landing.render(main, { navigate });
    return;
  }
  if (!session.me) {
    renderProfileError();
    return;
  }
  if (!route) {
    mount(main, h("h1", { tabindex: "-1" }, "Page not found"), h("p", {}, h("a", { href: "/", "data-link": true }, "Go to the classifier")));
    return;
  }
  let view;
  try {
    view = await route.load();
  } catch {
    mount(main, h("h1", { tabindex: "-1" }, "This page did not load"), h("p", {}, "Check your connection, then reload the page."));
    return;
  }
  if (ticket !== renderCount) return; // the user navigated again meanwhile
  leaveView = view.render(main, { navigate }) ?? null;
  if (session.user.isAnonymous && route.nav !== "account") main.prepend(guestNotice());
  if (ticket > 1) main.querySelector("h1")?.focus();
}

function guestNotice() {
  return h("p", { class: "guest-notice" }, "You are trying the app as a guest. ", h("a", { href: "/account", "data-link": true }, "Save your account"), " to keep your history on any device.");
}

function renderProfileError() {
  mount(
    main,
    h("h1", { tabindex: "-1" }, "We could not load your account"),
    h("p", { class: "error-text", role: "alert" }, sentence(explain(session.profileError ?? new Error("Could not load your profile.")))),
    h("button", { class: "button primary", type: "button", onclick: () => refreshProfile().then(render) }, "Try again"),
  );
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(new URL(link.href).pathname);
});
window.addEventListener("popstate", render);

const offlineBanner = document.getElementById("offline-banner");
const showConnectivity = () => (offlineBanner.hidden = navigator.onLine);
window.addEventListener("online", showConnectivity);
window.addEventListener("offline", showConnectivity);
showConnectivity();

// After a failed upload the queue tries again later, each wait longer (seconds); every upload carries its
// Idempotency-Key, so a try the server did receive is never stored twice.
const QUEUE_RETRY_S = [5, 15, 60, 300];
const queueRetry = { timer: null, failures: 0 };

function uploadQueuedIn(seconds) {
  clearTimeout(queueRetry.timer);
  queueRetry.timer = setTimeout(uploadQueued, seconds * 1000);
}

/** Photos classified offline go to the server once there is a connection (and a signed-in user to own them). */
async function uploadQueued() {
  const uid = session.user?.uid;
  if (!uid || !session.me || navigator.onLine === false) return;
  const failed = (error) => ({ uploaded: [], refused: [], stopped: error });
  const { uploaded, refused, stopped } = await flush(uid).catch(failed);
  if (uploaded.length === 1) toast("The photo you classified offline is now in your history.");
  if (uploaded.length > 1) toast(`The ${uploaded.length} photos you classified offline are now in your history.`);
  for (const { item, error } of refused) toast(`“${item.filename}” was not accepted: ${error.message}`, "error");
  if (!stopped) {
    queueRetry.failures = 0;
  } else if (stopped.status === 429) {
    uploadQueuedIn(stopped.retryAfter ?? 30);
  } else {
    // a dropped connection or a server error (5xx): the photos wait on this device, nothing is lost
    uploadQueuedIn(QUEUE_RETRY_S[Math.min(queueRetry.failures++, QUEUE_RETRY_S.length - 1)]);
  }
}
window.addEventListener("online", uploadQueued);

// The service worker keeps the app, the model and the runtime for offline use (only in a build: not in `vite` dev).
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {}); // without it the app still works, online
}

/** After the first paint: the on-device model (a separate chunk, the WebAssembly runtime and the .tflite). */
function warmDeviceModel() {
  const later = window.requestIdleCallback ?? ((callback) => setTimeout(callback, 1));
  later(() => loadDeviceModel().catch(() => {})); // a browser that cannot run it just waits for the server
}

let lastUid;
watchUser(async (user) => {
  session.user = user;
  if (user && user.uid !== lastUid) {
    mount(main, h("p", { class: "loading", role: "status" }, "Loading your account…"));
    await refreshProfile();
  }
  if (!user) clearProfile();
  const signedIn = user && user.uid !== lastUid;
  lastUid = user?.uid;
  render();
  if (signedIn) {
    warmDeviceModel();
    uploadQueued();
  }
}).catch((error) => {
  mount(main, h("h1", {}, "The app could not start"), h("p", { class: "error-text", role: "alert" }, error.message));
});
