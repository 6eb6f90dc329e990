// What the views share about the signed-in user: the Firebase user, /api/me (features, limits, org, role)
// and /api/model (labels for feedback). Loaded once per sign-in, refreshed after an account upgrade.
import { api } from "./api.js";
import { DEFAULT_LIMITS } from "./errors.js";

export const session = {
  user: null,
  me: null,
  model: null,
  profileError: null,
};

// The last /api/me seen on this device: offline, the app still opens with it and classifies on the device.
const SAVED_PROFILE = "fruit-profile";

function savedProfile() {
  try {
    const saved = JSON.parse(localStorage.getItem(SAVED_PROFILE));
    return saved?.uid === session.user?.uid ? saved.me : null;
  } catch {
    return null;
  }
}

/** Loads /api/me (and /api/model once); on failure keeps the error for the view to explain. */
export async function refreshProfile() {
  try {
    // Without the model's labels only the feedback corrections suffer: do not fail the whole app for them
    // (feedback asks again with ensureModel()).
    const [me] = await Promise.all([api.me(), ensureModel().catch(() => null)]);
    session.me = me;
    session.profileError = null;
    localStorage.setItem(SAVED_PROFILE, JSON.stringify({ uid: session.user?.uid, me }));
  } catch (error) {
    const offline = error.status === 0 ? savedProfile() : null;
    session.me = offline;
    session.profileError = offline ? null : error;
  }
}

let modelRequest = null;
/** /api/model, loaded once; a failed load is tried again on the next call. */
export function ensureModel() {
  if (session.model) return Promise.resolve(session.model);
  modelRequest ??= api
    .model()
    .then((model) => (session.model = model))
    .finally(() => (modelRequest = null));
  return modelRequest;
}

export function clearProfile() {
  localStorage.removeItem(SAVED_PROFILE);
  session.me = null;
  session.profileError = null;
}

export const limits = () => session.me?.limits ?? DEFAULT_LIMITS;
export const hasFeature = (name) => Boolean(session.me?.features?.includes(name));
export const isOrgAdmin = () => Boolean(session.me?.org) && session.me?.role === "admin";
