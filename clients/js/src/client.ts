/**
 * The reference client of the Fruit Classification System: the flow a mobile app follows, on the Firebase JS
 * modular SDK. clients/android, clients/ios and clients/flutter do the same steps with their platform's SDK, and
 * docs/mobile.md explains them; every fact below comes from docs/api.md, storage.rules and
 * functions/fruitclf/config.py.
 *
 *  1. Sign in with Firebase Auth: email and password, or anonymously (an anonymous account has a lower rate
 *     limit, RATE_LIMIT_ANONYMOUS, and no second opinions).
 *  2. Check the photo against GET /api/me `limits` (maxUploadBytes: MAX_UPLOAD_SIZE, 10 MB; acceptedTypes),
 *     so a photo the server would refuse is not uploaded at all.
 *  3. Upload it with the Storage SDK to `uploads/<uid>/<fresh name>` with its image content type (storage.rules:
 *     the owner only, create only, an image type, 1 byte to 10 MB). The SDK's resumable upload survives a
 *     dropped connection; progress is reported per chunk.
 *  4. Listen with Firestore for the trigger's answer, matched on `uploadPath` (result.ts says why):
 *     users/<uid>/classifications/<id> (`source: "mobile"`) or users/<uid>/uploadErrors/<id>
 *     (`{uploadPath, error{code, message}, createdAt}`, e.g. `unsupported-image`, `image-too-large`,
 *     `rate-limited`, `account-disabled`).
 *  5. If nothing arrives within `resultTimeoutMs`, ask the API: POST /api/classify {"storagePath"}. The server
 *     classifies one object once whichever door comes first; a 404 `upload-not-found` means the trigger took it
 *     meanwhile, so read its answer once more.
 *  6. History: GET /api/classifications (pages), or live from Firestore (every device of the user sees a new
 *     result at once). Feedback: POST /api/classifications/<id>/feedback.
 *  App Check (when the project enforces it): the SDKs attach the token themselves; the API calls add it as
 *  `X-Firebase-AppCheck` (api.ts).
 */

import type { FirebaseApp, FirebaseOptions } from "firebase/app";
import { deleteApp, initializeApp } from "firebase/app";
import type { AppCheck, AppCheckOptions } from "firebase/app-check";
import { initializeAppCheck } from "firebase/app-check";
import type { Auth, User } from "firebase/auth";
import { connectAuthEmulator, getAuth, signInAnonymously, signInWithEmailAndPassword } from "firebase/auth";
import type { Firestore, Unsubscribe } from "firebase/firestore";
import { collection, connectFirestoreEmulator, getFirestore, limit, onSnapshot, orderBy, query } from "firebase/firestore";
import type { FirebaseStorage } from "firebase/storage";
import { connectStorageEmulator, getStorage } from "firebase/storage";
import { Api } from "./api.js";
import { FruitError } from "./errors.js";
import { classificationFrom, readResult, waitForResult } from "./result.js";
import type { Classification, Feedback, History, Me } from "./types.js";
import type { Photo, Progress } from "./upload.js";
import { uploadPhoto } from "./upload.js";

export interface ClientOptions {
  /** The web app's Firebase config (apiKey, projectId, storageBucket, appId). */
  firebase: FirebaseOptions;
  /** The API's root, e.g. `https://<project>.web.app/api`. */
  apiBase: string;
  /** `host:port` of each emulator, for a debug build; absent in production. */
  emulators?: { auth: string; firestore: string; storage: string };
  /** The App Check provider (ReCaptchaEnterpriseProvider in a browser, a CustomProvider elsewhere). */
  appCheckProvider?: AppCheckOptions["provider"];
  /** How long to wait for the trigger's answer before asking the API (default 20 s). */
  resultTimeoutMs?: number;
  /** How long the Storage SDK keeps retrying an upload (default its own: 10 minutes). */
  maxUploadRetryMs?: number;
}

export interface ClassifyOptions {
  onProgress?: (progress: Progress) => void;
}

/** Which door answered: the Firestore listener (the usual way) or the API fallback. */
export interface ClassifyOutcome {
  classification: Classification;
  via: "listener" | "api";
}

let instances = 0;

export class FruitClient {
  readonly app: FirebaseApp;
  readonly auth: Auth;
  readonly db: Firestore;
  readonly storage: FirebaseStorage;
  private readonly api: Api;
  private readonly resultTimeoutMs: number;
  private limits?: Me["limits"];

