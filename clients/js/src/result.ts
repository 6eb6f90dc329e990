/**
 * The trigger's answer to one upload, read from Firestore: users/<uid>/classifications (the result) or
 * users/<uid>/uploadErrors (why it was refused), the one whose `uploadPath` is this upload's path.
 *
 * Why `uploadPath` and not the document id: the id is derived on the server from the object's path and Storage
 * generation (functions/fruitclf/service/classify.py, `upload_doc_id`), a formula each client would have to copy
 * in its own language; `uploadPath` is a documented field (docs/api.md, "Mobile apps"). Every upload gets a fresh
 * name (upload.ts), so one path names one upload. An equality filter on one field needs no composite index.
 */

import type { DocumentData, Firestore, QuerySnapshot, Unsubscribe } from "firebase/firestore";
import { collection, getDocs, limit, onSnapshot, query, where } from "firebase/firestore";
import { FruitError } from "./errors.js";
import type { Classification } from "./types.js";

type Outcome = { classification: Classification } | { error: FruitError } | undefined;

function resultQueries(db: Firestore, uid: string, uploadPath: string) {
  const forThisUpload = (name: string) =>
    query(collection(db, "users", uid, name), where("uploadPath", "==", uploadPath), limit(1));
  return { results: forThisUpload("classifications"), errors: forThisUpload("uploadErrors") };
}

function outcomeOf(results?: QuerySnapshot, errors?: QuerySnapshot): Outcome {
  if (results && !results.empty) return { classification: classificationFrom(results.docs[0].id, results.docs[0].data()) };
  if (errors && !errors.empty) {
    const { code, message } = errors.docs[0].data().error;
    return { error: new FruitError(code, message) };
  }
  return undefined;
}

/** Resolves with the result, rejects with the upload's error, or resolves undefined after `timeoutMs`. */
export function waitForResult(db: Firestore, uid: string, uploadPath: string, timeoutMs: number): Promise<Classification | undefined> {
  const { results, errors } = resultQueries(db, uid, uploadPath);
  return new Promise((resolve, reject) => {
    let latestResults: QuerySnapshot | undefined;
    let latestErrors: QuerySnapshot | undefined;
    const stop: Unsubscribe[] = [];
    const finish = (outcome: Outcome) => {
      clearTimeout(timer);
      stop.forEach((unsubscribe) => unsubscribe());
      if (outcome && "error" in outcome) reject(outcome.error);
      else resolve(outcome?.classification);
    };
    const settle = () => {
      const outcome = outcomeOf(latestResults, latestErrors);
      if (outcome) finish(outcome);
    };
    // A listener that fails (offline, or a token the rules refuse) ends the wait early: the API fallback
    // then answers, with a clear error if there is one.
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    stop.push(
      onSnapshot(results, (snapshot) => { latestResults = snapshot; settle(); }, () => finish(undefined)),
      onSnapshot(errors, (snapshot) => { latestErrors = snapshot; settle(); }, () => finish(undefined)),
    );
  });
}

/** One read of the trigger's answer, for when the API says the upload is already gone (the trigger took it). */
export async function readResult(db: Firestore, uid: string, uploadPath: string): Promise<Classification | undefined> {
  const { results, errors } = resultQueries(db, uid, uploadPath);
  const outcome = outcomeOf(await getDocs(results), await getDocs(errors));
  if (outcome && "error" in outcome) throw outcome.error;
  return outcome?.classification;
}

/** A stored classification in the API's shape (docs/api.md, "A Classification"). */
export function classificationFrom(id: string, data: DocumentData): Classification {
  return {
    id,
    label: data.label,
    confidence: data.confidence,
    abstained: data.abstained,
    topk: data.topk,
    modelVersion: data.modelVersion,
    imagePath: data.imagePath,
    imageUrl: `/api/classifications/${id}/image`,
    source: data.source,
    org: data.org ?? null,
    feedback: data.feedback ?? null,
    secondOpinion: data.secondOpinion ?? null,
    createdAt: data.createdAt?.toDate().toISOString() ?? "",
  };
}
