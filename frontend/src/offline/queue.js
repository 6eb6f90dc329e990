// Photos classified on the device while offline, kept in IndexedDB until the server has them: a closed tab or a
// restart loses nothing. Each item has a client id, made once, sent with its upload as the Idempotency-Key
// header: the server stores a repeated upload once and answers it with the first result. Uploading happens in one tab at a time (a Web Lock), in the order taken,
// and an item leaves the queue only once the server has answered for it.
import { classify } from "../api.js";

const DB_NAME = "fruit-offline";
const STORE = "queue";
export const QUEUE_CHANGED = "fruit-queue-changed";
/** Fired for each photo the server has answered for: detail {item, classification} or {item, error} (refused). */
export const QUEUE_ANSWERED = "fruit-queue-answered";

let dbPromise = null;
function db() {
  dbPromise ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "clientId" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return dbPromise;
}

async function transact(mode, work) {
  const database = await db();
  return new Promise((resolve, reject) => {
    const transaction = database.transaction(STORE, mode);
    const result = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(result?.result);
    transaction.onerror = () => reject(transaction.error);
  });
}

const changed = () => window.dispatchEvent(new Event(QUEUE_CHANGED));

/**
 * Keeps a photo to upload later.
 * @param {{uid: string, blob: Blob, filename: string, device: object|null}} item
 */
export async function enqueue({ uid, blob, filename, device }) {
  const item = { clientId: crypto.randomUUID(), uid, blob, filename, device, createdAt: new Date().toISOString() };
  await transact("readwrite", (store) => store.put(item));
  changed();
  return item;
}

/** The signed-in user's waiting photos, oldest first. */
export async function pending(uid) {
  const all = (await transact("readonly", (store) => store.getAll())) ?? [];
  return all.filter((item) => item.uid === uid).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

const remove = (clientId) => transact("readwrite", (store) => store.delete(clientId));

/**
 * Uploads the user's waiting photos. Stops at the first network error or rate limit (the rest wait for the next
 * try); a photo the server refuses (4xx other than 429) is dropped with its reason.
 * @returns {Promise<{uploaded: object[], refused: {item: object, error: Error}[], stopped: Error|null}>}
 */
export async function flush(uid) {
  const outcome = { uploaded: [], refused: [], stopped: null };
  const upload = async () => {
    for (const item of await pending(uid)) {
      let answer;
      try {
        answer = { classification: await classify(item.blob, { filename: item.filename, clientId: item.clientId }) };
        outcome.uploaded.push(answer.classification);
      } catch (error) {
        if (error.status === 0 || error.status === 429 || error.status >= 500) {
          outcome.stopped = error;
          break;
        }
        answer = { error };
        outcome.refused.push({ item, error });
      }
      await remove(item.clientId);
      changed();
      window.dispatchEvent(new CustomEvent(QUEUE_ANSWERED, { detail: { item, ...answer } }));
    }
  };
  // Another tab flushing the same queue would upload the same photos twice: one at a time.
  if (navigator.locks) await navigator.locks.request("fruit-offline-queue", upload);
  else await upload();
  return outcome;
}
