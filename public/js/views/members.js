// Members and roles. Owners and admins add people and change roles; the server enforces who
// may do what (and that a team always keeps an owner).
import { api, teamPath, isAdmin, session } from "../api.js";
import { h, field, fmtDate, notice, confirmDialog, toast } from "../dom.js";

const ROLES = ["owner", "admin", "member", "viewer"];

export async function render(main) {
  const tbody = h("tbody");
  const status = h("div", { "aria-live": "polite" });
  async function load() {
    const r = await api("GET", teamPath("/members"));
    tbody.replaceChildren(...r.data.map((m) => {
      const role = h("select", { "aria-label": `Role of ${m.email}`, disabled: !isAdmin() }, ROLES.map((x) => h("option", { value: x }, x)));
      role.value = m.role;
      role.addEventListener("change", async () => {
        try { await api("PATCH", teamPath(`/members/${m.user_id}`), { role: role.value }); toast(`${m.email} is now ${role.value}.`); }
        catch (err) { toast(err.message); role.value = m.role; }
      });
      const remove = isAdmin() && m.user_id !== session.user.id ? h("button", { type: "button", class: "secondary", "aria-label": `Remove ${m.email}`, onclick: async () => {
        if (!(await confirmDialog("Remove this member?", `${m.email} loses access to this team.`, "Remove"))) return;
        await api("DELETE", teamPath(`/members/${m.user_id}`)).then(load, (err) => toast(err.message));
      } }, "Remove") : null;
      return h("tr", {}, h("td", {}, m.name), h("td", {}, m.email), h("td", {}, role), h("td", {}, fmtDate(m.created_at)), h("td", {}, remove));
    }));
  }
  const email = h("input", { type: "email", required: true });
  const mname = h("input", { type: "text" });
  const password = h("input", { type: "password", autocomplete: "new-password", minlength: 12 });
  const role = h("select", {}, ROLES.map((x) => h("option", { value: x, selected: x === "member" }, x)));
  const form = h("form", { class: "card" }, h("h2", {}, "Add a member"),
    h("div", { class: "row" }, field("Email", email), field("Name", mname), field("Role", role), field("Password", password, "(for a new account; 12+ characters)")),
    h("button", { type: "submit" }, "Add member"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", teamPath("/members"), { email: email.value, role: role.value, name: mname.value || undefined, password: password.value || undefined });
      status.replaceChildren(notice("ok", `${email.value} added.`));
      form.reset();
      load();
    } catch (err) { status.replaceChildren(notice("err", err.message)); }
  });
  main.append(h("h1", {}, "Members"), isAdmin() ? form : null, status,
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "Since", ""].map((t) => h("th", { scope: "col" }, t)))), tbody)));
  await load();
}
