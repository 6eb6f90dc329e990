// Who is signed in, the anonymous-to-real-account upgrade (same uid, so history stays), invitations to join an
// organisation (nobody joins one without accepting here), and sign out.
import { sendEmailVerification } from "firebase/auth";
import { api } from "../api.js";
import { signOut, upgradeWithEmail, upgradeWithGoogle } from "../auth.js";
import { h, mount, toast } from "../dom.js";
import { refreshProfile, session } from "../session.js";
import { authForm } from "./auth-form.js";

export function render(main, { navigate }) {
  const rerender = () => render(main, { navigate });
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
        : h(
            "section",
            { class: "card invitations", "aria-labelledby": "invitations-heading", "aria-live": "polite" },
            h("h2", { id: "invitations-heading" }, "Invitations"),
            invitationList(rerender),
          ),
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

/** The pending invitations, each with Accept and Decline; filled in once /api/invitations answers. */
function invitationList(rerender) {
  const holder = h("div", {}, h("p", { class: "hint" }, "Looking for invitations…"));
  api.invitations().then(
    ({ invitations }) =>
      mount(
        holder,
        invitations.length
          ? h("ul", { class: "invitation-list" }, ...invitations.map((invitation) => invitationItem(invitation, rerender)))
          : h("p", { class: "hint" }, "No invitations to join an organisation."),
      ),
    (error) =>
      mount(holder, error.code === "email-not-verified" ? verifyEmailPrompt(rerender) : h("p", { role: "alert" }, error.message)),
  );
  return holder;
}

function invitationItem(invitation, rerender) {
  const name = invitation.orgName || invitation.orgId;
  const expires = new Date(invitation.expiresAt).toLocaleDateString();
  const act = (action) => async (event) => {
    event.currentTarget.closest("li").querySelectorAll("button").forEach((button) => (button.disabled = true));
    try {
      if (action === "accept") {
        await api.acceptInvitation(invitation.id);
        await session.user.getIdToken(true); // the new org and role travel in the next token
        await refreshProfile();
        toast(`You joined ${name}.`);
      } else {
        await api.declineInvitation(invitation.id);
        toast(`Invitation from ${name} declined.`);
      }
    } catch (error) {
      toast(error.message);
    }
    rerender();
  };
  return h(
    "li",
    { class: "invitation" },
    h("p", {}, h("strong", {}, name), ` invites you to join as ${invitation.role} (until ${expires}).`),
    h("button", { type: "button", class: "button", onclick: act("accept") }, `Accept ${name}`),
    h("button", { type: "button", class: "button secondary", onclick: act("decline") }, `Decline ${name}`),
  );
}

function verifyEmailPrompt(rerender) {
  async function sendVerification() {
    await sendEmailVerification(session.user);
    toast("Verification email sent: open its link, then come back here.");
  }
  async function verified() {
    await session.user.reload();
    await session.user.getIdToken(true); // the server reads the account, the token follows for the app
    rerender();
  }
  return h(
    "div",
    {},
    h("p", {}, "Invitations are sent to verified addresses: verify yours to see them."),
    h("button", { type: "button", class: "button secondary", onclick: sendVerification }, "Send verification email"),
    h("button", { type: "button", class: "button secondary", onclick: verified }, "I have verified it"),
  );
}
