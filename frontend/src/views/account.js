// Who is signed in, the anonymous-to-real-account upgrade (same uid, so history stays), and sign out.
import { signOut, upgradeWithEmail, upgradeWithGoogle } from "../auth.js";
import { h, mount, toast } from "../dom.js";
import { refreshProfile, session } from "../session.js";
import { authForm } from "./auth-form.js";

export function render(main, { navigate }) {
  const me = session.me;
  const anonymous = session.user.isAnonymous;

  async function upgraded() {
    await refreshProfile();
    toast("Your account is saved. Your history came with you.");
    navigate("/history");
  }

  mount(
    main,
    h(
      "section",
      { class: "account" },
      h("h1", { tabindex: "-1" }, "Account"),
      h(
        "dl",
        { class: "facts card" },
        h("dt", {}, "Signed in as"),
        h("dd", {}, anonymous ? "Guest (no account yet)" : session.user.email ?? me?.email ?? "—"),
        me?.org ? [h("dt", {}, "Organisation"), h("dd", {}, `${me.org}${me.role ? ` (${me.role})` : ""}`)] : null,
        h("dt", {}, "Features"),
        h("dd", {}, (me?.features ?? []).map((feature) => feature.replace(/_/g, " ")).join(", ") || "—"),
      ),
      anonymous
        ? h(
            "section",
            { class: "card", "aria-labelledby": "upgrade-heading" },
            h("h2", { id: "upgrade-heading" }, "Keep your history: create an account"),
            h("p", {}, "You are trying the app as a guest. Save your account to sign in from other devices; everything you classified stays."),
            authForm({
              modes: ["signup"],
              submitLabels: { signup: "Save my account" },
              submit: async (_mode, email, password) => {
                await upgradeWithEmail(email, password);
                await upgraded();
              },
              google: async () => {
                await upgradeWithGoogle();
                await upgraded();
              },
            }),
          )
        : null,
      h(
        "button",
        {
          type: "button",
          class: "button secondary",
          onclick: async () => {
            await signOut();
            navigate("/", { replace: true });
          },
        },
        anonymous ? "Leave guest mode" : "Sign out",
      ),
      anonymous ? h("p", { class: "hint" }, "Leaving guest mode without saving loses this history.") : null,
    ),
  );
}
