// Everything about who the user is: sign up/in/out, password reset, Google, anonymous "just try it" and its
// upgrade to a real account (linking keeps the uid, so the history made while anonymous stays).
import {
  EmailAuthProvider,
  GoogleAuthProvider,
  createUserWithEmailAndPassword,
  linkWithCredential,
  linkWithPopup,
  onAuthStateChanged,
  sendPasswordResetEmail,
  signInAnonymously,
  signInWithEmailAndPassword,
  signInWithPopup,
  signOut as firebaseSignOut,
} from "firebase/auth";
import { firebaseAuth } from "./firebase.js";

const auth = () => firebaseAuth();

/** Calls `callback(user|null)` now and on every change; resolves once the first state is known. */
export async function watchUser(callback) {
  const instance = await auth();
  return new Promise((resolve) => {
    let first = true;
    onAuthStateChanged(instance, (user) => {
      callback(user);
      if (first) {
        first = false;
        resolve();
      }
    });
  });
}

async function currentUser() {
  return (await auth()).currentUser;
}

/** The Firebase ID token of the signed-in user (refreshed by the SDK when it is about to expire). */
export async function idToken() {
  const user = await currentUser();
  return user ? user.getIdToken() : null;
}

export async function signUp(email, password) {
  return createUserWithEmailAndPassword(await auth(), email, password);
}

export async function signIn(email, password) {
  return signInWithEmailAndPassword(await auth(), email, password);
}

export async function resetPassword(email) {
  return sendPasswordResetEmail(await auth(), email);
}

export async function signInWithGoogle() {
  return signInWithPopup(await auth(), googleProvider());
}

export async function tryAnonymously() {
  return signInAnonymously(await auth());
}

export async function signOut() {
  return firebaseSignOut(await auth());
}

/** Turns the anonymous user into an email/password account; the uid (and so the history) stays. */
export async function upgradeWithEmail(email, password) {
  const user = await currentUser();
  const result = await linkWithCredential(user, EmailAuthProvider.credential(email, password));
  await result.user.getIdToken(true); // the backend must see the new, non-anonymous claims
  return result;
}

export async function upgradeWithGoogle() {
  const user = await currentUser();
  const result = await linkWithPopup(user, googleProvider());
  await result.user.getIdToken(true);
  return result;
}

function googleProvider() {
  const provider = new GoogleAuthProvider();
  provider.setCustomParameters({ prompt: "select_account" });
  return provider;
}

const AUTH_MESSAGES = {
  "auth/email-already-in-use": "An account with this email already exists: sign in instead.",
  "auth/credential-already-in-use": "That account already exists: sign out and sign in to it instead.",
  "auth/invalid-email": "That email address does not look right.",
  "auth/missing-email": "Enter your email address first.",
  "auth/missing-password": "Enter a password.",
  "auth/weak-password": "Choose a longer password: at least 6 characters.",
  "auth/invalid-credential": "Wrong email or password.",
  "auth/wrong-password": "Wrong email or password.",
  "auth/user-not-found": "No account uses this email: sign up instead.",
  "auth/user-disabled": "This account has been disabled.",
  "auth/too-many-requests": "Too many attempts: wait a minute and try again.",
  "auth/network-request-failed": "Could not reach the sign-in service: check your connection.",
  "auth/popup-blocked": "The browser blocked the Google window: allow pop-ups for this site and try again.",
  "auth/popup-closed-by-user": "The Google window was closed before signing in finished.",
  "auth/cancelled-popup-request": "The Google window was closed before signing in finished.",
  "auth/operation-not-allowed": "This way of signing in is not enabled for this project.",
  "auth/provider-already-linked": "This account is already upgraded.",
  // what the popup flow reports when Google's sign-in scripts cannot be loaded (offline, blocked by an extension)
  "auth/internal-error": "Signing in did not work: check your connection (and any blocker of Google's scripts), then try again.",
};

/** A sentence for people from a Firebase Auth error. */
export function authErrorMessage(error) {
  return AUTH_MESSAGES[error?.code] ?? (error?.message || "Signing in failed; please try again.");
}
