// Hash routing (#/jobs, #/jobs/<id>): works from any path the binary is served under and needs
// no server-side catch-all. Each view is a module exporting render(main, params) which may
// return a cleanup function, called when the user navigates away.
import { h, clear, notice } from "./dom.js";

const routes = [];
let cleanup = null;
let seq = 0;

export function route(pattern, load, title) {
  const keys = [];
  const re = new RegExp("^" + pattern.replace(/:(\w+)/g, (_, k) => (keys.push(k), "([^/]+)")) + "$");
  routes.push({ re, keys, load, title });
}

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

export async function render() {
  const path = location.hash.replace(/^#/, "") || "/jobs";
  const main = document.getElementById("main");
  const mine = ++seq;
  if (typeof cleanup === "function") cleanup();
  cleanup = null;
  const match = routes.map((r) => ({ r, m: r.re.exec(path) })).find((x) => x.m);
  for (const a of document.querySelectorAll("nav a")) {
    const href = a.getAttribute("href").slice(1);
    if (path === href || path.startsWith(href + "/")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.getElementById("nav")?.classList.remove("open");
  document.getElementById("menu-toggle")?.setAttribute("aria-expanded", "false");
  if (!match) {
    clear(main);
    main.append(h("h1", {}, "Not found"), h("p", {}, "There is no page here. ", h("a", { href: "#/jobs" }, "Go to jobs")));
    return;
  }
  const params = Object.fromEntries(match.r.keys.map((k, i) => [k, decodeURIComponent(match.m[i + 1])]));
  document.title = `${match.r.title} · LeapOCR`;
  try {
    const view = await match.r.load();
    if (mine !== seq) return; // a later navigation won
    // Views draw into a detached box that replaces the page only if no later navigation won.
    const box = document.createDocumentFragment();
    const result = await Promise.resolve().then(() => view.render(box, params)).catch((err) => void box.append(notice("err", err.message)));
    if (mine !== seq) return typeof result === "function" && result();
    main.replaceChildren(box);
    cleanup = result;
  } catch (err) {
    main.replaceChildren(notice("err", err.message));
  }
  // Move focus to the page heading so keyboard and screen reader users land on the new content.
  const h1 = main.querySelector("h1");
  if (h1) {
    h1.tabIndex = -1;
    h1.focus({ preventScroll: true });
  }
}
