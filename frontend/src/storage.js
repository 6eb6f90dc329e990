// Cloud Storage for the files that do not go through the API (an org's model files: storage.rules say who may
// write where). Loaded on first use, as a separate chunk; locally it talks to the Storage emulator.
import { firebaseAuth } from "./firebase.js";

const STORAGE_EMULATOR = { host: "127.0.0.1", port: 9199 };
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

let storagePromise;
async function storage() {
  storagePromise ??= Promise.all([firebaseAuth(), import("firebase/storage")]).then(([auth, sdk]) => {
    const instance = sdk.getStorage(auth.app);
    if (LOCAL_HOSTS.has(location.hostname)) sdk.connectStorageEmulator(instance, STORAGE_EMULATOR.host, STORAGE_EMULATOR.port);
    return { instance, sdk };
  });
  return storagePromise;
}

/**
 * Uploads a file to `path` (resumable, so a large model survives a brief drop), reporting bytes sent.
 * @param {string} path the object's name in the default bucket
 * @param {File|Blob} file
 * @param {{contentType: string, onBytes?: (sent: number) => void}} options
 */
export async function uploadFile(path, file, { contentType, onBytes }) {
  const { instance, sdk } = await storage();
  const task = sdk.uploadBytesResumable(sdk.ref(instance, path), file, { contentType });
  return new Promise((resolve, reject) => {
    task.on("state_changed", (snapshot) => onBytes?.(snapshot.bytesTransferred), reject, resolve);
  });
}
