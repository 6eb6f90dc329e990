// The email/password form with Google as an alternative; used to sign in/up (landing) and to upgrade an
// anonymous account (account view). `actions` decides what submitting does.
import { authErrorMessage } from "../auth.js";
import { h, uid } from "../dom.js";

/**
 * @param {{
 *   modes: Array<"signin"|"signup">,
 *   submit: (mode: string, email: string, password: string) => Promise<unknown>,
 *   google: () => Promise<unknown>,
 *   reset?: (email: string) => Promise<unknown>,
 *   submitLabels?: Record<string, string>,
 * }} actions
 */
export function authForm({ modes, submit, google, reset, submitLabels = {} }) {
  let mode = modes[0];
  const labels = { signin: "Sign in", signup: "Create account", ...submitLabels };
  const emailId = uid("email");
  const passwordId = uid("password");
  const passwordHintId = uid("password-hint");

  const email = h("input", { id: emailId, name: "email", type: "email", autocomplete: "email", required: true, inputmode: "email" });
  const password = h("input", {
    id: passwordId,
    name: "password",
    type: "password",
    required: true,
    minlength: "6",
    "aria-describedby": passwordHintId,
  });
  const passwordHint = h("p", { id: passwordHintId, class: "hint" });
  const message = h("p", { class: "form-message", role: "alert" });
  const submitButton = h("button", { class: "button primary", type: "submit" });
  const switcher = h("button", { type: "button", class: "link-button", onclick: () => setMode(mode === "signin" ? "signup" : "signin") });
  const resetButton = reset && h("button", { type: "button", class: "link-button", onclick: onReset }, "Forgot your password?");

  function setMode(next) {
    mode = next;
    submitButton.textContent = labels[mode];
    password.autocomplete = mode === "signin" ? "current-password" : "new-password";
    passwordHint.textContent = mode === "signin" ? "" : "At least 6 characters.";
    switcher.textContent = mode === "signin" ? "New here? Create an account" : "Have an account? Sign in";
    switcher.hidden = modes.length < 2;
    if (resetButton) resetButton.hidden = mode !== "signin";
    showMessage("");
  }

  function showMessage(text, kind = "error") {
    message.textContent = text;
    message.className = `form-message ${kind === "error" ? "error-text" : "ok-text"}`;
  }

  async function busy(action) {
    form.setAttribute("aria-busy", "true");
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      await action();
    } catch (error) {
      showMessage(authErrorMessage(error));
    } finally {
      form.removeAttribute("aria-busy");
      for (const button of form.querySelectorAll("button")) button.disabled = false;
    }
  }

  async function onReset() {
    if (!email.value || !email.checkValidity()) {
      showMessage("Enter your email address above, then choose “Forgot your password?”.");
      email.focus();
      return;
    }
    await busy(async () => {
      await reset(email.value.trim());
      showMessage(`If an account exists for ${email.value.trim()}, a reset link is on its way.`, "ok");
    });
  }

  const form = h(
    "form",
    {
      class: "auth-form",
      onsubmit: (event) => {
        event.preventDefault();
        busy(() => submit(mode, email.value.trim(), password.value));
      },
    },
    h("div", { class: "field" }, h("label", { for: emailId }, "Email"), email),
    h("div", { class: "field" }, h("label", { for: passwordId }, "Password"), password, passwordHint),
    message,
    h("div", { class: "form-actions" }, submitButton, resetButton),
    switcher,
    h("div", { class: "divider", role: "presentation" }, h("span", {}, "or")),
    h("button", { type: "button", class: "button google", onclick: () => busy(google) }, h("span", { class: "g-logo", "aria-hidden": "true" }, "G"), "Continue with Google"),
  );
  setMode(mode);
  return form;
}
