// A phone that loses its connection in the middle of an upload: the SDK's resumable upload picks up again.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { FruitError } from "../src/errors.js";
import { noisePng } from "./support/images.js";
import { CuttingProxy } from "./support/proxy.js";
import { AUTH, FIRESTORE, STORAGE, documentIds, newClient } from "./support/stack.js";

test("an upload cut off in the middle resumes from the last confirmed chunk and is classified", async (t) => {
  const photo = noisePng(); // about 1.5 MB: chunks of 256 KB, 512 KB, then the rest
  const [host, port] = STORAGE.split(":");
  // Cut while the second chunk is on its way: the first (256 KB) is confirmed, the second is not.
  const proxy = new CuttingProxy({ host, port: Number(port) }, 400 * 1024);
  const storage = await proxy.start();
  t.after(() => proxy.stop());
  const client = newClient({ emulators: { auth: AUTH, firestore: FIRESTORE, storage } });
  t.after(() => client.close());
  const user = await client.signInAnonymously();
  const progressAfterCut: number[] = [];

  const { classification, via } = await client.classify(
    { bytes: photo, contentType: "image/png" },
    { onProgress: ({ transferred }) => proxy.cuts && progressAfterCut.push(transferred) },
  );

  assert.equal(proxy.cuts, 1, "the connection was dropped during the upload");
  assert.ok(progressAfterCut.length > 0);
  assert.ok(Math.min(...progressAfterCut) >= 256 * 1024, `resumed, not restarted: ${progressAfterCut}`);
  assert.equal(progressAfterCut.at(-1), photo.length);
  assert.ok(proxy.forwarded < 2 * photo.length, "the photo was not sent again from the start");
  assert.equal(via, "listener");
  assert.deepEqual(await documentIds(user.uid, "classifications"), [classification.id]);
});

/** An address where nothing listens: a phone with no network gets its connections refused, as here. */
async function unreachable(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

test("an upload that cannot reach Storage within the retry time fails with upload-failed", async (t) => {
  const offline = { auth: AUTH, firestore: FIRESTORE, storage: await unreachable() };
  const client = newClient({ emulators: offline, maxUploadRetryMs: 2_000 });
  t.after(() => client.close());
  const user = await client.signInAnonymously();

  const error = await client.classify({ bytes: noisePng(64, 64), contentType: "image/png" }).catch((e) => e);

  assert.ok(error instanceof FruitError && error.code === "upload-failed", String(error));
  assert.equal(error.remedy, "retryLater");
  assert.deepEqual(await documentIds(user.uid, "uploadErrors"), [], "nothing reached the server");
});
