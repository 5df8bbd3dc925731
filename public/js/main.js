// Boot: first-run check, session check, then the router. Views are loaded on demand.
// The team every page works in is chosen by the user in the team menu and remembered; it never
// changes by itself (issue 15, finding 3): a team the user joins shows up in the menu, and a team
// the user lost is said out loud before another one is shown.
import { api, session, setUnauthorizedHandler } from "./api.js";
import { closeEvents, setStreamEndedHandler } from "./events.js";
import { route, render, navigate } from "./router.js";
import { h, toast, labelTableCells } from "./dom.js";
import { drawHelp, initHelp } from "./help.js";

const views = {
  login: () => import("./views/login.js"),
  setup: () => import("./views/setup.js"),
  upload: () => import("./views/upload.js"),
  jobs: () => import("./views/jobs.js"),
  job: () => import("./views/job.js"),
  templates: () => import("./views/templates.js"),
  template: () => import("./views/template-edit.js"),
  keys: () => import("./views/keys.js"),
  members: () => import("./views/members.js"),
  retention: () => import("./views/retention.js"),
  webhooks: () => import("./views/webhooks.js"),
  usage: () => import("./views/usage.js"),
  audit: () => import("./views/audit.js"),
  dataflow: () => import("./views/dataflow.js"),
  invitations: () => import("./views/invitations.js"),
  invite: () => import("./views/invite.js"),
};

route("/login", views.login, "Sign in");
route("/setup", views.setup, "Create the first admin");
route("/upload", views.upload, "Upload");
route("/jobs", views.jobs, "Jobs");
route("/jobs/:id", views.job, "Job");
route("/templates", views.templates, "Templates");
route("/templates/new", views.template, "New template");
route("/templates/:id", views.template, "Edit template");
route("/team/keys", views.keys, "API keys");
route("/team/members", views.members, "Members");
route("/team/retention", views.retention, "Retention");
route("/team/webhooks", views.webhooks, "Webhooks");
route("/team/usage", views.usage, "Usage");
route("/team/audit", views.audit, "Audit log");
route("/team/data-flow", views.dataflow, "Data flow");
route("/invitations", views.invitations, "Invitations");
route("/invite/:token", views.invite, "Join a team");

const isPublic = (hash) => hash === "/login" || hash === "/setup" || hash.startsWith("/invite/");
const TEAM_KEY = "leapocr.team";
const teamLabel = (t) => `${t.organization_name} / ${t.name}`;

/** Fills the team menu; the current team is the one the user picked, never silently another. */
function drawTeamMenu() {
  const menu = document.getElementById("team-switch");
  menu.replaceChildren(...session.teams.map((t) => h("option", { value: t.id }, `${teamLabel(t)} (${t.role})`)));
  menu.value = session.team?.id ?? "";
  menu.disabled = session.teams.length < 2;
  document.getElementById("team-field").hidden = session.teams.length === 0;
  document.getElementById("who").textContent = `${session.user.email}${session.team ? ` (${session.team.role})` : ""}`;
  drawHelp();
}

/** The team this user picked last in this browser (kept per user). */
const remembered = (userId) => {
  const [who, teamId] = (localStorage.getItem(TEAM_KEY) ?? "").split(":");
  return who === userId ? teamId : null;
};
const remember = () => session.team && localStorage.setItem(TEAM_KEY, `${session.user.id}:${session.team.id}`);

/** Picks the current or remembered team, or says which team the user lost before showing another. */
function chooseTeam(userId, teams) {
  const wanted = session.team?.id ?? remembered(userId);
  const kept = teams.find((t) => t.id === wanted);
  if (kept) return kept;
  const next = teams[0] ?? null;
  if (wanted) toast(`You are no longer a member of ${session.team ? teamLabel(session.team) : "the team you last used"}.${next ? ` Now showing ${teamLabel(next)}.` : ""}`);
  return next;
}

export function switchTeam(teamId) {
  const team = session.teams.find((t) => t.id === teamId);
  if (!team || team.id === session.team?.id) return;
  closeEvents();
  session.team = team;
  remember();
  drawTeamMenu();
  toast(`Now working in ${teamLabel(team)}.`);
  render();
}

/** Called after sign-in, first-run or a valid existing session. */
export function signedIn(info) {
  if (session.user && session.user.id !== info.user.id) session.team = null;
  session.csrf = info.csrf;
  session.user = info.user;
  session.teams = info.teams;
  session.team = chooseTeam(info.user.id, info.teams);
  remember();
  document.body.classList.add("signed-in");
  document.getElementById("topbar").hidden = false;
  drawTeamMenu();
  refreshInvitations();
}

/** Re-reads the user's teams (after accepting an invitation, or when the server ended the live stream). */
export async function refreshTeams() {
  const res = await fetch("/api/v1/auth/verify", { credentials: "same-origin" });
  if (!res.ok) {
    signedOut();
    return navigate("#/login");
  }
  const v = await res.json();
  const before = session.team?.id;
  signedIn({ csrf: v.session.csrf_token, user: v.user, teams: v.teams });
  if (session.team?.id !== before) render();
}

/** Shows how many invitations wait for the user next to the Invitations link. */
export async function refreshInvitations() {
  const badge = document.getElementById("invite-count");
  try {
    const r = await api("GET", "/api/v1/auth/invitations");
    badge.textContent = r.data.length ? String(r.data.length) : "";
    badge.hidden = r.data.length === 0;
  } catch {
    badge.hidden = true;
  }
}

function signedOut() {
  closeEvents();
  session.csrf = "";
  session.user = null;
  session.team = null;
  document.body.classList.remove("signed-in");
  document.getElementById("topbar").hidden = true;
}

async function boot() {
  setUnauthorizedHandler(() => {
    signedOut();
    navigate("#/login");
  });
  setStreamEndedHandler(() => refreshTeams().catch(() => {}));
  document.getElementById("team-switch").addEventListener("change", (e) => switchTeam(e.target.value));
  document.getElementById("logout").addEventListener("click", async () => {
    await api("POST", "/api/v1/auth/logout").catch(() => {});
    signedOut();
    navigate("#/login");
  });
  initHelp();
  const toggle = document.getElementById("menu-toggle");
  toggle.addEventListener("click", () => {
    const open = document.getElementById("nav").classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });

  const { needs_setup } = await api("GET", "/api/v1/dashboard/setup");
  if (needs_setup) {
    // replaceState: no hashchange event, so the page renders once.
    history.replaceState(null, "", "#/setup");
  } else {
    const res = await fetch("/api/v1/auth/verify", { credentials: "same-origin" });
    if (res.ok) {
      const v = await res.json();
      if (v.auth_type === "session") signedIn({ csrf: v.session.csrf_token, user: v.user, teams: v.teams });
    }
    if (!session.user && !isPublic(location.hash.slice(1))) {
      sessionStorage.setItem("after-login", location.hash);
      history.replaceState(null, "", "#/login");
    }
  }
  window.addEventListener("hashchange", () => {
    if (!session.user && !isPublic(location.hash.slice(1))) return navigate("#/login");
    render();
  });
  render();
}

// Tables turn into cards on phones: their cells carry their column names (dom.js).
labelTableCells(document.getElementById("main"));
boot();
