/** Put a photo where the `classify_upload` trigger picks it up: uploads/<uid>/<unique name> (storage.rules). */

import type { FirebaseStorage, StorageError } from "firebase/storage";
import { ref, uploadBytesResumable } from "firebase/storage";
import { FruitError } from "./errors.js";

export interface Photo {
  bytes: Uint8Array;
  /** An image type the server accepts (GET /api/me `limits.acceptedTypes`); storage.rules refuse non-images. */
  contentType: string;
}

export interface Progress {
  transferred: number;
  total: number;
}

const EXTENSIONS: Record<string, string> = {
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/webp": ".webp",
  "image/heic": ".heic",
};

/**
 * Upload with the SDK's resumable protocol (for photos over 256 KB): a dropped connection is retried from the
 * last chunk the server confirmed, with backoff, for up to the storage instance's `maxUploadRetryTime`.
 * Returns the object's path, which the trigger's result (or error) carries as `uploadPath`.
 */
export async function uploadPhoto(
  storage: FirebaseStorage,
  uid: string,
  photo: Photo,
  onProgress?: (progress: Progress) => void,
): Promise<string> {
  // A fresh name per photo: the rules allow creating an upload, never overwriting one, and the name is what
  // ties this upload to its result.
  const path = `uploads/${uid}/${crypto.randomUUID()}${EXTENSIONS[photo.contentType] ?? ""}`;
  const task = uploadBytesResumable(ref(storage, path), photo.bytes, { contentType: photo.contentType });
  task.on("state_changed", (snapshot) =>
    onProgress?.({ transferred: snapshot.bytesTransferred, total: snapshot.totalBytes }),
  );
  try {
    await task;
  } catch (error) {
    throw uploadError(error as StorageError);
  }
  return path;
}

function uploadError(error: StorageError): FruitError {
  if (error.code === "storage/unauthorized" || error.code === "storage/unauthenticated") {
    return new FruitError("upload-refused", "Storage refused the upload: sign in, and send one image of at most the size limit.");
  }
  return new FruitError("upload-failed", `The upload did not complete (${error.code}): try again when online.`);
}
