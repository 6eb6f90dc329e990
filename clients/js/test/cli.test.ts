// The CLI as a person runs it (`npx fruit-client ...`): it prints JSON, and exits when done.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { solidPng } from "./support/images.js";
import { API, signUp } from "./support/stack.js";

const CLI = new URL("../src/cli.js", import.meta.url).pathname;

async function fruitClient(args: string[], env: Record<string, string>) {
  // A process that does not exit (a timer or a connection the SDK left open) fails here instead of hanging.
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, ...args], {
    env: { ...process.env, FRUIT_API: API, ...env },
    timeout: 120_000,
  });
  return JSON.parse(stdout);
}

test("fruit-client classifies a photo file, lists it and takes feedback, exiting each time", async () => {
  const account = await signUp();
  const signedIn = { FRUIT_EMAIL: account.email, FRUIT_PASSWORD: account.password };
  const photo = join(await mkdtemp(join(tmpdir(), "fruit-client-")), "photo.png");
  await writeFile(photo, solidPng());

  const { classification } = await fruitClient(["classify", photo], signedIn);
  const history = await fruitClient(["history", "5"], signedIn);
  const corrected = await fruitClient(["feedback", classification.id, "correct"], signedIn);

  assert.equal(classification.source, "mobile");
  assert.deepEqual(history.items.map((item: { id: string }) => item.id), [classification.id]);
  assert.equal(corrected.feedback.correct, true);
});

test("fruit-client refuses an unknown command with its usage and status 2", async () => {
  const error = await promisify(execFile)(process.execPath, [CLI, "peel"]).catch((e) => e);
  assert.equal(error.code, 2);
  assert.match(error.stderr, /^usage: fruit-client classify <photo>/);
});
