// First run: no user exists yet, so the first person to open the dashboard creates the owner
// account. The server refuses this as soon as any user exists.
import { api } from "../api.js";
import { h, field, notice } from "../dom.js";
import { signedIn } from "../main.js";
import { navigate } from "../router.js";

export function render(main) {
  const name = h("input", { type: "text", name: "name", autocomplete: "name" });
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", required: true, minlength: 12 });
  const status = h("div", { "aria-live": "assertive" });
  const form = h("form", { class: "card narrow" },
    h("h1", {}, "Create the first admin"),
    h("p", { class: "muted" }, "This server has no users yet. The account you create here owns the default team; you can add members later."),
    status,
    field("Name", name),
    field("Email", email),
    field("Password", password, "(at least 12 characters)"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create admin and sign in")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.replaceChildren();
    try {
      const r = await api("POST", "/api/v1/dashboard/setup", { email: email.value, password: password.value, name: name.value || undefined });
      signedIn({ csrf: r.csrf_token, user: r.user, teams: r.teams });
      navigate("#/upload");
    } catch (err) {
      if (err.status === 409) return navigate("#/login");
      status.append(notice("err", err.message));
    }
  });
  main.append(form);
}
