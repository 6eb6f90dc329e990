#!/usr/bin/env node
/**
 * fruit-client: the reference client from a terminal.
 *
 *   npx fruit-client classify photo.jpg      upload, wait for the result, print it as JSON
 *   npx fruit-client history [n]             the newest n results (default 10)
 *   npx fruit-client feedback <id> correct   or: feedback <id> <label>
 *
 * Signs in with FRUIT_EMAIL and FRUIT_PASSWORD when set, anonymously otherwise. Talks to the local emulators
 * (scripts/dev) unless FRUIT_FIREBASE_CONFIG holds a project's web config (JSON, as Hosting's
 * /__/firebase/init.json gives it) and FRUIT_API the API's root (https://<project>.web.app/api).
 */

import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { ClientOptions } from "./client.js";
import { FruitClient } from "./client.js";
import { FruitError } from "./errors.js";

const USAGE = "usage: fruit-client classify <photo> | history [n] | feedback <id> correct|<label>";

const CONTENT_TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".heic": "image/heic",
};

function options(env: NodeJS.ProcessEnv): ClientOptions {
  if (env.FRUIT_FIREBASE_CONFIG) {
    if (!env.FRUIT_API) throw new FruitError("configuration", "Set FRUIT_API to the API's root with FRUIT_FIREBASE_CONFIG.");
    return { firebase: JSON.parse(env.FRUIT_FIREBASE_CONFIG), apiBase: env.FRUIT_API };
  }
  return {
    firebase: { apiKey: "demo-api-key", projectId: "demo-fruit", storageBucket: "demo-fruit.appspot.com" },
    apiBase: env.FRUIT_API ?? "http://127.0.0.1:5000/api",
    emulators: { auth: "127.0.0.1:9099", firestore: "127.0.0.1:8080", storage: "127.0.0.1:9199" },
  };
}

type Command = (client: FruitClient) => Promise<unknown>;

/** The command line as what to do once signed in, or undefined when it is not a command. */
function command([name, ...args]: string[]): Command | undefined {
  if (name === "classify" && args.length === 1) {
    return async (client) => {
      const contentType = CONTENT_TYPES[extname(args[0]).toLowerCase()] ?? "application/octet-stream";
      const bytes = new Uint8Array(await readFile(args[0]));
      const report = ({ transferred, total }: { transferred: number; total: number }) =>
        process.stderr.write(`uploaded ${transferred} of ${total} bytes\n`);
      return client.classify({ bytes, contentType }, { onProgress: report });
    };
  }
  if (name === "history" && args.length <= 1) return (client) => client.history(Number(args[0] ?? 10));
  if (name === "feedback" && args.length === 2) {
    return (client) => client.sendFeedback(args[0], args[1] === "correct" ? { correct: true } : { label: args[1] });
  }
  return undefined;
}

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const todo = command(argv);
  if (!todo) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let client: FruitClient | undefined;
  try {
    client = new FruitClient(options(env));
    if (env.FRUIT_EMAIL && env.FRUIT_PASSWORD) await client.signInWithEmail(env.FRUIT_EMAIL, env.FRUIT_PASSWORD);
    else await client.signInAnonymously();
    console.log(JSON.stringify(await todo(client), null, 2));
    return 0;
  } catch (error) {
    const reason = error instanceof FruitError ? `${error.code}: ${error.message}` : String(error);
    process.stderr.write(`fruit-client: ${reason}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
