// Saved test events, shared the AWS way: the EventBridge Schemas registry
// "lambda-testevent-schemas" holds one OpenAPI 3 schema per function, "_<FunctionName>-schema",
// whose components.examples are the events ({ "<event name>": { "value": <event JSON> } }), so
// every browser (and `sam remote test-event`, boto3...) sees the same ones. All through
// call("schemas", ...): the same operations as the API.

import { call } from "./core.js";

export const REGISTRY = "lambda-testevent-schemas";
export const MAX_EVENTS = 10; // per function, as AWS's console allows
export const TOO_MANY = `A function can have at most ${MAX_EVENTS} saved test events. Delete one to save another.`;

const schemaName = (fn) => `_${fn}-schema`;

function document_(events) {
  return JSON.stringify({
    openapi: "3.0.0",
    info: { version: "1.0.0", title: "Event" },
    paths: {},
    components: {
      schemas: { Event: { type: "object" } },
      examples: Object.fromEntries(Object.entries(events).map(([k, v]) => [k, { value: v }])),
    },
  });
}

// What is stored: whether the registry and the function's schema exist, and its events
// ({ name: event value }). Asked with List* first so that "none yet" is an empty list, not a
// 404 (which the browser would log as a failed request).
async function stored(fn) {
  const regs = await call("schemas", "ListRegistries", { RegistryNamePrefix: REGISTRY });
  if (!regs.Registries.some((r) => r.RegistryName === REGISTRY)) return { registry: false, schema: false, events: {} };
  const found = await call("schemas", "ListSchemas", { RegistryName: REGISTRY, SchemaNamePrefix: schemaName(fn) });
  if (!found.Schemas.some((s) => s.SchemaName === schemaName(fn))) return { registry: true, schema: false, events: {} };
  const out = await call("schemas", "DescribeSchema", { RegistryName: REGISTRY, SchemaName: schemaName(fn) });
  const examples = JSON.parse(out.Content)?.components?.examples ?? {};
  const events = Object.fromEntries(Object.entries(examples).map(([k, v]) => [k, v?.value ?? null]));
  return { registry: true, schema: true, events };
}

// { name: event value } of the function's saved events ({} when there are none).
export async function loadEvents(fn) { return (await stored(fn)).events; }

async function write(fn, events, now) {
  const params = { RegistryName: REGISTRY, SchemaName: schemaName(fn), Type: "OpenApi3", Content: document_(events) };
  if (now.schema) { await call("schemas", "UpdateSchema", params); return; }
  if (!now.registry) {
    // the registry is made on the first save, as AWS's console does
    try { await call("schemas", "CreateRegistry", { RegistryName: REGISTRY, Description: "Shareable Lambda test events" }); }
    catch (e) { if (e.code !== "ConflictException") throw e; } // another browser made it meanwhile
  }
  await call("schemas", "CreateSchema", params);
}

// Save (add or replace) one event, merged into what is stored now (another browser may have
// saved meanwhile); throws Error(TOO_MANY) for an 11th. Returns the events as stored.
export async function saveEvent(fn, name, value) {
  const now = await stored(fn);
  const events = now.events;
  if (!(name in events) && Object.keys(events).length >= MAX_EVENTS) throw new Error(TOO_MANY);
  events[name] = value;
  await write(fn, events, now);
  return events;
}

// Delete one event (the schema itself once the last one goes). Returns the events left.
export async function deleteEvent(fn, name) {
  const now = await stored(fn);
  const events = now.events;
  if (!(name in events)) return events;
  delete events[name];
  if (Object.keys(events).length) await write(fn, events, now);
  else await call("schemas", "DeleteSchema", { RegistryName: REGISTRY, SchemaName: schemaName(fn) });
  return events;
}