  constructor(options: ClientOptions) {
    // One app instance per client: two clients in one process are two devices, each with its own session.
    this.app = initializeApp(options.firebase, `fruit-client-${++instances}`);
    // Tokens on demand: each SDK and the API client ask for one when theirs has expired. The background
    // refresh (isTokenAutoRefreshEnabled) keeps a timer that deleteApp does not stop (firebase 12.19), so a
    // process using the client would never exit.
    const appCheck: AppCheck | undefined = options.appCheckProvider
      ? initializeAppCheck(this.app, { provider: options.appCheckProvider, isTokenAutoRefreshEnabled: false })
      : undefined;
    this.auth = getAuth(this.app);
    this.db = getFirestore(this.app);
    this.storage = getStorage(this.app);
    if (options.emulators) {
      const [firestoreHost, firestorePort] = hostAndPort(options.emulators.firestore);
      const [storageHost, storagePort] = hostAndPort(options.emulators.storage);
      connectAuthEmulator(this.auth, `http://${options.emulators.auth}`, { disableWarnings: true });
      connectFirestoreEmulator(this.db, firestoreHost, firestorePort);
      connectStorageEmulator(this.storage, storageHost, storagePort);
    }
    if (options.maxUploadRetryMs !== undefined) this.storage.maxUploadRetryTime = options.maxUploadRetryMs;
    this.api = new Api(options.apiBase, this.auth, appCheck);
    this.resultTimeoutMs = options.resultTimeoutMs ?? 20_000;
  }

  async signInWithEmail(email: string, password: string): Promise<User> {
    return (await signInWithEmailAndPassword(this.auth, email, password)).user;
  }

  async signInAnonymously(): Promise<User> {
    return (await signInAnonymously(this.auth)).user;
  }

  /** Upload a photo and wait for its classification; throws a FruitError with the server's code if refused. */
  async classify(photo: Photo, options: ClassifyOptions = {}): Promise<ClassifyOutcome> {
    const uid = this.uid();
    await this.checkLimits(photo);
    const uploadPath = await uploadPhoto(this.storage, uid, photo, options.onProgress);
    const heard = await waitForResult(this.db, uid, uploadPath, this.resultTimeoutMs);
    if (heard) return { classification: heard, via: "listener" };
    return { classification: await this.classifyByPath(uid, uploadPath), via: "api" };
  }

  /** A page of the caller's history, newest first (pass `nextCursor` back for the next page). */
  history(pageSize = 20, cursor?: string | null): Promise<History> {
    const params = new URLSearchParams({ limit: String(pageSize) });
    if (cursor) params.set("cursor", cursor);
    return this.api.call("GET", `/classifications?${params}`);
  }

  /** The newest `size` results, live: `onChange` runs now and again whenever any device adds or changes one. */
  watchHistory(size: number, onChange: (items: Classification[]) => void, onError?: (error: Error) => void): Unsubscribe {
    const newest = query(collection(this.db, "users", this.uid(), "classifications"), orderBy("createdAt", "desc"), limit(size));
    return onSnapshot(
      newest,
      (snapshot) => onChange(snapshot.docs.map((doc) => classificationFrom(doc.id, doc.data()))),
      onError,
    );
  }

  /** Say whether the model was right: `{correct: true}`, or the right label `{label}` (a label of the model). */
  sendFeedback(id: string, feedback: Feedback): Promise<Classification> {
    return this.api.call("POST", `/classifications/${encodeURIComponent(id)}/feedback`, feedback);
  }

  /** Sign out and release the SDK's connections (listeners, timers). */
  async close(): Promise<void> {
    await deleteApp(this.app);
  }

  private uid(): string {
    const user = this.auth.currentUser;
    if (!user) throw new FruitError("unauthenticated", "Sign in before classifying.");
    return user.uid;
  }

  private async checkLimits(photo: Photo): Promise<void> {
    this.limits ??= (await this.api.call<Me>("GET", "/me")).limits;
    if (!this.limits.acceptedTypes.includes(photo.contentType)) {
      throw new FruitError("unsupported-image", `Send one of ${this.limits.acceptedTypes.join(", ")}, not ${photo.contentType}.`);
    }
    if (photo.bytes.byteLength > this.limits.maxUploadBytes) {
      throw new FruitError("image-too-large", `The photo is larger than the ${this.limits.maxUploadBytes / (1024 * 1024)} MB limit.`);
    }
  }

  private async classifyByPath(uid: string, storagePath: string): Promise<Classification> {
    try {
      return await this.api.call<Classification>("POST", "/classify", { storagePath });
    } catch (error) {
      if (!(error instanceof FruitError && error.code === "upload-not-found")) throw error;
      // The trigger classified (or refused) the upload and removed it after the listener gave up.
      const settled = await readResult(this.db, uid, storagePath);
      if (settled) return settled;
      throw new FruitError("no-result", "The upload was neither classified nor refused: upload the photo again.");
    }
  }
}

function hostAndPort(address: string): [string, number] {
  const at = address.lastIndexOf(":");
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
