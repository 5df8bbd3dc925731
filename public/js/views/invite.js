// The page an invitation link opens (#/invite/<token>; the token never reaches the server's logs
// as a URL). A new person chooses their own name and password here; someone who already has an
// account signs in and accepts under Invitations.
import { api } from "../api.js";
import { h, field, notice } from "../dom.js";
import { signedIn } from "../main.js";
import { navigate } from "../router.js";

export async function render(main, params) {
  const token = params.token;
  let inv;
  try {
    inv = await api("POST", "/api/v1/invitations/lookup", { token });
  } catch (err) {
    main.append(h("h1", {}, "Join a team"), notice("err", err.message));
    return;
  }
  const title = h("h1", {}, `Join ${inv.organization_name} / ${inv.team_name}`);
  const what = h("p", {}, `You are invited as ${inv.role}, with the email ${inv.email}.`);
  if (inv.account_exists) {
    sessionStorage.setItem("after-login", "#/invitations");
    main.append(h("div", { class: "card narrow" }, title, what,
      h("p", {}, "This email already has an account. Sign in, then accept the invitation under Invitations."),
      h("a", { href: "#/login", class: "button" }, "Sign in")));
    return;
  }
  const name = h("input", { type: "text", autocomplete: "name", required: true, maxlength: 200 });
  const password = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: 12 });
  const again = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: 12 });
  const status = h("div", { "aria-live": "assertive" });
  const submit = h("button", { type: "submit" }, "Create my account and join");
  const form = h("form", { class: "card narrow" }, title, what, status,
    field("Your name", name), field("Choose a password", password, "(at least 12 characters)"), field("Repeat the password", again),
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.replaceChildren();
    if (password.value !== again.value) return status.append(notice("err", "The two passwords differ."));
    submit.disabled = true;
    try {
      await api("POST", "/api/v1/invitations/accept", { token, name: name.value, password: password.value });
      const r = await api("POST", "/api/v1/auth/login", { email: inv.email, password: password.value });
      signedIn({ csrf: r.csrf_token, user: r.user, teams: r.teams });
      navigate("#/jobs");
    } catch (err) {
      status.append(notice("err", err.message));
    } finally {
      submit.disabled = false;
    }
  });
  main.append(form);
}
