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

/** Loads /api/me (and /api/model once); on failure keeps the error for the view to explain. */
export async function refreshProfile() {
  try {
    // Without the model's labels only the feedback corrections suffer: do not fail the whole app for them.
    const [me, model] = await Promise.all([api.me(), session.model ?? api.model().catch(() => null)]);
    session.me = me;
    session.model = model;
    session.profileError = null;
  } catch (error) {
    session.me = null;
    session.profileError = error;
  }
}

export function clearProfile() {
  session.me = null;
  session.profileError = null;
}

export const limits = () => session.me?.limits ?? DEFAULT_LIMITS;
export const hasFeature = (name) => Boolean(session.me?.features?.includes(name));
export const isOrgAdmin = () => Boolean(session.me?.org) && session.me?.role === "admin";
export const modelLabels = () => session.model?.labels ?? [];
