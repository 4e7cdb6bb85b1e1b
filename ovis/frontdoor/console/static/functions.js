// The functions list (server-side search, sort and paging) and the function page's frame:
// its title and the registered tabs (registry.js).

import { h, api, show, errorBox, enc } from "./core.js";
import { registerPage, functionTabs } from "./registry.js";

const listState = { q: "", sort: "name", order: "asc", page: 1, size: 25 };

const PAGE_SIZES = [25, 50, 100];
const SORT_LABELS = { name: "Name", runtime: "Runtime", memory: "Memory (MB)", modified: "Last modified" };

// The list as the server pages it (functions.py): only `size` rows ever reach the browser, so
// the page stays light at thousands of functions; the state survives leaving and coming back.
function functionsPage() {
  const err = errorBox();
  const search = h("input", { type: "search", id: "fn-search", placeholder: "Filter by name", value: listState.q, class: "grow" });
  const body = h("tbody");
  const status = h("span", { class: "muted", id: "fn-count" });
  const first = h("button", { id: "fn-first", title: "First page" }, "«");
  const prev = h("button", { id: "fn-prev" }, "Previous");
  const next = h("button", { id: "fn-next" }, "Next");
  const last = h("button", { id: "fn-last", title: "Last page" }, "»");
  const size = h("select", { id: "fn-size", class: "ver-size", "aria-label": "Functions per page" },
    ...PAGE_SIZES.map((n) => h("option", { value: String(n), selected: n === listState.size }, `${n} per page`)));
  let pages = 1;
  let loads = 0;
  const header = (key) => {
    const button = h("button", {
      "data-sort": key, id: "fn-sort-" + key,
      onclick: () => {
        if (listState.sort === key) listState.order = listState.order === "asc" ? "desc" : "asc";
        else { listState.sort = key; listState.order = "asc"; }
        listState.page = 1; load();
      },
    }, SORT_LABELS[key]);
    return h("th", { "aria-sort": "none" }, button);
  };
  const headers = Object.keys(SORT_LABELS).map(header);
  async function load() {
    err.textContent = "";
    for (const th of headers) {
      const key = th.firstChild.dataset.sort;
      th.setAttribute("aria-sort", key === listState.sort ? (listState.order === "asc" ? "ascending" : "descending") : "none");
    }
    const qs = new URLSearchParams({ ...listState, page: String(listState.page), size: String(listState.size) });
    const mine = ++loads; // a slower answer to an earlier query must not overwrite this one
    try {
      const out = await api("GET", "/functions?" + qs);
      if (mine !== loads) return;
      pages = Math.max(1, Math.ceil(out.Total / out.Size));
      if (out.Page > pages) { listState.page = pages; load(); return; } // the list shrank meanwhile
      body.replaceChildren(...out.Functions.map((f) => h("tr", {},
        h("td", {}, h("a", { href: "#/functions/" + enc(f.FunctionName) }, f.FunctionName)),
        h("td", {}, f.Runtime ?? f.PackageType), h("td", {}, f.MemorySize), h("td", {}, f.LastModified))));
      const matching = listState.q.trim() ? ` matching "${listState.q.trim()}"` : "";
      status.textContent = `${out.Total} functions${matching} — page ${out.Page} of ${pages}`;
      first.disabled = prev.disabled = out.Page <= 1;
      next.disabled = last.disabled = out.Page >= pages;
    } catch (e) { if (mine === loads) err.textContent = e.message; }
  }
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { listState.q = search.value; listState.page = 1; load(); }, 200);
  });
  first.addEventListener("click", () => { listState.page = 1; load(); });
  prev.addEventListener("click", () => { listState.page -= 1; load(); });
  next.addEventListener("click", () => { listState.page += 1; load(); });
  last.addEventListener("click", () => { listState.page = pages; load(); });
  size.addEventListener("change", () => {
    // keep the first row shown in view
    const firstRow = (listState.page - 1) * listState.size;
    listState.size = Number(size.value);
    listState.page = Math.floor(firstRow / listState.size) + 1;
    load();
  });
  show(h("div", { class: "card" },
    h("div", { class: "row" }, h("h1", { class: "grow" }, "Functions"),
      h("a", { href: "#/create" }, h("button", { class: "primary", id: "create-function" }, "Create function"))),
    h("div", { class: "row" }, search),
    h("table", { id: "fn-table", class: "ver-list" }, h("thead", {}, h("tr", {}, ...headers)), body),
    h("div", { class: "row ver-pager" }, first, prev, next, last, size, status), err));
  load();
}

async function functionPage(name, tabId, rest) {
  const tab = functionTabs.find((t) => t.id === tabId) ?? functionTabs[0];
  let fn;
  try { fn = await api("GET", "/functions/" + enc(name)); }
  catch (e) { show(h("div", { class: "card" }, h("h1", {}, name), h("p", { class: "error" }, e.message))); return; }
  const cfg = fn.Configuration;
  const panel = h("div", { class: "card", id: "panel-" + tab.id });
  const tabs = h("div", { class: "tabs", role: "tablist" }, ...functionTabs.map((t) => h("button", {
    role: "tab", id: "tab-" + t.id, "aria-selected": String(t === tab),
    onclick: () => { location.hash = `#/functions/${enc(name)}/${t.id}`; },
  }, t.label)));
  show(h("div", {}, h("h1", {}, cfg.FunctionName), tabs, panel));
  tab.render(panel, cfg, fn, rest);
}

registerPage({
  path: "functions", label: "Functions", order: 10,
  render(parts) { if (parts[0]) functionPage(parts[0], parts[1] ?? "overview", parts.slice(2)); else functionsPage(); },
});
