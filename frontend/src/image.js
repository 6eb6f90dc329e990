// Client-side checks and downscaling before upload: the model needs about 224 px, so sending a 12-megapixel
// photo wastes the user's data plan. The long side goes down to 1024 px, re-encoded as JPEG.
import { ApiError } from "./api.js";
import { DEFAULT_LIMITS, formatBytes } from "./errors.js";

const LONG_SIDE = 1024;
const JPEG_QUALITY = 0.85;
// Small enough already: sent untouched, saving a lossy re-encode.
const SEND_AS_IS_BYTES = 1.5 * 1024 * 1024;

const EXTENSION_TYPES = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", heic: "image/heic", heif: "image/heif" };

/** The MIME type of a file, from the browser or, when it does not know (HEIC on many), from the extension. */
function fileType(file) {
  if (file.type) return file.type.toLowerCase();
  const extension = (file.name ?? "").split(".").pop().toLowerCase();
  return EXTENSION_TYPES[extension] ?? "";
}

function isAccepted(type, limits) {
  const accepted = new Set(limits.acceptedTypes);
  // HEIF is the container of HEIC; a server that takes one takes the other.
  return accepted.has(type) || (type === "image/heif" && accepted.has("image/heic"));
}

function scaledSize(width, height) {
  const scale = Math.min(1, LONG_SIDE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

async function encodeJpeg(bitmap, width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; // transparent PNG pixels would turn black in a JPEG
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("JPEG encoding failed"))), "image/jpeg", JPEG_QUALITY),
  );
}

/**
 * Checks a picked/dropped/pasted file and makes the blob to upload.
 * @returns {Promise<{blob: Blob, filename: string, width: number|null, height: number|null, downscaled: boolean}>}
 * @throws {ApiError} 415 for a type we do not take, 413 for a file over the limit that we cannot shrink
 */
export async function prepareImage(file, limits = DEFAULT_LIMITS) {
  const name = file.name || "pasted image";
  const type = fileType(file);
  if (!isAccepted(type, limits)) {
    throw new ApiError(415, "unsupported-type", `“${name}” is not a photo we can read.`);
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    bitmap = null; // HEIC in most browsers, or a damaged file: the server decodes it (or says why it cannot)
  }
  if (!bitmap) {
    if (file.size > limits.maxUploadBytes) {
      throw new ApiError(413, "too-large", `“${name}” is ${formatBytes(file.size)}; the limit is ${formatBytes(limits.maxUploadBytes)}.`);
    }
    return { blob: file, filename: name, width: null, height: null, downscaled: false };
  }
  const { width, height } = bitmap;
  const fitsAlready = Math.max(width, height) <= LONG_SIDE && file.size <= SEND_AS_IS_BYTES && type !== "image/heic";
  if (fitsAlready) {
    bitmap.close();
    return { blob: file, filename: name, width, height, downscaled: false };
  }
  const size = scaledSize(width, height);
  const blob = await encodeJpeg(bitmap, size.width, size.height);
  bitmap.close();
  return { blob, filename: name.replace(/\.[^.]+$/, "") + ".jpg", ...size, downscaled: true };
}

export const acceptAttribute = (limits = DEFAULT_LIMITS) =>
  [...limits.acceptedTypes, ".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"].join(",");
