// Sign in with email and password; the server sets an HttpOnly session cookie and answers the
// CSRF token this tab sends with every change.
import { api } from "../api.js";
import { h, field, notice } from "../dom.js";
import { signedIn } from "../main.js";
import { navigate } from "../router.js";

export function render(main) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const status = h("div", { "aria-live": "assertive" });
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "card narrow", novalidate: false },
    h("h1", {}, "Sign in to LeapOCR"),
    status,
    field("Email", email),
    field("Password", password),
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.replaceChildren();
    submit.disabled = true;
    try {
      const r = await api("POST", "/api/v1/auth/login", { email: email.value, password: password.value });
      signedIn({ csrf: r.csrf_token, user: r.user, teams: r.teams });
      const next = sessionStorage.getItem("after-login");
      sessionStorage.removeItem("after-login");
      navigate(next && next !== "#/login" ? next : "#/jobs");
    } catch (err) {
      status.append(notice("err", err.message));
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.append(form);
  setTimeout(() => email.focus(), 0);
}
