// App Check has no emulator: what the client owes the server is the header, so check that it is sent.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { CustomProvider } from "firebase/app-check";
import { newClient } from "./support/stack.js";

/** A stand-in API that records each request's headers and answers an empty history. */
async function recordingApi(t: { after: (fn: () => unknown) => void }): Promise<{ base: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ items: [], nextCursor: null }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, seen };
}

test("with an App Check provider, API calls carry its token in X-Firebase-AppCheck", async (t) => {
  const api = await recordingApi(t);
  const provider = new CustomProvider({
    getToken: async () => ({ token: "app-check-token-1", expireTimeMillis: Date.now() + 3_600_000 }),
  });
  const client = newClient({ apiBase: api.base, appCheckProvider: provider });
  t.after(() => client.close());
  await client.signInAnonymously();

  await client.history();

  assert.equal(api.seen[0]["x-firebase-appcheck"], "app-check-token-1");
  assert.match(String(api.seen[0].authorization), /^Bearer \S+$/);
});

test("without App Check configured, no App Check header is sent", async (t) => {
  const api = await recordingApi(t);
  const client = newClient({ apiBase: api.base });
  t.after(() => client.close());
  await client.signInAnonymously();

  await client.history();

  assert.equal(api.seen[0]["x-firebase-appcheck"], undefined);
});
