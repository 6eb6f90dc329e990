// What the server refuses reaches the client as a FruitError with the server's code, by whichever door.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FruitError } from "../src/errors.js";
import { solidPng } from "./support/images.js";
import { documentIds, freshWindow, joinNewOrg, newClient, objectNames, signUp, updateAccount } from "./support/stack.js";

const refusedWith = (code: string) => (error: unknown) => error instanceof FruitError && error.code === code;

test("an upload that is not an image arrives as its uploadErrors document", async (t) => {
  const client = newClient();
  t.after(() => client.close());
  const user = await client.signInAnonymously();
  const notAnImage = new TextEncoder().encode("definitely not a png");

  const error = await client.classify({ bytes: notAnImage, contentType: "image/png" }).catch((e) => e);

  assert.ok(refusedWith("unsupported-image")(error), String(error));
  assert.equal(error.status, undefined, "told by the trigger's uploadErrors document, not by an API answer");
  assert.equal(error.remedy, "chooseAnotherPhoto");
  assert.equal((await documentIds(user.uid, "uploadErrors")).length, 1);
  assert.deepEqual(await documentIds(user.uid, "classifications"), []);
  assert.deepEqual(await objectNames(`uploads/${user.uid}/`), [], "the refused upload was removed");
});

test("a photo over the size limit, or of a type the server does not read, is refused before uploading", async (t) => {
  const client = newClient();
  t.after(() => client.close());
  const user = await client.signInAnonymously();
  const tooLarge = new Uint8Array(10 * 1024 * 1024 + 1); // MAX_UPLOAD_SIZE (10 MB), from GET /api/me

  await assert.rejects(client.classify({ bytes: tooLarge, contentType: "image/jpeg" }), refusedWith("image-too-large"));
  await assert.rejects(client.classify({ bytes: solidPng(), contentType: "image/gif" }), refusedWith("unsupported-image"));
  assert.deepEqual(await objectNames(`uploads/${user.uid}/`), []);
  assert.deepEqual(await documentIds(user.uid, "uploadErrors"), [], "nothing reached the server");
});

test("a burst over the org's limit: the first photo is classified, the others are rate-limited", async (t) => {
  const account = await signUp();
  await joinNewOrg(account, 1); // requestsPerMinute: 1 for the whole org
  const client = newClient();
  t.after(() => client.close());
  await client.signInWithEmail(account.email, account.password);
  await freshWindow();

  const photos = [0, 1, 2].map((i) => ({ bytes: solidPng([60 * i, 120, 200]), contentType: "image/png" }));
  const outcomes = await Promise.allSettled(photos.map((photo) => client.classify(photo)));

  const classified = outcomes.filter((outcome) => outcome.status === "fulfilled");
  const refused = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason] : []));
  assert.equal(classified.length, 1, JSON.stringify(refused.map(String)));
  assert.equal(refused.length, 2);
  assert.ok(refused.every(refusedWith("rate-limited")), refused.map(String).join("; "));
  assert.ok(refused.every((error) => error.remedy === "retryLater"));
  assert.equal((await documentIds(account.uid, "uploadErrors")).length, 2);
});

test("a disabled account's upload is refused with account-disabled", async (t) => {
  const account = await signUp();
  const client = newClient();
  t.after(() => client.close());
  await client.signInWithEmail(account.email, account.password);
  await client.classify({ bytes: solidPng(), contentType: "image/png" });

  await updateAccount(account.uid, { disableUser: true });
  // The app still holds an ID token from before: Storage takes the upload, the server refuses it.
  const error = await client.classify({ bytes: solidPng([1, 2, 3]), contentType: "image/png" }).catch((e) => e);

  assert.ok(refusedWith("account-disabled")(error), String(error));
  assert.equal(error.remedy, "accountDisabled");
  assert.equal((await documentIds(account.uid, "classifications")).length, 1, "nothing new was classified");
});
