/** The HTTP API (docs/api.md): the caller's ID token on every call, and the App Check token when configured. */

import type { AppCheck } from "firebase/app-check";
import { getToken } from "firebase/app-check";
import type { Auth } from "firebase/auth";
import { FruitError } from "./errors.js";

export class Api {
  constructor(
    /** The API's root, e.g. `https://<project>.web.app/api` (Hosting rewrites /api/** to the function). */
    private readonly base: string,
    private readonly auth: Auth,
    private readonly appCheck?: AppCheck,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const user = this.auth.currentUser;
    if (!user) throw new FruitError("unauthenticated", "Sign in before calling the API.");
    const headers: Record<string, string> = { Authorization: `Bearer ${await user.getIdToken()}` };
    // With APP_CHECK_ENFORCE=true the server refuses a call without it (401 app-check-missing).
    if (this.appCheck) headers["X-Firebase-AppCheck"] = (await getToken(this.appCheck)).token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      throw new FruitError("network-error", `The API at ${this.base} could not be reached: ${String(cause)}`);
    }
    if (response.status === 204) return undefined as T;
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const error = payload?.error ?? {};
      const retryAfter = Number(response.headers.get("Retry-After")) || undefined;
      throw new FruitError(
        error.code ?? `http-${response.status}`,
        error.message ?? response.statusText,
        response.status,
        retryAfter,
      );
    }
    return payload as T;
  }
}
