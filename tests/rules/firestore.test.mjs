// Firestore security rules, allow beside deny, on the Firestore emulator (started by scripts/test).
import { after, before, beforeEach, describe, it } from "node:test";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { assertFails, assertSucceeds, initializeTestEnvironment } from "@firebase/rules-unit-testing";
import { doc, getDoc, setDoc, updateDoc, deleteDoc, collection, getDocs } from "firebase/firestore";

const PROJECT = "demo-fruit";
let env;

before(async () => {
  env = await initializeTestEnvironment({
    projectId: PROJECT,
    firestore: { host: "127.0.0.1", port: 8080, rules: readFileSync(new URL("../../firestore.rules", import.meta.url), "utf8") },
  });
});

after(async () => {
  // The emulator's rules coverage report: which expressions the tests exercised.
  const response = await fetch(`http://127.0.0.1:8080/emulator/v1/projects/${PROJECT}:ruleCoverage.html`);
  mkdirSync("test-artifacts", { recursive: true });
  writeFileSync("test-artifacts/firestore-rules-coverage.html", await response.text());
  await env.cleanup();
});

beforeEach(async () => {
  await env.clearFirestore();
  await env.withSecurityRulesDisabled(async (ctx) => {
    const db = ctx.firestore();
    await setDoc(doc(db, "users/alice/classifications/c1"), { label: "apple", confidence: 0.9 });
    await setDoc(doc(db, "users/alice/counters/summary"), { total: 1 });
    await setDoc(doc(db, "users/bob/classifications/c2"), { label: "pear", confidence: 0.8 });
    await setDoc(doc(db, "orgs/acme"), { name: "Acme", features: ["classification"], modelId: null, requestsPerMinute: 60 });
    await setDoc(doc(db, "orgs/acme/counters/shard-0"), { total: 5 });
    // The server's record of membership: what the rules trust, whatever a token's claims say.
    await setDoc(doc(db, "orgs/acme/members/mia"), { uid: "mia", email: "mia@example.com", role: "member" });
    await setDoc(doc(db, "orgs/acme/members/ada"), { uid: "ada", email: "ada@example.com", role: "admin" });
    await setDoc(doc(db, "orgs/acme/members/dan"), { uid: "dan", email: "dan@example.com", role: "member" });
    await setDoc(doc(db, "users/alice/uploadErrors/e1"), { code: "unsupported-image" });
    await setDoc(doc(db, "invitations/acme-alice"), { orgId: "acme", email: "alice@example.com", role: "member" });
    await setDoc(doc(db, "orgs/globex"), { name: "Globex", features: [], requestsPerMinute: 60 });
    await setDoc(doc(db, "ratelimits/user-alice:1:0"), { count: 1 });
    await setDoc(doc(db, "ops/all/days/2026-11-28-0"), { requests: 1 });
  });
});

const alice = () => env.authenticatedContext("alice").firestore();
const bob = () => env.authenticatedContext("bob").firestore();
const anon = () => env.unauthenticatedContext().firestore();
const acmeMember = () => env.authenticatedContext("mia", { org: "acme", role: "member" }).firestore();
const acmeAdmin = () => env.authenticatedContext("ada", { org: "acme", role: "admin" }).firestore();
// Tokens issued before the server changed their membership: claims an hour old at most, no longer true.
const removedMember = () => env.authenticatedContext("rex", { org: "acme", role: "member" }).firestore();
const demotedAdmin = () => env.authenticatedContext("dan", { org: "acme", role: "admin" }).firestore();

describe("users/{uid}/classifications", () => {
  it("the owner reads their results", () => assertSucceeds(getDoc(doc(alice(), "users/alice/classifications/c1"))));
  it("the owner lists their results", () => assertSucceeds(getDocs(collection(alice(), "users/alice/classifications"))));
  it("another user cannot read them", () => assertFails(getDoc(doc(bob(), "users/alice/classifications/c1"))));
  it("another user cannot list them", () => assertFails(getDocs(collection(bob(), "users/alice/classifications"))));
  it("signed-out visitors cannot read them", () => assertFails(getDoc(doc(anon(), "users/alice/classifications/c1"))));
  it("the owner cannot create a result", () => assertFails(setDoc(doc(alice(), "users/alice/classifications/new"), { label: "apple" })));
  it("the owner cannot change a result", () => assertFails(updateDoc(doc(alice(), "users/alice/classifications/c1"), { label: "mango" })));
  it("the owner cannot delete a result directly", () => assertFails(deleteDoc(doc(alice(), "users/alice/classifications/c1"))));
});

describe("users/{uid}/counters", () => {
  it("the owner reads their aggregates", () => assertSucceeds(getDoc(doc(alice(), "users/alice/counters/summary"))));
  it("another user cannot", () => assertFails(getDoc(doc(bob(), "users/alice/counters/summary"))));
  it("the owner cannot inflate them", () => assertFails(setDoc(doc(alice(), "users/alice/counters/summary"), { total: 99 })));
});

