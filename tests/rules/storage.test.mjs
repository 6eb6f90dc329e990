// storage.rules, allow beside deny. They need the real Cloud Storage rules runtime: with the offline
// stand-in (scripts/bootstrap says which one is in use) the rules are not evaluated, so these skip.
import { after, before, describe, it } from "node:test";
import { readFileSync } from "node:fs";
import { assertFails, assertSucceeds, initializeTestEnvironment } from "@firebase/rules-unit-testing";
import { ref, uploadBytes, getBytes, deleteObject } from "firebase/storage";

const real = process.env.STORAGE_RULES_REAL === "1";
const skip = real ? false : "the Storage rules runtime could not be downloaded here; a stand-in that does not evaluate storage.rules is in use";
let env;

describe("storage.rules", { skip }, () => {
  before(async () => {
    env = await initializeTestEnvironment({
      projectId: "demo-fruit",
      storage: { host: "127.0.0.1", port: 9199, rules: readFileSync(new URL("../../storage.rules", import.meta.url), "utf8") },
    });
    await env.withSecurityRulesDisabled(async (ctx) => {
      await uploadBytes(ref(ctx.storage(), "users/alice/images/a.jpg"), new Uint8Array([255, 216, 255]), { contentType: "image/jpeg" });
    });
  });
  after(async () => env?.cleanup());

  const jpeg = new Uint8Array([255, 216, 255, 224]);
  const alice = () => env.authenticatedContext("alice").storage();
  const bob = () => env.authenticatedContext("bob").storage();

  it("a user uploads an image to their own folder", () => assertSucceeds(uploadBytes(ref(alice(), "uploads/alice/p.jpg"), jpeg, { contentType: "image/jpeg" })));
  it("not to someone else's", () => assertFails(uploadBytes(ref(bob(), "uploads/alice/p.jpg"), jpeg, { contentType: "image/jpeg" })));
  it("not a non-image", () => assertFails(uploadBytes(ref(alice(), "uploads/alice/p.txt"), jpeg, { contentType: "text/plain" })));
  it("not over 10 MB", () => assertFails(uploadBytes(ref(alice(), "uploads/alice/big.jpg"), new Uint8Array(10 * 1024 * 1024 + 1), { contentType: "image/jpeg" })));
  it("signed out, not at all", () => assertFails(uploadBytes(ref(env.unauthenticatedContext().storage(), "uploads/alice/p.jpg"), jpeg, { contentType: "image/jpeg" })));
  // An upload is write-once for its owner: docs/mobile.md lists what only these rules refuse.
  it("not an empty file", () => assertFails(uploadBytes(ref(alice(), "uploads/alice/empty.jpg"), new Uint8Array(0), { contentType: "image/jpeg" })));
  it("not into a nested folder", () => assertFails(uploadBytes(ref(alice(), "uploads/alice/album/p.jpg"), jpeg, { contentType: "image/jpeg" })));
  it("nor reads an upload back", () => assertFails(getBytes(ref(alice(), "uploads/alice/p.jpg"))));
  it("nor deletes one", () => assertFails(deleteObject(ref(alice(), "uploads/alice/p.jpg"))));
  it("a user reads their own stored images", () => assertSucceeds(getBytes(ref(alice(), "users/alice/images/a.jpg"))));
  it("not another user's", () => assertFails(getBytes(ref(bob(), "users/alice/images/a.jpg"))));
  const orgUser = (org, role) => env.authenticatedContext("carol", { org, role }).storage();
  it("an org admin uploads bulk-job images to the org's bulk folder", () => assertSucceeds(uploadBytes(ref(orgUser("acme", "admin"), "orgs/acme/bulk/shelf/a.jpg"), jpeg, { contentType: "image/jpeg" })));
  it("not a member of the org", () => assertFails(uploadBytes(ref(orgUser("acme", "member"), "orgs/acme/bulk/shelf/a.jpg"), jpeg, { contentType: "image/jpeg" })));
  it("not another org's admin", () => assertFails(uploadBytes(ref(orgUser("other", "admin"), "orgs/acme/bulk/shelf/a.jpg"), jpeg, { contentType: "image/jpeg" })));
  it("not elsewhere in the org's folder", () => assertFails(uploadBytes(ref(orgUser("acme", "admin"), "orgs/acme/other/a.jpg"), jpeg, { contentType: "image/jpeg" })));
  it("nor reads it back (results come from the API)", () => assertFails(getBytes(ref(orgUser("acme", "admin"), "orgs/acme/bulk/shelf/a.jpg"))));
  it("nor writes into the server's folder", () => assertFails(uploadBytes(ref(alice(), "users/alice/images/x.jpg"), jpeg, { contentType: "image/jpeg" })));

  // An organisation's own model: only its admins upload, only the three files, at most 20 MB; nobody reads.
  const model = new Uint8Array([28, 0, 0, 0, 84, 70, 76, 51]);
  const as = (uid, org, role) => env.authenticatedContext(uid, { org, role }).storage();
  const upload = (storage, path, data = model) => uploadBytes(ref(storage, path), data, { contentType: "application/octet-stream" });
  it("an org admin uploads a model to the org's upload folder", () => assertSucceeds(upload(as("ann", "acme", "admin"), "orgs/acme/models/uploads/v1/model.tflite")));
  it("not a member", () => assertFails(upload(as("mo", "acme", "member"), "orgs/acme/models/uploads/v1/model.tflite")));
  it("not another org's admin", () => assertFails(upload(as("eve", "other", "admin"), "orgs/acme/models/uploads/v1/model.tflite")));
  it("not a file other than the model, its labels and its card", () => assertFails(upload(as("ann", "acme", "admin"), "orgs/acme/models/uploads/v1/run.sh")));
  it("not over 20 MB", () => assertFails(upload(as("ann", "acme", "admin"), "orgs/acme/models/uploads/v1/model.tflite", new Uint8Array(20 * 1024 * 1024 + 1))));
  it("not into the registered versions", () => assertFails(upload(as("ann", "acme", "admin"), "orgs/acme/models/versions/v1/model.tflite")));
  it("nor read an upload back", () => assertFails(getBytes(ref(as("ann", "acme", "admin"), "orgs/acme/models/uploads/v1/model.tflite"))));
});
