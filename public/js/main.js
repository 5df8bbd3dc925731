// Boot: first-run check, session check, then the router. Views are loaded on demand.
import { api, session, setUnauthorizedHandler } from "./api.js";
import { closeEvents } from "./events.js";
import { route, render, navigate } from "./router.js";

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

const PUBLIC = new Set(["/login", "/setup"]);

/** Called after sign-in, first-run or a valid existing session. */
export function signedIn(info) {
  session.csrf = info.csrf;
  session.user = info.user;
  session.teams = info.teams;
  session.team = info.teams[0] ?? null;
  document.body.classList.add("signed-in");
  document.getElementById("topbar").hidden = false;
  document.getElementById("who").textContent = `${info.user.email}${session.team ? ` (${session.team.role})` : ""}`;
}

function signedOut() {
  closeEvents();
  session.csrf = "";
  session.user = null;
  document.body.classList.remove("signed-in");
  document.getElementById("topbar").hidden = true;
}

async function boot() {
  setUnauthorizedHandler(() => {
    signedOut();
    navigate("#/login");
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await api("POST", "/api/v1/auth/logout").catch(() => {});
    signedOut();
    navigate("#/login");
  });
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
    if (!session.user && !PUBLIC.has(location.hash.slice(1))) {
      sessionStorage.setItem("after-login", location.hash);
      history.replaceState(null, "", "#/login");
    }
  }
  window.addEventListener("hashchange", () => {
    if (!session.user && !PUBLIC.has(location.hash.slice(1))) return navigate("#/login");
    render();
  });
  render();
}

boot();
