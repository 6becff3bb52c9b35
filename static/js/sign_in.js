// Sign-in page: Firebase (vendored SDK) authenticates the person in the browser; we then post
// the Firebase ID token to the server, which verifies it and starts a Django session.
const script = document.currentScript || document.querySelector("script[data-session-url]");
const config = JSON.parse(document.getElementById("firebase-config").textContent);

const { initializeApp } = await import(script.dataset.firebaseApp);
const {
  getAuth, connectAuthEmulator, signInWithEmailAndPassword, createUserWithEmailAndPassword,
  GoogleAuthProvider, signInWithPopup, signOut, sendPasswordResetEmail,
} = await import(script.dataset.firebaseAuth);

const app = initializeApp({ apiKey: config.apiKey, authDomain: config.authDomain, projectId: config.projectId });
const auth = getAuth(app);
if (config.emulatorHost) {
  connectAuthEmulator(auth, `http://${config.emulatorHost}`, { disableWarnings: true });
}

const form = document.getElementById("auth-form");
const title = document.getElementById("auth-title");
const submit = document.getElementById("auth-submit");
const errorBox = document.getElementById("auth-error");
const backLink = document.getElementById("back-to-sign-in");
let mode = "sign-in";

const FRIENDLY_ERRORS = {
  "auth/invalid-email": "That email address does not look right.",
  "auth/missing-password": "Enter your password.",
  "auth/weak-password": "Choose a password of at least 6 characters.",
  "auth/email-already-in-use": "An account with this email exists already. Sign in instead.",
  "auth/invalid-credential": "Wrong email or password.",
  "auth/wrong-password": "Wrong email or password.",
  "auth/user-not-found": "No account with this email. Create one instead.",
  "auth/user-disabled": "This account has been disabled. Contact support.",
  "auth/too-many-requests": "Too many attempts. Wait a minute and try again.",
  "auth/network-request-failed": "We could not reach the sign-in service. Check your connection.",
  "auth/popup-closed-by-user": "The Google window was closed before signing in.",
  "auth/cancelled-popup-request": "The Google window was closed before signing in.",
  "auth/popup-blocked": "Your browser blocked the Google window. Allow pop-ups for this site and try again.",
  "auth/internal-error": "Google sign-in is not available right now. Sign in with your email and password, or try again later.",
  "auth/operation-not-allowed": "This way of signing in is not available. Use your email and password.",
  "auth/unauthorized-domain": "Google sign-in is not available on this address. Use your email and password.",
};
// Anything else from Firebase ("Firebase: Error (auth/...)") is not for people to read.
const FALLBACK_ERROR = "Sign-in did not work. Please try again.";

function friendlyError(error) {
  if (FRIENDLY_ERRORS[error.code]) return FRIENDLY_ERRORS[error.code];
  if (error.code || /^Firebase/.test(error.message || "")) return FALLBACK_ERROR;
  return error.message || FALLBACK_ERROR;
}

const infoBox = document.getElementById("auth-info");

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = !message;
  if (message) { infoBox.hidden = true; }
}

function showInfo(message) {
  infoBox.textContent = message;
  infoBox.hidden = !message;
}

function setMode(next) {
  mode = next;
  const signUp = mode === "sign-up";
  title.textContent = signUp ? "Create your account" : "Sign in";
  submit.textContent = signUp ? "Create account" : "Sign in";
  document.getElementById("password").autocomplete = signUp ? "new-password" : "current-password";
  backLink.hidden = !signUp;
  document.getElementById("intro-sign-in").hidden = signUp;
  document.getElementById("intro-sign-up").hidden = !signUp;
  document.getElementById("forgot-row").hidden = signUp;
  showError("");
  showInfo("");
}

document.querySelectorAll(".mode-switch").forEach((link) =>
  link.addEventListener("click", (event) => { event.preventDefault(); setMode(link.dataset.mode); }));

async function startServerSession(credential) {
  const idToken = await credential.user.getIdToken();
  const response = await fetch(script.dataset.sessionUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": script.dataset.csrfToken },
    body: JSON.stringify({ id_token: idToken }),
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => ({}));
  // The server keeps its own session; the Firebase one in the browser is not needed any more.
  await signOut(auth);
  if (!response.ok) throw new Error(body.error || "Sign-in failed. Please try again.");
  window.location.assign(body.redirect);
}

async function run(action) {
  submit.disabled = true;
  showError("");
  try {
    await startServerSession(await action());
  } catch (error) {
    if (mode === "sign-up" && error.code === "auth/email-already-in-use") {
      setMode("sign-in");
      showError("An account with this email exists already: enter its password to sign in.");
    } else {
      showError(friendlyError(error));
    }
  } finally {
    submit.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) { showError("Enter your email and password."); return; }
  run(() => mode === "sign-up"
    ? createUserWithEmailAndPassword(auth, email, password)
    : signInWithEmailAndPassword(auth, email, password));
});

document.getElementById("forgot-password").addEventListener("click", async () => {
  const email = form.email.value.trim();
  if (!email) { showError("Enter your email above, then choose “Forgot password?” again."); return; }
  try {
    await sendPasswordResetEmail(auth, email);
    showError("");
    showInfo(`If an account exists for ${email}, we sent it a link to choose a new password.`);
  } catch (error) {
    // Saying that no account exists would tell anyone which emails are registered.
    if (error.code === "auth/user-not-found") {
      showInfo(`If an account exists for ${email}, we sent it a link to choose a new password.`);
    } else {
      showError(friendlyError(error));
    }
  }
});

document.getElementById("google-sign-in").addEventListener("click", () =>
  run(() => signInWithPopup(auth, new GoogleAuthProvider())));

form.dataset.ready = "true";
