// NODE_PATH for ES modules, as Lambda's Node.js 18+ runtimes have it: a resolve hook.
//
// Node's ES module resolver ignores NODE_PATH: a bare `import '@aws-sdk/client-sqs'` only walks
// up node_modules directories from the importing file. Lambda's runtimes also search the NODE_PATH
// folders (the runtime's SDK in /var/runtime/node_modules, layers' /opt/nodejs/node_modules). This
// hook does the same, and only where Node's own resolution failed, so a function's bundled copy
// in /var/task/node_modules (found by the walk-up) always wins, as it does for require().
//
// CommonJS, so bootstrap.mjs loads it with require() only when it is needed: before importing an
// ES module handler (CommonJS handlers have NODE_PATH already). An ES module import of this file
// would cost a Node 20 cold start about 3 ms, a require() a fraction of that.
//
// bootstrap.mjs installs it in one of two ways (same logic, two hook APIs):
// - module.registerHooks({ resolve: resolveSync }) where Node has it (22.15+): in-thread and
//   synchronous, about a millisecond, and it covers every import of the process;
// - module.register(this file, { data: { dirs } }) on older Node (20): the hooks run on a
//   separate loader thread, which costs 25-80 ms at start-up, so bootstrap.mjs does that only
//   when the handler's own files (node_modules excluded) name a package only NODE_PATH has
//   (`mentionsNodePathPackage`). What that scan cannot see, a bare import of such a package
//   from inside the function's node_modules, fails there on Node 20.
// A CommonJS handler's import() of such a package is not searched either (require() finds it).
//
// Only NODE_PATH entries named node_modules that hold the package are tried (an entry such as
// /var/task holds no packages); the first one that resolves wins, in NODE_PATH order.

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

let dirs = [];

/** The NODE_PATH entries worth searching: absolute existing directories named node_modules. */
function nodePathDirs(value = process.env.NODE_PATH) {
  return (value ?? '')
    .split(':')
    .filter((d) => path.isAbsolute(d) && path.basename(d) === 'node_modules' && fs.existsSync(d));
}

/** For module.register: the directories come from the main thread. */
function initialize(data) {
  dirs = data?.dirs ?? [];
}

/** For module.registerHooks: the directories are set on this thread. */
function useDirs(value) {
  dirs = value;
}

function isBare(specifier) {
  return !/^(\.{0,2}\/|#|[a-zA-Z][a-zA-Z\d+.-]*:)/.test(specifier) && specifier !== '.';
}

/** Parent URLs whose node_modules walk-up meets dir/<package> first, one per dir holding it. */
function parents(specifier) {
  if (!isBare(specifier)) return [];
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return dirs
    .filter((d) => fs.existsSync(path.join(d, name)))
    .map((d) => pathToFileURL(path.join(path.dirname(d), '[ovis-node-path].mjs')).href);
}

const notFound = (err) => err?.code === 'ERR_MODULE_NOT_FOUND';

async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (!notFound(err)) throw err;
    for (const parentURL of parents(specifier)) {
      try {
        return await nextResolve(specifier, { ...context, parentURL });
      } catch {
        // try the next NODE_PATH entry
      }
    }
    throw err;
  }
}

function resolveSync(specifier, context, nextResolve) {
  try {
    return nextResolve(specifier, context);
  } catch (err) {
    if (!notFound(err)) throw err;
    for (const parentURL of parents(specifier)) {
      try {
        return nextResolve(specifier, { ...context, parentURL });
      } catch {
        // try the next NODE_PATH entry
      }
    }
    throw err;
  }
}

const SOURCE = /\.(m|c)?js$/;
const SCAN_LIMIT = 64 * 1024 * 1024; // bytes of source read at most; past that, assume yes

/**
 * The packages the NODE_PATH dirs provide that the task does not bundle itself: whole scopes
 * ("@aws-sdk/") when the task has no node_modules at all (fewer names, no stat per package).
 */
function nodePathOnlyPackages(taskRoot, found) {
  const own = path.join(taskRoot, 'node_modules');
  const bundles = fs.existsSync(own);
  const names = new Set();
  const add = (name) => {
    if (!bundles || !fs.existsSync(path.join(own, name))) names.add(name);
  };
  for (const d of found) {
    for (const entry of fs.readdirSync(d)) {
      if (entry.startsWith('.')) continue;
      if (!entry.startsWith('@')) add(entry);
      else if (!bundles) add(`${entry}/`);
      else for (const name of fs.readdirSync(path.join(d, entry))) add(`${entry}/${name}`);
    }
  }
  return [...names];
}

/**
 * Whether any .js/.mjs/.cjs file of ``taskRoot`` (node_modules and dot-directories excluded)
 * has a quoted specifier starting with a package only the NODE_PATH ``found`` dirs provide.
 * False positives (the name in a comment) only cost the hook; reading stops at SCAN_LIMIT.
 */
function mentionsNodePathPackage(taskRoot, found) {
  const names = nodePathOnlyPackages(taskRoot, found);
  if (names.length === 0) return false;
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const pattern = new RegExp(`['"\`](?:${escaped.join('|')})`);
  let budget = SCAN_LIMIT;
  const pending = [taskRoot];
  while (pending.length > 0) {
    const dir = pending.pop();
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (SOURCE.test(entry.name)) {
        const text = fs.readFileSync(full, 'utf8');
        budget -= text.length;
        if (budget < 0 || pattern.test(text)) return true;
      }
    }
  }
  return false;
}

module.exports = { nodePathDirs, initialize, useDirs, mentionsNodePathPackage, resolve, resolveSync };
