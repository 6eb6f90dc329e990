/** Every failure the client reports: a code to branch on and a message a person can read. */

/**
 * `code` is the server's error code (docs/api.md, "Errors") when the server refused: from an API answer or from
 * the trigger's `uploadErrors` document, whichever door the upload went through. The client adds its own codes
 * only for what happens before the server sees anything: `upload-refused` (Storage said no:
 * the rules), `upload-failed` (the SDK gave up retrying), `network-error` (the API could not be reached) and
 * `no-result` (neither the trigger nor the API produced a result).
 */
export class FruitError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status of an API answer; absent for an upload error or a client-side failure. */
    readonly status?: number,
    /** Seconds to wait before trying again, from the API's `Retry-After` (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "FruitError";
  }
}
