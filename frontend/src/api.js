// The one place that talks to /api: adds the ID token, parses the error envelope
// {"error": {"code", "message"}} into ApiError, and uploads with progress (XMLHttpRequest, which fetch lacks).
import { idToken } from "./auth.js";
import { appCheckToken } from "./firebase.js";

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the request never got an answer (offline, network error)
   * @param {string} code stable slug from the server (or "network" / "offline")
   * @param {string} message a sentence for people
   * @param {number|null} retryAfter seconds, from the Retry-After header
   */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

function offlineError() {
  return navigator.onLine === false
    ? new ApiError(0, "offline", "You are offline: reconnect and try again.")
    : new ApiError(0, "network", "Could not reach the server: check your connection and try again.");
}

function retryAfterSeconds(value) {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value); // Retry-After may also be an HTTP date
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function errorFromResponse(status, bodyText, retryAfterHeader) {
  let code = `http-${status}`;
  let message = `The server answered with an error (HTTP ${status}).`;
  try {
    const envelope = JSON.parse(bodyText).error;
    if (envelope?.code) code = envelope.code;
    if (envelope?.message) message = envelope.message;
  } catch {
    // not JSON (a proxy's HTML page, say): keep the generic sentence
  }
  return new ApiError(status, code, message, retryAfterSeconds(retryAfterHeader));
}

async function authHeaders() {
  const [token, appCheck] = await Promise.all([idToken(), appCheckToken()]);
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  if (appCheck) headers["X-Firebase-AppCheck"] = appCheck;
  return headers;
}

const GET_RETRY_DELAY_MS = 400;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function send(method, path, { json, responseType = "json" } = {}) {
  try {
    return await sendOnce(method, path, json, responseType);
  } catch (error) {
    // A read is safe to repeat: one retry hides a cold start or a dropped connection from the user.
    const transient = error.status === 0 ? error.code === "network" : error.status >= 500;
    if (method !== "GET" || !transient) throw error;
    await pause(GET_RETRY_DELAY_MS);
    return sendOnce(method, path, json, responseType);
  }
}

async function sendOnce(method, path, json, responseType) {
  const headers = await authHeaders();
  if (json !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  } catch {
    throw offlineError();
  }
  if (!response.ok) throw errorFromResponse(response.status, await response.text(), response.headers.get("Retry-After"));
  if (response.status === 204) return null;
  return responseType === "blob" ? response.blob() : response.json();
}

export const api = {
  model: () => send("GET", "/api/model"),
  me: () => send("GET", "/api/me"),
  /** The model this user's device runs: {version: null, id} (the public default) or an org version's card. */
  deviceModel: () => send("GET", "/api/me/model"),
  deviceModelFile: () => send("GET", "/api/me/model/file", { responseType: "blob" }),
  classifications: ({ limit = 20, cursor = null } = {}) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set("cursor", cursor);
    return send("GET", `/api/classifications?${query}`);
  },
  deleteClassification: (id) => send("DELETE", `/api/classifications/${encodeURIComponent(id)}`),
  secondOpinion: (id) => send("POST", `/api/classifications/${encodeURIComponent(id)}/second-opinion`),
  correctionLabels: (id) => send("GET", `/api/classifications/${encodeURIComponent(id)}/labels`),
  feedback: (id, body) => send("POST", `/api/classifications/${encodeURIComponent(id)}/feedback`, { json: body }),
  stats: () => send("GET", "/api/stats"),
  orgStats: (orgId) => send("GET", `/api/orgs/${encodeURIComponent(orgId)}/stats`),
  org: (orgId) => send("GET", `/api/orgs/${encodeURIComponent(orgId)}`),
  /** PATCH the org's editable fields (name, features, modelId, requestsPerMinute; admins). */
  updateOrg: (orgId, changes) => send("PATCH", `/api/orgs/${encodeURIComponent(orgId)}`, { json: changes }),
  orgModels: (orgId) => send("GET", `/api/orgs/${encodeURIComponent(orgId)}/models`),
  registerModel: (orgId, body) => send("POST", `/api/orgs/${encodeURIComponent(orgId)}/models`, { json: body }),
  pinModel: (orgId, version) => send("POST", `/api/orgs/${encodeURIComponent(orgId)}/models/${encodeURIComponent(version)}/pin`),
  deleteModel: (orgId, version) => send("DELETE", `/api/orgs/${encodeURIComponent(orgId)}/models/${encodeURIComponent(version)}`),
  rollBackModel: (orgId) => send("POST", `/api/orgs/${encodeURIComponent(orgId)}/models/rollback`),
  startRollout: (orgId, version, share) =>
    send("POST", `/api/orgs/${encodeURIComponent(orgId)}/models/${encodeURIComponent(version)}/rollout`, { json: { share } }),
  stopRollout: (orgId) => send("DELETE", `/api/orgs/${encodeURIComponent(orgId)}/models/rollout`),
  invitations: () => send("GET", "/api/invitations"),
  acceptInvitation: (id) => send("POST", `/api/invitations/${encodeURIComponent(id)}/accept`),
  declineInvitation: (id) => send("POST", `/api/invitations/${encodeURIComponent(id)}/decline`),
  /** The image of a classification as a Blob (the endpoint needs the Authorization header, so no plain <img src>). */
  image: (imageUrl) => send("GET", imageUrl, { responseType: "blob" }),
};

/**
 * POST /api/classify with the image, reporting upload progress.
 * @param {Blob} blob the (downscaled) image
 * @param {{filename?: string, clientId?: string, onProgress?: (fraction: number) => void, signal?: AbortSignal}} options
 *   clientId: the offline queue's id for the photo, sent as Idempotency-Key: a repeated upload is stored once
 * @returns {Promise<object>} the Classification
 */
export async function classify(blob, { filename = "photo.jpg", clientId, onProgress, signal } = {}) {
  const headers = await authHeaders();
  const form = new FormData();
  form.append("image", blob, filename);
  if (clientId) headers["Idempotency-Key"] = clientId;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/classify");
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch {
          reject(new ApiError(xhr.status, "bad-response", "The server sent an answer we could not read."));
        }
      } else {
        reject(errorFromResponse(xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After")));
      }
    };
    xhr.onerror = () => reject(offlineError());
    xhr.onabort = () => reject(new ApiError(0, "aborted", "The upload was cancelled."));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
