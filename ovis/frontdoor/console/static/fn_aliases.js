// The function page's Aliases tab (#/functions/NAME/aliases, #/functions/NAME/aliases/ALIAS to
// open one for editing): the aliases (ListAliases, every page) with their routing weights drawn,
// create (CreateAlias), update (UpdateAlias with the RevisionId loaded, so a change made
// elsewhere meanwhile is refused), delete (DeleteAlias, after a confirmation). An alias points at
// a version and may send a share of its traffic, 0-100 %, to a second version
// (RoutingConfig.AdditionalVersionWeights): the page takes a percentage and sends the fraction.

import { h, call, errorBox, enc } from "./core.js";
import { registerFunctionTab } from "./registry.js";

async function everyPage(op, params, key) {
  const all = [];
  let marker;
  do {
    const out = await call("lambda", op, { ...params, MaxItems: 50, ...(marker ? { Marker: marker } : {}) });
    all.push(...out[key]);
    marker = out.NextMarker;
  } while (marker);
  return all;
}

// [[version, fraction], ...]: the primary version gets what the additional ones leave
export function weights(alias) {
  const extra = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {});
  const rest = extra.reduce((sum, [, w]) => sum - w, 1);
  return [[alias.FunctionVersion, rest], ...extra];
}

const pct = (w) => `${Math.round(w * 1000) / 10}%`;

function weightBar(alias) {
  return h("div", { class: "ver-weights", id: "ali-weights-" + alias.Name },
    ...weights(alias).map(([v, w], i) => {
      const part = h("span", { class: "ver-weight ver-weight-" + i, title: `version ${v}: ${pct(w)}` }, `${v}: ${pct(w)}`);
      part.style.flexGrow = String(w); // through the CSSOM: the CSP refuses style attributes
      return part;
    }));
}

