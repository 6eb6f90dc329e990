/** Every failure the client reports: a code to branch on, a message a person can read, and what to do about it. */

/** What the app should do about a refusal (docs/mobile.md, "Errors to handle"; the mobile files map codes alike). */
export type Remedy = "retryLater" | "signInAgain" | "accountDisabled" | "chooseAnotherPhoto" | "updateApp" | "askAnAdmin" | "report";

const REMEDIES: Record<string, Remedy> = {
  "rate-limited": "retryLater",
  unavailable: "retryLater",
  "org-model-unavailable": "retryLater",
  "network-error": "retryLater",
  "upload-failed": "retryLater",
  "no-result": "retryLater",
  unauthenticated: "signInAgain",
  "invalid-token": "signInAgain",
  "token-expired": "signInAgain",
  "token-revoked": "signInAgain",
  "account-deleted": "signInAgain",
  "account-disabled": "accountDisabled",
  "empty-image": "chooseAnotherPhoto",
  "image-too-large": "chooseAnotherPhoto",
  "unsupported-image": "chooseAnotherPhoto",
  "corrupt-image": "chooseAnotherPhoto",
  "too-many-pixels": "chooseAnotherPhoto",
  "app-check-missing": "updateApp",
  "app-check-invalid": "updateApp",
  "feature-disabled": "askAnAdmin",
};

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

  /** Any code not listed (`upload-refused`, `not-your-upload`, `http-<status>`, ...) is a bug to report. */
  get remedy(): Remedy {
    return REMEDIES[this.code] ?? "report";
  }
}
