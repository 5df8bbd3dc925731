// The signed-in user's invitations: nobody is put into a team without saying yes here.
// Accepting adds the team to the team menu; the page stays in the team the user is working in.
import { api } from "../api.js";
import { h, fmtDate, notice } from "../dom.js";
import { refreshInvitations, refreshTeams } from "../main.js";

export async function render(main) {
  const list = h("div");
  const status = h("div", { "aria-live": "polite" });
  async function load() {
    const r = await api("GET", "/api/v1/auth/invitations");
    list.replaceChildren(...(r.data.length ? r.data.map((i) => h("div", { class: "card" },
      h("h2", {}, `${i.organization_name} / ${i.team_name}`),
      h("p", {}, `You are invited as ${i.role}. The invitation expires ${fmtDate(i.expires_at)}.`),
      h("div", { class: "actions" },
        h("button", { type: "button", "aria-label": `Accept the invitation to ${i.team_name}`, onclick: async () => {
          try {
            await api("POST", `/api/v1/auth/invitations/${encodeURIComponent(i.id)}/accept`);
            await refreshTeams();
            status.replaceChildren(notice("ok", `You joined ${i.organization_name} / ${i.team_name} as ${i.role}. Pick it in the team menu to work in it.`));
          } catch (err) { status.replaceChildren(notice("err", err.message)); }
          refreshInvitations();
          load();
        } }, "Accept"),
        h("button", { type: "button", class: "secondary", "aria-label": `Decline the invitation to ${i.team_name}`, onclick: async () => {
          try {
            await api("POST", `/api/v1/auth/invitations/${encodeURIComponent(i.id)}/decline`);
            status.replaceChildren(notice("ok", `You declined the invitation to ${i.team_name}.`));
          } catch (err) { status.replaceChildren(notice("err", err.message)); }
          refreshInvitations();
          load();
        } }, "Decline")))) : [h("p", { class: "muted" }, "No invitations are waiting for you.")]));
  }
  main.append(h("h1", {}, "Invitations"), status, list);
  await load();
}
