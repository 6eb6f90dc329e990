// Sentences people can act on, from API errors: when to retry, what the limits are, whether we are offline.

const TYPE_NAMES = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/webp": "WebP",
  "image/heic": "HEIC",
  "image/heif": "HEIF",
};

export const DEFAULT_LIMITS = {
  maxUploadBytes: 10 * 1024 * 1024,
  acceptedTypes: ["image/jpeg", "image/png", "image/webp", "image/heic"],
};

export function formatBytes(bytes) {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

export function acceptedFormats(limits = DEFAULT_LIMITS) {
  const known = Object.keys(TYPE_NAMES);
  const rank = (type) => (known.includes(type) ? known.indexOf(type) : known.length);
  const types = [...limits.acceptedTypes].sort((a, b) => rank(a) - rank(b)); // the common formats first
  const names = [...new Set(types.map((type) => TYPE_NAMES[type] ?? type))];
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names[0];
}

function retryIn(seconds) {
  if (seconds === null || seconds === undefined) return "Try again in a little while.";
  if (seconds <= 1) return "Try again now.";
  if (seconds < 90) return `Try again in ${seconds} seconds.`;
  return `Try again in about ${Math.round(seconds / 60)} minutes.`;
}

/**
 * @param {import("./api.js").ApiError|Error} error
 * @param {{maxUploadBytes: number, acceptedTypes: string[]}} limits from /api/me
 * @returns {{title: string, detail: string, retryable: boolean, retryAfter: number|null}}
 */
export function explain(error, limits = DEFAULT_LIMITS) {
  const status = error?.status;
  const serverSays = error?.message ?? "";
  if (status === 429 && error.code === "second-opinion-limit") // the project's daily ceiling, not the caller's pace
    return { title: "No more second opinions today", detail: serverSays, retryable: false, retryAfter: null };
  if (status === 429)
    return {
      title: "Too many requests",
      detail: `You have hit the rate limit. ${retryIn(error.retryAfter)}`,
      retryable: true,
      retryAfter: error.retryAfter ?? null,
    };
  if (status === 413)
    return {
      title: "This image is too large",
      detail: `The limit is ${formatBytes(limits.maxUploadBytes)} per image. Accepted formats: ${acceptedFormats(limits)}.`,
      retryable: false,
      retryAfter: null,
    };
  if (status === 415)
    return {
      title: "This file is not an image we can read",
      // the server's sentence may already list the formats; the limit is worth saying either way
      detail: /accepted formats/i.test(serverSays)
        ? `${serverSays} Up to ${formatBytes(limits.maxUploadBytes)}.`
        : `${serverSays} Accepted formats: ${acceptedFormats(limits)}, up to ${formatBytes(limits.maxUploadBytes)}.`,
      retryable: false,
      retryAfter: null,
    };
  if (status === 0 && error.code === "offline")
    return { title: "You are offline", detail: "Reconnect, then try again.", retryable: true, retryAfter: null };
  if (status === 0 && error.code === "network")
    return { title: "Could not reach the server", detail: serverSays, retryable: true, retryAfter: null };
  if (status === 401)
    return { title: "Your session has expired", detail: "Sign in again to continue.", retryable: false, retryAfter: null };
  if (status === 503 || status === 502 || status === 504)
    return { title: "The service is busy", detail: `${serverSays} ${retryIn(error.retryAfter)}`, retryable: true, retryAfter: error.retryAfter ?? null };
  if (status >= 500)
    return { title: "Something went wrong on our side", detail: serverSays, retryable: true, retryAfter: null };
  return { title: "That did not work", detail: serverSays || "Please try again.", retryable: status === undefined, retryAfter: null };
}

/** "Title. Detail" as one sentence for an alert, without repeating a detail that already starts with the title. */
export function sentence({ title, detail }) {
  if (!detail) return `${title}.`;
  return detail.startsWith(title) ? detail : `${title}. ${detail}`;
}
