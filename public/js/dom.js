// Tiny DOM helpers. Text always goes in as text nodes, never as HTML, so nothing a document
// or a user typed can inject markup.

/** h("a", { href: "#/x", class: "b", onclick: fn }, "text", child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let fieldSeq = 0;
/** A labelled form field: the label is tied to the control by id. */
export function field(label, control, hint) {
  control.id ||= `f${++fieldSeq}`;
  const hintEl = hint ? h("span", { class: "hint", id: `${control.id}-hint` }, ` ${hint}`) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label, hintEl), control);
}

/**
 * On phones every table becomes one card per row (app.css); each cell then shows its column's
 * name before its value. This names the cells of every table under `root`, including rows
 * added later (live updates, "Load more"): one observer for all views. A header with
 * data-label="" (checkbox or actions column) names nothing.
 */
export function labelTableCells(root) {
  const label = () => {
    for (const table of root.querySelectorAll(".table-wrap > table")) {
      const heads = [...table.querySelectorAll(":scope > thead th")].map((th) => th.dataset.label ?? th.textContent.trim());
      for (const tr of table.querySelectorAll(":scope > tbody > tr")) {
        let col = 0;
        for (const td of tr.children) {
          if (heads[col] && !td.hasAttribute("data-label") && td.colSpan === 1) td.dataset.label = heads[col];
          col += td.colSpan || 1;
        }
      }
    }
  };
  new MutationObserver(label).observe(root, { childList: true, subtree: true });
  label();
}

export function notice(kind, ...text) {
  return h("div", { class: `notice ${kind}`, role: kind === "err" ? "alert" : "status" }, ...text);
}

export const fmtDate = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
export function fmtDuration(seconds) {
  if (seconds === undefined || seconds === null) return "—";
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}
export function fmtBytes(n) {
  if (!n && n !== 0) return "—";
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 4000);
}

/** A modal confirmation built on <dialog>: focus is trapped and Escape cancels. Resolves true on confirm. */
export function confirmDialog(title, message, confirmLabel = "Delete") {
  return new Promise((resolve) => {
    const ok = h("button", { type: "button", class: "danger", value: "ok" }, confirmLabel);
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const dlg = h("dialog", { "aria-labelledby": "dlg-title" }, h("h2", { id: "dlg-title" }, title), h("p", {}, message), h("div", { class: "actions" }, ok, cancel));
    const done = (v) => { dlg.close(); dlg.remove(); resolve(v); };
    ok.addEventListener("click", () => done(true));
    cancel.addEventListener("click", () => done(false));
    dlg.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

/** Triggers a download of text made in the page (no round trip). */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Puts text on the clipboard. The Clipboard API exists only on secure origins (https or this
 * machine); a server reached over plain http on a LAN gets the older copy command instead.
 */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) return await navigator.clipboard.writeText(text);
  } catch {}
  const ta = h("textarea", { readonly: true, "aria-hidden": "true", style: "position:fixed;left:-9999px;top:0" }, text);
  document.body.append(ta);
  ta.select();
  const ok = document.execCommand("copy");
  ta.remove();
  if (!ok) throw new Error("The browser refused to copy: select the text and copy it.");
}

/** A "Copy" button for `text`; `what` names it for screen readers ("Copy team id") and in the toast. */
export function copyButton(text, what, label = "Copy") {
  return h("button", {
    type: "button",
    class: "secondary copy",
    "aria-label": `${label} ${what}`,
    onclick: () => copyText(text).then(() => toast(`Copied ${what}.`), (err) => toast(err.message)),
  }, label);
}
