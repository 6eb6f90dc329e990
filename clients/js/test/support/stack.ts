/**
 * The emulator stack that scripts/test starts (scripts/stack.py), seen two ways: as the app sees it (a
 * FruitClient on the emulators) and as an operator sees it (the emulators' admin REST APIs with
 * `Bearer owner`, which the emulators treat as the project owner), to set the scene and to look behind the client.
 */

import { readFileSync } from "node:fs";
import type { ClientOptions } from "../../src/client.js";
import { FruitClient } from "../../src/client.js";

const firebaseJson = JSON.parse(readFileSync(new URL("../../../../../firebase.json", import.meta.url), "utf8"));
const port = (name: string): number => firebaseJson.emulators[name].port;

export const PROJECT = "demo-fruit";
// As tests/support/emulators.py: firebase-tools takes the bucket from STORAGE_BUCKET_URL when set.
export const BUCKET = process.env.STORAGE_BUCKET_URL || `${PROJECT}.appspot.com`;
export const API = process.env.FRUIT_API || `http://127.0.0.1:${port("hosting")}/api`;
export const AUTH = `127.0.0.1:${port("auth")}`;
export const FIRESTORE = `127.0.0.1:${port("firestore")}`;
export const STORAGE = `127.0.0.1:${port("storage")}`;
const OWNER = { Authorization: "Bearer owner" };

export function newClient(overrides: Partial<ClientOptions> = {}): FruitClient {
  return new FruitClient({
    firebase: { apiKey: "demo-api-key", projectId: PROJECT, storageBucket: BUCKET, appId: "1:0:web:0" },
    apiBase: API,
    emulators: { auth: AUTH, firestore: FIRESTORE, storage: STORAGE },
    // Long enough for a busy machine's trigger: a test that expects the listener to answer must not see the
    // fallback answer instead.
    resultTimeoutMs: 90_000,
    ...overrides,
  });
}

async function ok(response: Response): Promise<any> {
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

export interface Account {
  uid: string;
  email: string;
  password: string;
}

export async function signUp(): Promise<Account> {
  const email = `js-${crypto.randomUUID().slice(0, 12)}@example.com`;
  const password = "correct-horse-9";
  const body = await ok(
    await fetch(`http://${AUTH}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-api-key`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password, returnSecureToken: true }),
    }),
  );
  return { uid: body.localId, email, password };
}

/** Change an account as an operator would (the Auth emulator's admin API). */
export async function updateAccount(uid: string, fields: Record<string, unknown>): Promise<void> {
  await ok(
    await fetch(`http://${AUTH}/identitytoolkit.googleapis.com/v1/projects/${PROJECT}/accounts:update`, {
      method: "POST",
      headers: { ...OWNER, "Content-Type": "application/json" },
      body: JSON.stringify({ localId: uid, ...fields }),
    }),
  );
}

function firestoreValue(value: unknown): object {
  if (value === null) return { nullValue: null };
  if (typeof value === "number") return { integerValue: String(value) };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(firestoreValue) } };
  return { stringValue: String(value) };
}

async function setDocument(path: string, data: Record<string, unknown>): Promise<void> {
  const fields = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, firestoreValue(value)]));
  await ok(
    await fetch(`http://${FIRESTORE}/v1/projects/${PROJECT}/databases/(default)/documents/${path}`, {
      method: "PATCH",
      headers: { ...OWNER, "Content-Type": "application/json" },
      body: JSON.stringify({ fields }),
    }),
  );
}

/** An organisation as `admin create-org` writes it, with the account as a member (tests/support/emulators.py). */
export async function joinNewOrg(account: Account, requestsPerMinute: number): Promise<string> {
  const org = `org-js-${crypto.randomUUID().slice(0, 8)}`;
  await setDocument(`orgs/${org}`, { name: org, features: ["classification"], modelId: null, requestsPerMinute });
  await updateAccount(account.uid, { customAttributes: JSON.stringify({ org, role: "member" }) });
  await setDocument(`orgs/${org}/members/${account.uid}`, { uid: account.uid, email: account.email, role: "member" });
  return org;
}

/** The ids of users/<uid>/<collection>, read past the rules. */
export async function documentIds(uid: string, collection: string): Promise<string[]> {
  const body = await ok(
    await fetch(`http://${FIRESTORE}/v1/projects/${PROJECT}/databases/(default)/documents/users/${uid}/${collection}`, {
      headers: OWNER,
    }),
  );
  return (body.documents ?? []).map((doc: { name: string }) => doc.name.split("/").pop());
}

/** The objects under `prefix` in the project's bucket, listed past the rules. */
export async function objectNames(prefix: string): Promise<string[]> {
  const url = `http://${STORAGE}/v0/b/${BUCKET}/o?prefix=${encodeURIComponent(prefix)}`;
  const body = await ok(await fetch(url, { headers: OWNER }));
  return (body.items ?? []).map((item: { name: string }) => item.name);
}

/**
 * Wait, if need be, until the current one-minute rate-limit window has `minLeftS` seconds left, so that a test's
 * few requests all fall in one window (the limiter counts per wall-clock minute; tests/support/emulators.py).
 */
export async function freshWindow(minLeftS = 20): Promise<void> {
  const left = 60 - (Date.now() / 1000) % 60;
  if (left < minLeftS) await new Promise((resolve) => setTimeout(resolve, (left + 0.1) * 1000));
}