describe("users/{uid}/uploadErrors", () => {
  it("the owner reads why an upload was refused", () => assertSucceeds(getDoc(doc(alice(), "users/alice/uploadErrors/e1"))));
  it("the owner lists them", () => assertSucceeds(getDocs(collection(alice(), "users/alice/uploadErrors"))));
  it("another user cannot read them", () => assertFails(getDoc(doc(bob(), "users/alice/uploadErrors/e1"))));
  it("the owner cannot write or clear them", () => assertFails(setDoc(doc(alice(), "users/alice/uploadErrors/e1"), { code: "none" })));
});

describe("orgs/{orgId}", () => {
  it("members read their org", () => assertSucceeds(getDoc(doc(acmeMember(), "orgs/acme"))));
  it("members of another org cannot", () => assertFails(getDoc(doc(acmeMember(), "orgs/globex"))));
  it("users without an org cannot", () => assertFails(getDoc(doc(alice(), "orgs/acme"))));
  it("a removed member whose token still names the org cannot", () => assertFails(getDoc(doc(removedMember(), "orgs/acme"))));
  it("admins read it", () => assertSucceeds(getDoc(doc(acmeAdmin(), "orgs/acme"))));
  it("admins cannot change the name directly (the API does)", () => assertFails(updateDoc(doc(acmeAdmin(), "orgs/acme"), { name: "Acme Fruit" })));
  it("admins cannot set an unchecked request rate", () => assertFails(updateDoc(doc(acmeAdmin(), "orgs/acme"), { requestsPerMinute: 1e9 })));
  it("admins cannot set features to anything", () => assertFails(updateDoc(doc(acmeAdmin(), "orgs/acme"), { features: "everything" })));
  it("admins cannot point the org at a model that does not exist", () => assertFails(updateDoc(doc(acmeAdmin(), "orgs/acme"), { modelId: "no-such-model" })));
  it("members cannot change it", () => assertFails(updateDoc(doc(acmeMember(), "orgs/acme"), { name: "Mine now" })));
  it("admins cannot add unknown fields", () => assertFails(updateDoc(doc(acmeAdmin(), "orgs/acme"), { billingPlan: "free" })));
  it("admins cannot create another org", () => assertFails(setDoc(doc(acmeAdmin(), "orgs/newco"), { name: "NewCo" })));
  it("admins cannot delete their org", () => assertFails(deleteDoc(doc(acmeAdmin(), "orgs/acme"))));
  it("admins read the org aggregates", () => assertSucceeds(getDoc(doc(acmeAdmin(), "orgs/acme/counters/shard-0"))));
  it("members cannot read the org aggregates", () => assertFails(getDoc(doc(acmeMember(), "orgs/acme/counters/shard-0"))));
  it("a demoted admin whose token still says admin cannot", () => assertFails(getDoc(doc(demotedAdmin(), "orgs/acme/counters/shard-0"))));
});

describe("orgs/{orgId}/members", () => {
  it("a member reads their own membership", () => assertSucceeds(getDoc(doc(acmeMember(), "orgs/acme/members/mia"))));
  it("a member cannot read the others'", () => assertFails(getDoc(doc(acmeMember(), "orgs/acme/members/ada"))));
  it("a member cannot list the members", () => assertFails(getDocs(collection(acmeMember(), "orgs/acme/members"))));
  it("admins list the members", () => assertSucceeds(getDocs(collection(acmeAdmin(), "orgs/acme/members"))));
  it("a member cannot promote themselves", () => assertFails(updateDoc(doc(acmeMember(), "orgs/acme/members/mia"), { role: "admin" })));
  it("a user cannot enrol themselves", () => assertFails(setDoc(doc(alice(), "orgs/acme/members/alice"), { uid: "alice", role: "member" })));
  it("admins cannot enrol anyone directly (invitations go through the API)", () => assertFails(setDoc(doc(acmeAdmin(), "orgs/acme/members/alice"), { uid: "alice", role: "member" })));
  it("admins cannot remove a member directly", () => assertFails(deleteDoc(doc(acmeAdmin(), "orgs/acme/members/mia"))));
});

describe("invitations", () => {
  it("the invitee cannot read an invitation directly (the API lists them)", () => assertFails(getDoc(doc(alice(), "invitations/acme-alice"))));
  it("nobody can invite through the SDK", () => assertFails(setDoc(doc(acmeAdmin(), "invitations/acme-bob"), { orgId: "acme", email: "bob@example.com" })));
  it("the invitee cannot accept by rewriting it", () => assertFails(updateDoc(doc(alice(), "invitations/acme-alice"), { accepted: true })));
});

describe("server-only collections", () => {
  it("rate-limit windows are not readable", () => assertFails(getDoc(doc(alice(), "ratelimits/user-alice:1:0"))));
  it("rate-limit windows are not writable", () => assertFails(setDoc(doc(alice(), "ratelimits/user-alice:1:0"), { count: 0 })));
  it("operations figures are not readable", () => assertFails(getDoc(doc(acmeAdmin(), "ops/all/days/2026-11-28-0"))));
  it("anything unnamed is denied", () => assertFails(setDoc(doc(alice(), "anything/else"), { a: 1 })));
});
