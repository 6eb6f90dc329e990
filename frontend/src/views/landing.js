// What signed-out visitors see: what the product does, and the ways in.
import { resetPassword, signIn, signInWithGoogle, signUp, tryAnonymously, authErrorMessage } from "../auth.js";
import { h, mount } from "../dom.js";
import { authForm } from "./auth-form.js";
import { confidenceBars } from "./result-card.js";

export function render(main) {
  const tryMessage = h("p", { class: "form-message error-text", role: "alert" });
  const tryButton = h(
    "button",
    {
      type: "button",
      class: "button secondary wide",
      onclick: async () => {
        tryButton.disabled = true;
        try {
          await tryAnonymously();
        } catch (error) {
          tryMessage.textContent = authErrorMessage(error);
          tryButton.disabled = false;
        }
      },
    },
    "Just try it, no account needed",
  );

  mount(
    main,
    h(
      "section",
      { class: "hero" },
      h("h1", { tabindex: "-1" }, "What fruit is that?"),
      h("p", { class: "lead" }, "Snap or drop a photo of a fruit and get its name in a second, with how sure the model is."),
    ),
    h(
      "section",
      { class: "card auth-card", "aria-labelledby": "auth-heading" },
      h("h2", { id: "auth-heading" }, "Get started"),
      authForm({
        modes: ["signin", "signup"],
        submit: (mode, email, password) => (mode === "signup" ? signUp(email, password) : signIn(email, password)),
        google: signInWithGoogle,
        reset: resetPassword,
      }),
      h("div", { class: "divider", role: "presentation" }, h("span", {}, "or")),
      tryButton,
      h("p", { class: "hint" }, "Your classifications are kept; you can turn this into a real account later without losing them."),
      tryMessage,
    ),
    h(
      "section",
      { class: "how-it-works", "aria-label": "How it works" },
      h(
        "ol",
        { class: "steps" },
        h("li", {}, h("strong", {}, "Take or drop a photo."), " On a phone, use the camera; on a computer, drag a file in or paste it."),
        h("li", {}, h("strong", {}, "See the answer."), " The top three guesses with their confidence, and a clear “not sure” when the model cannot tell."),
        h("li", {}, h("strong", {}, "Keep track."), " Your history, corrections that make the model better, and charts of what you classified."),
      ),
      h(
        "figure",
        { class: "card example" },
        h("figcaption", { class: "meta" }, "An example answer"),
        h("p", { class: "verdict-label" }, "Orange"),
        confidenceBars([
          { label: "orange", p: 0.94 },
          { label: "lemon", p: 0.04 },
          { label: "apple", p: 0.01 },
        ]),
      ),
    ),
  );
}
