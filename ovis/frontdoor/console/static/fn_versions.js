// The function page's Versions tab: the function's versions a page at a time
// (ListVersionsByFunction with Marker), publishing $LATEST as the page loaded it (PublishVersion
// with its CodeSha256 and RevisionId, so a change made elsewhere meanwhile is refused rather than
// published unseen), each version's configuration, and deleting a version after a confirmation
// (DeleteFunction with Qualifier). Everything goes through call(): the same operations as boto3.

import { h, call, errorBox } from "./core.js";
import { registerFunctionTab } from "./registry.js";

const PAGE = 25;

// A version's configuration as a definition list (the fields a reader compares between versions).
export function versionDetails(v) {
  const rows = [["Version", v.Version], ["ARN", v.FunctionArn], ["Description", v.Description || "—"],
    ["Code SHA-256", v.CodeSha256], ["Runtime", v.Runtime ?? v.PackageType], ["Handler", v.Handler],
    ["Memory (MB)", v.MemorySize], ["Timeout (s)", v.Timeout], ["Architectures", (v.Architectures ?? []).join(", ")],
    ["Environment", Object.entries(v.Environment?.Variables ?? {}).map(([k, x]) => `${k}=${x}`).join(", ") || "—"],
    ["Last modified", v.LastModified], ["Revision", v.RevisionId]];
  return h("dl", { class: "kv ver-details", id: "ver-details-" + v.Version },
    ...rows.flatMap(([k, x]) => [h("dt", {}, k), h("dd", {}, x ?? "—")]));
}

function versionsTab(panel, cfg) {
  const name = cfg.FunctionName;
  const err = errorBox("ver-error");
  const status = h("p", { class: "ok", id: "ver-status", role: "status" });
  const body = h("tbody");
  const detail = h("div", { id: "ver-detail" });
  const count = h("span", { class: "muted", id: "ver-page" });
  const prev = h("button", { type: "button", id: "ver-prev" }, "Previous");
  const next = h("button", { type: "button", id: "ver-next" }, "Next");
  // markers[i] is the Marker of page i+1 (undefined for the first page)
  const markers = [undefined];
  let index = 0;

  let loads = 0;
  async function load() {
    err.textContent = "";
    const mine = ++loads; // only the latest page asked for is shown
    prev.disabled = next.disabled = true; // until this page's marker is known
    try {
      const params = { FunctionName: name, MaxItems: PAGE };
      if (markers[index]) params.Marker = markers[index];
      const out = await call("lambda", "ListVersionsByFunction", params);
      if (mine !== loads) return;
      markers[index + 1] = out.NextMarker;
      body.replaceChildren(...out.Versions.map(row));
      count.textContent = `Page ${index + 1}`;
      prev.disabled = index === 0;
      next.disabled = !out.NextMarker;
    } catch (e) { err.textContent = e.message; }
  }

  function row(v) {
    const actions = h("td", { class: "ver-actions" },
      h("button", { type: "button", id: "ver-view-" + v.Version, onclick: () => detail.replaceChildren(
        h("h2", {}, `Version ${v.Version}`), versionDetails(v)) }, "View"));
    if (v.Version !== "$LATEST") actions.append(deleteButton(v, actions));
    return h("tr", { id: "ver-row-" + v.Version },
      h("td", {}, v.Version), h("td", {}, v.Description || "—"), h("td", { class: "ver-sha" }, (v.CodeSha256 ?? "").slice(0, 12)),
      h("td", {}, v.MemorySize), h("td", {}, v.LastModified), actions);
  }

  // delete asks once more in place: the version's instances stop and aliases on it must move first
  function deleteButton(v, cell) {
    const ask = h("button", { type: "button", id: "ver-delete-" + v.Version }, "Delete");
    ask.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "ver-danger", id: "ver-confirm-delete-" + v.Version }, `Delete version ${v.Version}`);
      const no = h("button", { type: "button", id: "ver-cancel-delete-" + v.Version }, "Cancel");
      const box = h("span", { class: "ver-confirm" }, yes, no);
      no.addEventListener("click", () => box.replaceWith(ask));
      yes.addEventListener("click", async () => {
        err.textContent = ""; status.textContent = "";
        try {
          await call("lambda", "DeleteFunction", { FunctionName: name, Qualifier: v.Version });
          status.textContent = `Deleted version ${v.Version}.`;
          detail.replaceChildren();
          load();
        } catch (e) { err.textContent = e.message; box.replaceWith(ask); }
      });
      ask.replaceWith(box);
    });
    return ask;
  }

  const description = h("input", { type: "text", id: "ver-description", maxlength: "256", placeholder: "What changed" });
  const latest = h("p", { class: "muted", id: "ver-latest" });
  const showLatest = () => {
    latest.textContent = `Publishes $LATEST as loaded: code ${(cfg.CodeSha256 ?? "").slice(0, 12)}…, revision ${cfg.RevisionId}.`;
  };
  showLatest();
  const publish = h("form", { class: "ver-publish" },
    h("h2", {}, "Publish new version"), latest,
    h("label", { for: "ver-description" }, "Version description"), description,
    h("p", {}, h("button", { class: "primary", type: "submit", id: "ver-publish" }, "Publish")));
  publish.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = ""; status.textContent = "";
    try {
      const params = { FunctionName: name, CodeSha256: cfg.CodeSha256, RevisionId: cfg.RevisionId };
      if (description.value) params.Description = description.value;
      const v = await call("lambda", "PublishVersion", params);
      status.textContent = `Published version ${v.Version}.`;
      description.value = "";
      // publishing touches $LATEST's revision: later publishes check against the new one
      Object.assign(cfg, await call("lambda", "GetFunctionConfiguration", { FunctionName: name }));
      showLatest();
      index = 0;
      load();
    } catch (e) {
      err.textContent = e.code === "PreconditionFailedException"
        ? `${e.message} The function changed since this page loaded: reload it to publish what it is now.`
        : e.message;
    }
  });

  prev.addEventListener("click", () => { index -= 1; load(); });
  next.addEventListener("click", () => { index += 1; load(); });
  panel.replaceChildren(publish, status, err,
    h("h2", {}, "Versions"),
    h("table", { id: "ver-table" }, h("thead", {}, h("tr", {},
      h("th", {}, "Version"), h("th", {}, "Description"), h("th", {}, "Code SHA-256"), h("th", {}, "Memory (MB)"),
      h("th", {}, "Last modified"), h("th", {}, ""))), body),
    h("div", { class: "row ver-pager" }, prev, next, count), detail);
  load();
}

registerFunctionTab({ id: "versions", label: "Versions", order: 60, render: versionsTab });
