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

/** The Auth instance, created once (on first use) with the right config and, locally, the emulator. */
export function firebaseAuth() {
  authPromise ??= loadConfig().then((config) => {
    const auth = getAuth(initializeApp(config));
    if (isLocal) connectAuthEmulator(auth, AUTH_EMULATOR_URL, { disableWarnings: true });
    return auth;
  });
  return authPromise;
}
