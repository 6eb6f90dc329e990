// The mobile flow end to end on the emulators: sign in, upload, the trigger's result by listener (or the API
// when the listener gives up), history, feedback.
import assert from "node:assert/strict";
import { test } from "node:test";
import { solidPng } from "./support/images.js";
import { documentIds, newClient, objectNames, signUp } from "./support/stack.js";

test("a signed-in user's photo is classified by the trigger and the listener hears the result", async (t) => {
  const account = await signUp();
  const client = newClient();
  t.after(() => client.close());
  await client.signInWithEmail(account.email, account.password);
  const progress: number[] = [];

  const { classification, via } = await client.classify(
    { bytes: solidPng(), contentType: "image/png" },
    { onProgress: ({ transferred }) => progress.push(transferred) },
  );

  assert.equal(via, "listener");
  assert.equal(classification.source, "mobile");
  assert.ok(classification.label);
  assert.equal(classification.topk.length, 3);
  assert.equal(progress.at(-1), solidPng().length, "progress ends at the photo's size");
  assert.deepEqual(await documentIds(account.uid, "classifications"), [classification.id]);
  assert.deepEqual(await objectNames(`uploads/${account.uid}/`), [], "the trigger removed the upload");
  const history = await client.history();
  assert.deepEqual(history.items.map((item) => item.id), [classification.id]);
  assert.equal(history.items[0].label, classification.label);
});

test("when the listener gives up, the API classifies the upload, and only once", async (t) => {
  const client = newClient({ resultTimeoutMs: 0 });
  t.after(() => client.close());
  const user = await client.signInAnonymously();

  const { classification, via } = await client.classify({ bytes: solidPng([90, 160, 40]), contentType: "image/png" });

  // The API either classified it or found that the trigger had (404 upload-not-found, then one read): one result.
  assert.equal(via, "api");
  assert.equal(classification.source, "mobile");
  assert.deepEqual(await documentIds(user.uid, "classifications"), [classification.id]);
});

test("feedback sent through the API is stored with the result", async (t) => {
  const client = newClient();
  t.after(() => client.close());
  await client.signInAnonymously();
  const { classification } = await client.classify({ bytes: solidPng([200, 60, 40]), contentType: "image/png" });

  const updated = await client.sendFeedback(classification.id, { correct: true });

  assert.equal(updated.id, classification.id);
  assert.equal(updated.feedback?.correct, true);
  const [listed] = (await client.history(1)).items;
  assert.equal(listed.feedback?.correct, true);
});

test("history pages follow the cursor, newest first", async (t) => {
  const client = newClient();
  t.after(() => client.close());
  await client.signInAnonymously();
  const first = (await client.classify({ bytes: solidPng([10, 10, 200]), contentType: "image/png" })).classification;
  const second = (await client.classify({ bytes: solidPng([10, 200, 10]), contentType: "image/png" })).classification;

  const page = await client.history(1);
  const next = await client.history(1, page.nextCursor);

  assert.deepEqual([...page.items, ...next.items].map((item) => item.id), [second.id, first.id]);
});
