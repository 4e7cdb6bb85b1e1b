// What every console module uses: building elements, calling /console/api with the session's
// CSRF token, and the session itself. Nothing here knows about a particular page.

export const main = document.getElementById("main");

export const session = { csrf: "", signedIn: false, accessKeyId: "" };
let onSignedOut = () => {};
export function whenSignedOut(fn) { onSignedOut = fn; }

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return el;
}

// An SVG element (charts, the overview diagram): createElementNS, attributes as given.
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) el.setAttribute(k, v);
  for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return el;
}

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") {
    init.headers["X-CSRF-Token"] = session.csrf;
    if (body instanceof Blob) {
      init.headers["Content-Type"] = "application/zip";
      init.body = body;
    } else {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body ?? {});
    }
  }
  const res = await fetch("/console/api" + path, init);
  const out = await res.json();
  if (!res.ok) {
    if (res.status === 401 && out.Error?.Code === "NotSignedIn") { session.signedIn = false; onSignedOut(); }
    throw new ApiError(res.status, out.Error?.Code, out.Error?.Message ?? res.statusText);
  }
  return out;
}

// Any service operation, as boto3 would call it: botocore member names, blobs in base64,
// timestamps as epoch seconds, in and out (calls.py on the server).
export function call(service, operation, params = {}) {
  return api("POST", `/call/${encodeURIComponent(service)}/${encodeURIComponent(operation)}`, params);
}

export function show(...nodes) { main.replaceChildren(...nodes); }
export function errorBox(id) { return h("p", { class: "error", role: "alert", id }); }

export async function refreshSession() {
  const s = await api("GET", "/session");
  session.csrf = s.CsrfToken;
  session.signedIn = s.SignedIn;
  session.accessKeyId = s.SignedIn ? s.AccessKeyId : "";
}

// UTF-8 text <-> base64, for blob members (Payload, Message bodies of some services).
export function toBase64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
export function fromBase64(b64) {
  const bin = atob(b64 ?? "");
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export const enc = encodeURIComponent;
