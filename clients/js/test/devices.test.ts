// Two devices of one user: a result classified on one shows up on the other at once, and so does feedback.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Classification } from "../src/types.js";
import { solidPng } from "./support/images.js";
import { newClient, signUp } from "./support/stack.js";

/** Resolves with the first live history that satisfies `wanted`; fails after 90 s (as the Python tests' wait_for). */
function seen(
  watch: (onChange: (items: Classification[]) => void) => () => void,
  wanted: (items: Classification[]) => boolean,
): Promise<Classification[]> {
  return new Promise((resolve, reject) => {
    let stop = () => {};
    const timer = setTimeout(() => {
      stop();
      reject(new Error("not seen within 90 s"));
    }, 90_000);
    stop = watch((items) => {
      if (!wanted(items)) return;
      clearTimeout(timer);
      queueMicrotask(() => stop());
      resolve(items);
    });
  });
}

test("two devices signed in as one user see the same history live", async (t) => {
  const account = await signUp();
  const phone = newClient();
  const tablet = newClient();
  t.after(() => Promise.all([phone.close(), tablet.close()]));
  await phone.signInWithEmail(account.email, account.password);
  await tablet.signInWithEmail(account.email, account.password);
  const watch = (onChange: (items: Classification[]) => void) => tablet.watchHistory(10, onChange);
  await seen(watch, (items) => items.length === 0);

  const { classification } = await phone.classify({ bytes: solidPng(), contentType: "image/png" });
  const onTablet = await seen(watch, (items) => items.length === 1);
  assert.equal(onTablet[0].id, classification.id);
  assert.equal(onTablet[0].label, classification.label);

  await phone.sendFeedback(classification.id, { correct: true });
  const corrected = await seen(watch, (items) => items[0]?.feedback?.correct === true);
  assert.equal(corrected[0].id, classification.id);
});
