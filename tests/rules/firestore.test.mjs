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

describe("orgs/{orgId}", () => {
  it("members read their org", () => assertSucceeds(getDoc(doc(acmeMember(), "orgs/acme"))));
  it("members of another org cannot", () => assertFails(getDoc(doc(acmeMember(), "orgs/globex"))));
  it("users without an org cannot", () => assertFails(getDoc(doc(alice(), "orgs/acme"))));
  it("admins change the name and features", () => assertSucceeds(updateDoc(doc(acmeAdmin(), "orgs/acme"), { name: "Acme Fruit", features: ["classification", "analytics"] })));
  it("members cannot change it", () => assertFails(updateDoc(doc(acmeMember(), "orgs/acme"), { name: "Mine now" })));
  it("admins cannot add unknown fields", () => assertFails(updateDoc(doc(acmeAdmin(), "orgs/acme"), { billingPlan: "free" })));
  it("admins cannot create another org", () => assertFails(setDoc(doc(acmeAdmin(), "orgs/newco"), { name: "NewCo" })));
  it("admins cannot delete their org", () => assertFails(deleteDoc(doc(acmeAdmin(), "orgs/acme"))));
  it("admins read the org aggregates", () => assertSucceeds(getDoc(doc(acmeAdmin(), "orgs/acme/counters/shard-0"))));
  it("members cannot read the org aggregates", () => assertFails(getDoc(doc(acmeMember(), "orgs/acme/counters/shard-0"))));
});

describe("server-only collections", () => {
  it("rate-limit windows are not readable", () => assertFails(getDoc(doc(alice(), "ratelimits/user-alice:1:0"))));
  it("rate-limit windows are not writable", () => assertFails(setDoc(doc(alice(), "ratelimits/user-alice:1:0"), { count: 0 })));
  it("operations figures are not readable", () => assertFails(getDoc(doc(acmeAdmin(), "ops/all/days/2026-11-28-0"))));
  it("anything unnamed is denied", () => assertFails(setDoc(doc(alice(), "anything/else"), { a: 1 })));
});
