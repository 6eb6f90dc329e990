// The Firebase app and Auth instance. Locally (localhost / 127.0.0.1) the app talks to the emulators with the
// demo project; deployed, it reads the project's config from Hosting's reserved /__/firebase/init.json.
import { initializeApp } from "firebase/app";
import { connectAuthEmulator, getAuth } from "firebase/auth";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const AUTH_EMULATOR_URL = "http://127.0.0.1:9099";

const isLocal = LOCAL_HOSTS.has(location.hostname);

const demoConfig = {
  apiKey: "demo-api-key",
  authDomain: "demo-fruit.firebaseapp.com",
  projectId: "demo-fruit",
  storageBucket: "demo-fruit.appspot.com",
};

async function loadConfig() {
  if (isLocal) return demoConfig;
  const response = await fetch("/__/firebase/init.json");
  if (!response.ok) throw new Error(`Could not load the Firebase configuration (HTTP ${response.status}).`);
  return response.json();
}

let authPromise;
let firebaseApp;

/** The Auth instance, created once (on first use) with the right config and, locally, the emulator. */
export function firebaseAuth() {
  authPromise ??= loadConfig().then((config) => {
    firebaseApp = initializeApp(config);
    const auth = getAuth(firebaseApp);
    if (isLocal) connectAuthEmulator(auth, AUTH_EMULATOR_URL, { disableWarnings: true });
    return auth;
  });
  return authPromise;
}

// App Check (the API enforces it when APP_CHECK_ENFORCE is on): reCAPTCHA Enterprise with the site key given at
// build time; on the emulators the debug provider instead (its token is registered in the Firebase console).
// Without a site key the app sends no App Check token, and loads none of its code.
const APP_CHECK_SITE_KEY = import.meta.env.VITE_RECAPTCHA_ENTERPRISE_SITE_KEY;
let appCheckPromise;

/** A current App Check token, or null when App Check is not configured or no token could be had. */
export async function appCheckToken() {
  if (!APP_CHECK_SITE_KEY) return null;
  appCheckPromise ??= firebaseAuth().then(async () => {
    const { initializeAppCheck, ReCaptchaEnterpriseProvider } = await import("firebase/app-check");
    if (isLocal) self.FIREBASE_APPCHECK_DEBUG_TOKEN = import.meta.env.VITE_APPCHECK_DEBUG_TOKEN || true;
    return initializeAppCheck(firebaseApp, { provider: new ReCaptchaEnterpriseProvider(APP_CHECK_SITE_KEY), isTokenAutoRefreshEnabled: true });
  });
  try {
    const { getToken } = await import("firebase/app-check");
    return (await getToken(await appCheckPromise)).token;
  } catch {
    return null; // the API answers 401 app-check-missing where it is enforced, which the app shows
  }
}
