// Members and roles. Owners and admins invite people (a one-time link to hand over; the invitee
// chooses their own password, or accepts in their own dashboard) and change roles; the server
// enforces who may do what (and that a team always keeps an owner).
import { api, teamPath, isAdmin, session } from "../api.js";
import { h, field, fmtDate, notice, confirmDialog, toast } from "../dom.js";

const ROLES = ["owner", "admin", "member", "viewer"];
/** The form starts, and starts again after each invitation, at the least powerful role. */
const LEAST = "viewer";

export async function render(main) {
  const tbody = h("tbody");
  const pending = h("tbody");
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
        if (!(await confirmDialog("Remove this member?", `${m.email} loses access to this team, and the API keys they made for it are revoked.`, "Remove"))) return;
        await api("DELETE", teamPath(`/members/${m.user_id}`)).then(load, (err) => toast(err.message));
      } }, "Remove") : null;
      // Data-subject requests: everything held about the person as a JSON file, or erasure.
      const exportData = isAdmin() ? h("button", { type: "button", class: "secondary", "aria-label": `Export data of ${m.email}`, onclick: async () => {
        try {
          const data = await api("POST", teamPath(`/members/${m.user_id}/export`));
          const a = h("a", { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" })), download: `leapocr-user-${m.user_id}.json` });
          document.body.append(a);
          a.click();
          a.remove();
          toast(`The data of ${m.email} was exported (recorded in the audit log).`);
        } catch (err) { toast(err.message); }
      } }, "Export data") : null;
      const erase = isAdmin() && m.user_id !== session.user.id ? h("button", { type: "button", class: "danger", "aria-label": `Erase ${m.email}`, onclick: async () => {
        if (!(await confirmDialog("Erase this person?", `${m.email} is signed out everywhere, their API keys are revoked, they leave every team, and their name, email and password are deleted. Audit records keep a pseudonym. This cannot be undone.`, "Erase"))) return;
        try {
          const r = await api("POST", teamPath(`/members/${m.user_id}/erase`));
          toast(`${m.email} was erased (now ${r.pseudonym} in the audit log).`);
          load();
        } catch (err) { toast(err.message); }
      } }, "Erase") : null;
      return h("tr", {}, h("td", {}, m.name), h("td", {}, m.email), h("td", {}, role), h("td", {}, fmtDate(m.created_at)), h("td", { class: "actions" }, remove, exportData, erase));
    }));
    if (!isAdmin()) return;
    const inv = await api("GET", teamPath("/invitations"));
    pending.replaceChildren(...inv.data.map((i) => h("tr", {},
      h("td", {}, i.email), h("td", {}, i.role), h("td", {}, fmtDate(i.expires_at)),
      h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `Revoke the invitation of ${i.email}`, onclick: async () => {
        await api("DELETE", teamPath(`/invitations/${i.id}`)).then(load, (err) => toast(err.message));
      } }, "Revoke")))));
    if (!inv.data.length) pending.append(h("tr", {}, h("td", { colspan: 4 }, "No open invitations.")));
  }
  const email = h("input", { type: "email", required: true });
  const role = h("select", {}, ROLES.map((x) => h("option", { value: x }, x)));
  role.value = LEAST;
  const form = h("form", { class: "card" }, h("h2", {}, "Invite a member"),
    h("p", { class: "muted small" }, "They join only when they accept: a new person sets their own password with the link; someone with an account accepts under Invitations."),
    h("div", { class: "row" }, field("Email", email), field("Role", role)),
    h("button", { type: "submit" }, "Invite"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const r = await api("POST", teamPath("/members"), { email: email.value, role: role.value });
      const link = h("input", { type: "text", readonly: true, value: r.invite_url, "aria-label": "Invitation link", class: "secret" });
      const copy = h("button", { type: "button", class: "secondary", onclick: async () => {
        link.select();
        try { await navigator.clipboard.writeText(r.invite_url); toast("Link copied."); } catch { toast("Select the link and copy it."); }
      } }, "Copy link");
      status.replaceChildren(notice("ok", `${r.email} is invited as ${r.role}. Give them this link (shown once, valid until ${fmtDate(r.expires_at)}): `, link, copy));
      form.reset();
      role.value = LEAST;
      load();
    } catch (err) { status.replaceChildren(notice("err", err.message)); }
  });
  main.append(h("h1", {}, "Members"), isAdmin() ? form : null, status,
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Email", "Role", "Since", ""].map((t) => h("th", { scope: "col" }, t)))), tbody)),
    isAdmin() ? h("h2", {}, "Open invitations") : null,
    isAdmin() ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Email", "Role", "Expires", ""].map((t) => h("th", { scope: "col" }, t)))), pending)) : null);
  await load();
}