function aliasesTab(panel, cfg, fn, rest) {
  const name = cfg.FunctionName;
  const err = errorBox("ali-error");
  const status = h("p", { class: "ok", id: "ali-status", role: "status" });
  const body = h("tbody");
  const formBox = h("div", { id: "ali-form-box" });
  let versions = [];
  let aliases = [];

  async function load() {
    err.textContent = "";
    try {
      [versions, aliases] = await Promise.all([
        everyPage("ListVersionsByFunction", { FunctionName: name }, "Versions"),
        everyPage("ListAliases", { FunctionName: name }, "Aliases"),
      ]);
      body.replaceChildren(...aliases.map(row));
      create.disabled = false;
      if (!aliases.length) body.append(h("tr", {}, h("td", { colspan: "5", class: "muted" }, "No aliases yet.")));
    } catch (e) { err.textContent = e.message; }
  }

  function row(a) {
    const actions = h("td", { class: "ver-actions" },
      h("button", { type: "button", id: "ali-edit-" + a.Name, onclick: () => { location.hash = `#/functions/${enc(name)}/aliases/${enc(a.Name)}`; } }, "Edit"));
    const del = h("button", { type: "button", id: "ali-delete-" + a.Name }, "Delete");
    del.addEventListener("click", () => {
      const yes = h("button", { type: "button", class: "ver-danger", id: "ali-confirm-delete-" + a.Name }, `Delete alias ${a.Name}`);
      const no = h("button", { type: "button", onclick: () => box.replaceWith(del) }, "Cancel");
      const box = h("span", { class: "ver-confirm" }, yes, no);
      yes.addEventListener("click", async () => {
        err.textContent = ""; status.textContent = "";
        try {
          await call("lambda", "DeleteAlias", { FunctionName: name, Name: a.Name });
          status.textContent = `Deleted alias ${a.Name}.`;
          formBox.replaceChildren();
          await load();
        } catch (e) { err.textContent = e.message; box.replaceWith(del); }
      });
      del.replaceWith(box);
    });
    actions.append(del);
    return h("tr", { id: "ali-row-" + a.Name },
      h("td", {}, a.Name), h("td", { class: "ali-version" }, a.FunctionVersion), h("td", {}, weightBar(a)),
      h("td", {}, a.Description || "—"), actions);
  }

  // the create form (alias undefined) or the edit form of one alias
  function aliasForm(alias) {
    const ferr = errorBox("ali-form-error");
    const choices = (selected, blank) => [
      ...(blank ? [h("option", { value: "" }, blank)] : []),
      ...versions.map((v) => h("option", { value: v.Version, selected: v.Version === selected }, v.Version)),
    ];
    const extra = Object.entries(alias?.RoutingConfig?.AdditionalVersionWeights ?? {})[0];
    const aliasName = h("input", { type: "text", id: "ali-name", required: true, maxlength: "128", value: alias?.Name ?? "", disabled: !!alias });
    const version = h("select", { id: "ali-version" }, ...choices(alias?.FunctionVersion ?? versions.at(-1)?.Version));
    const description = h("input", { type: "text", id: "ali-description", maxlength: "256", value: alias?.Description ?? "" });
    const second = h("select", { id: "ali-extra-version" }, ...choices(extra?.[0] ?? "", "None"));
    const weight = h("input", { type: "number", id: "ali-extra-weight", min: "0", max: "100", step: "0.1",
      value: extra ? String(Math.round(extra[1] * 1000) / 10) : "0" });
    const form = h("form", { class: "ver-alias-form", id: alias ? "ali-edit-form" : "ali-create-form" },
      h("h2", {}, alias ? `Edit alias ${alias.Name}` : "Create alias"),
      h("label", { for: "ali-name" }, "Name"), aliasName,
      h("label", { for: "ali-description" }, "Description"), description,
      h("label", { for: "ali-version" }, "Version"), version,
      h("h2", { class: "ver-sub" }, "Weighted alias"),
      h("p", { class: "muted" }, "Send a share of the alias's invocations to a second version."),
      h("label", { for: "ali-extra-version" }, "Additional version"), second,
      h("label", { for: "ali-extra-weight" }, "Weight (%)"), weight,
      h("p", { class: "row" }, h("button", { class: "primary", type: "submit", id: "ali-save" }, alias ? "Save" : "Create"),
        h("button", { type: "button", id: "ali-cancel", onclick: () => { location.hash = `#/functions/${enc(name)}/aliases`; } }, "Cancel")),
      ferr);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      ferr.textContent = ""; status.textContent = "";
      const percent = Number(weight.value);
      if (second.value && !(percent >= 0 && percent <= 100)) { ferr.textContent = "The weight is a percentage, 0 to 100."; return; }
      const params = {
        FunctionName: name, Name: aliasName.value, FunctionVersion: version.value, Description: description.value,
        // an empty map clears a previous weighting
        RoutingConfig: { AdditionalVersionWeights: second.value ? { [second.value]: Math.round(percent * 10) / 1000 } : {} },
      };
      try {
        let out;
        if (alias) out = await call("lambda", "UpdateAlias", { ...params, RevisionId: alias.RevisionId });
        else out = await call("lambda", "CreateAlias", params);
        const routed = Object.entries(out.RoutingConfig?.AdditionalVersionWeights ?? {});
        status.textContent = `Saved alias ${out.Name} -> ${out.FunctionVersion}` +
          (routed.length ? ` (${routed.map(([v, w]) => `${pct(w)} to ${v}`).join(", ")}).` : ".");
        formBox.replaceChildren();
        history.replaceState(null, "", `#/functions/${enc(name)}/aliases`);
        await load();
      } catch (e) { ferr.textContent = e.message; }
    });
    formBox.replaceChildren(form);
    (alias ? version : aliasName).focus();
  }

  // the form offers the versions: it opens once they are loaded
  const create = h("button", { type: "button", class: "primary", id: "ali-create", disabled: true, onclick: () => aliasForm() }, "Create alias");
  panel.replaceChildren(
    h("div", { class: "row" }, h("h2", { class: "grow" }, "Aliases"),
      create),
    status, err,
    h("table", { id: "ali-table" }, h("thead", {}, h("tr", {},
      h("th", {}, "Name"), h("th", {}, "Version"), h("th", {}, "Weights"), h("th", {}, "Description"), h("th", {}, ""))), body),
    formBox);
  load().then(() => {
    if (!rest[0]) return;
    const alias = aliases.find((a) => a.Name === rest[0]);
    if (alias) aliasForm(alias);
    else err.textContent = `No alias ${rest[0]} on ${name}.`;
  });
}

registerFunctionTab({ id: "aliases", label: "Aliases", order: 70, render: aliasesTab });
