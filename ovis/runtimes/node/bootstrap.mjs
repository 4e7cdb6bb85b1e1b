// The managed Node.js runtime inside one instance: a client of the Lambda Runtime API over HTTP.
//
// It behaves as AWS's Node.js runtime (aws-lambda-nodejs-runtime-interface-client) does:
// - the handler "dir/module.path.to.fn" is loaded from LAMBDA_TASK_ROOT: extensionless and .js
//   files with require (CommonJS), .js with import when the nearest package.json says
//   "type": "module", then .mjs with import and .cjs with require, finally require.resolve;
// - async handlers (the returned promise settles the invocation), callback handlers (callback,
//   context.succeed/fail/done; the response waits for an empty event loop unless
//   context.callbackWaitsForEmptyEventLoop is false), and awslambda.streamifyResponse handlers;
// - errors as {errorType, errorMessage, trace}; init failures (Runtime.ImportModuleError,
//   Runtime.HandlerNotFound, Runtime.UserCodeSyntaxError, ...) posted to /init/error, after
//   which the process exits; an uncaught exception or unhandled rejection during an invocation
//   fails it and ends the process;
// - console.* lines as "<ISO time>\t<request id>\t<LEVEL>\t<message>" (or JSON with
//   AWS_LAMBDA_LOG_FORMAT=JSON), filtered by AWS_LAMBDA_LOG_LEVEL.
// - bare `import` specifiers also resolve from the NODE_PATH folders (the runtime's AWS SDK,
//   layers), as on Lambda's Node.js 18+ runtimes (node_path.cjs); require() has NODE_PATH itself.
// Node's standard library only: no npm dependencies (the SDK is the function's, not ours).

import fs from 'node:fs';
import http from 'node:http';
import nodeModule, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import util from 'node:util';

// ---- stack traces: the function's frames only, as AWS shows them ---------------------------

// This file lives on the host (the server's checkout): none of its frames, and never its path,
// may reach an error payload or a log line. Where it must be named, it is AWS's runtime file.
const RUNTIME_URL = import.meta.url;
const RUNTIME_FILE = fileURLToPath(RUNTIME_URL);
const SHOWN_RUNTIME = '/var/runtime/index.mjs';

/** ``text`` with this file's host path (or URL) replaced by the name AWS's runtime has. */
function hostless(text) {
  if (typeof text !== 'string') return text;
  return text
    .replaceAll(RUNTIME_URL, `file://${SHOWN_RUNTIME}`)
    .replaceAll(RUNTIME_FILE, SHOWN_RUNTIME);
}

function isRuntimeFrame(site) {
  const file = site.getFileName?.() ?? site.getScriptNameOrSourceURL?.();
  return file === RUNTIME_URL || file === RUNTIME_FILE;
}

// V8's own format ("Name: message" then "    at <frame>" lines), without the runtime's frames.
// Every stack computed in this process goes through here (a handler's own console.error(err)
// included), unless the function installs a formatter of its own.
Error.prepareStackTrace = (error, sites) => {
  let head;
  try {
    head = Error.prototype.toString.call(error);
    // Node's own errors read "Error [ERR_X]: message" in its default format: keep that.
    if (typeof error.code === 'string' && /^ERR_[A-Z0-9_]+$/.test(error.code) && error.name) {
      head = `${error.name} [${error.code}]${head.slice(String(error.name).length)}`;
    }
  } catch {
    head = 'Error';
  }
  const frames = sites.filter((site) => !isRuntimeFrame(site)).map((site) => `    at ${site}`);
  return [hostless(head), ...frames].join('\n');
};

// require() with the base AWS's runtime has, so "Require stack" lines read as on Lambda; every
// user module is required by absolute path (or resolved with explicit paths), never relative.
const require = createRequire('/var/runtime/index.mjs');

// ---- errors --------------------------------------------------------------------------------

function runtimeError(name, base = Error) {
  const cls = class extends base {};
  Object.defineProperty(cls, 'name', { value: name });
  cls.prototype.name = `Runtime.${name}`;
  return cls;
}

const ImportModuleError = runtimeError('ImportModuleError');
const HandlerNotFound = runtimeError('HandlerNotFound');
const MalformedHandlerName = runtimeError('MalformedHandlerName');
const UserCodeSyntaxError = runtimeError('UserCodeSyntaxError');
const MalformedStreamingHandler = runtimeError('MalformedStreamingHandler');
const InvalidStreamingOperation = runtimeError('InvalidStreamingOperation');

class NodeJsExit extends Error {
  constructor() {
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most ' +
        'commonly caused by a Promise that was never settled. For more information, see ' +
        'https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}
NodeJsExit.prototype.name = 'Runtime.NodeJsExit';

class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
UnhandledPromiseRejection.prototype.name = 'Runtime.UnhandledPromiseRejection';

function isErrorLike(obj) {
  return (
    obj &&
    typeof obj.name === 'string' &&
    typeof obj.message === 'string' &&
    typeof obj.stack === 'string' &&
    obj.name &&
    obj.message &&
    obj.stack
  );
}

/** The error object the Runtime API receives: {errorType, errorMessage, trace}. */
function toRapidResponse(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name?.replaceAll('\x7F', '%7F'),
        errorMessage: hostless(error.message)?.replaceAll('\x7F', '%7F'),
        trace: hostless(String(error.stack)).replaceAll('\x7F', '%7F').split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one ' +
        'or more of its message, name, and stack',
    };
  }
}

function intoError(err) {
  return err instanceof Error ? err : new Error(err);
}

function withEnumerableProperties(value) {
  if (value instanceof Error) {
    const ret = Object.assign(
      { errorType: value.name, errorMessage: value.message, code: value.code },
      value,
    );
    if (typeof value.stack === 'string') ret.stack = value.stack.split('\n');
    return ret;
  }
  return value;
}

/** How the runtime logs an error: a tab, then the error as JSON with its stack lines. */
function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

// ---- logging -------------------------------------------------------------------------------

const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
const TENANT_ID = Symbol.for('aws.lambda.runtime.tenantId');
const LEVELS = Object.freeze({
  TRACE: { name: 'TRACE', priority: 1 },
  DEBUG: { name: 'DEBUG', priority: 2 },
  INFO: { name: 'INFO', priority: 3 },
  WARN: { name: 'WARN', priority: 4 },
  ERROR: { name: 'ERROR', priority: 5 },
  FATAL: { name: 'FATAL', priority: 6 },
});

function jsonErrorReplacer(_key, value) {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value?.constructor?.name ?? 'UnknownError',
        errorMessage: value.message,
        stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
      },
      value,
    );
  }
  return value;
}

function formatJson(level, message, params) {
  const result = {
    timestamp: new Date().toISOString(),
    level: level.name,
    requestId: globalThis[REQUEST_ID],
  };
  const tenantId = globalThis[TENANT_ID];
  if (tenantId !== undefined && tenantId !== null) result.tenantId = tenantId;
  if (params.length === 0) {
    result.message = message;
    try {
      return JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result.message = util.format(result.message);
      return JSON.stringify(result);
    }
  }
  result.message = util.format(message, ...params);
  for (const param of [message, ...params]) {
    if (param instanceof Error) {
      result.errorType = param?.constructor?.name ?? 'UnknownError';
      result.errorMessage = param.message;
      result.stackTrace = typeof param.stack === 'string' ? param.stack.split('\n') : [];
      break;
    }
  }
  return JSON.stringify(result);
}

const logText = (level, message, params) =>
  `${new Date().toISOString()}\t${globalThis[REQUEST_ID]}\t${level.name}\t${util.format(
    message,
    ...params,
  )}`;
const logJson = (level, message, params) => formatJson(level, message, params);

let logError = () => {};

/** Replace console.* with AWS's line format; every line ends up on stdout (the log pipe). */
function patchConsole() {
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const format = json ? logJson : logText;
  const write = (level, message, params) => {
    // One record per line: embedded newlines become \r, as in CloudWatch.
    process.stdout.write(format(level, message, params).replace(/\n/g, '\r') + '\n');
  };
  const min = LEVELS[process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
  const make = (level) =>
    level.priority >= min.priority ? (msg, ...params) => write(level, msg, params) : () => {};
  console.trace = make(LEVELS.TRACE);
  console.debug = make(LEVELS.DEBUG);
  console.info = make(LEVELS.INFO);
  console.log = console.info;
  console.warn = make(LEVELS.WARN);
  console.error = make(LEVELS.ERROR);
  console.fatal = (msg, ...params) => write(LEVELS.FATAL, msg, params);
  logError = json
    ? (_msg, err) => console.error(intoError(err))
    : (msg, err) => console.error(msg, toFormatted(intoError(err)));
}

// ---- the Runtime API client ----------------------------------------------------------------

const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';

function fatal(what, err) {
  process.stderr.write(`ovis node runtime: ${what}: ${err?.message ?? err}\n`);
  process.exit(1);
}

class RuntimeApiClient {
  constructor(address) {
    const i = address.lastIndexOf(':');
    this.hostname = address.slice(0, i);
    this.port = Number.parseInt(address.slice(i + 1), 10);
    // One keep-alive connection: requests go out in order, and the idle socket is unref'd, so
    // it never keeps the event loop alive on its own.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1, noDelay: true });
  }

  options(method, urlPath, headers) {
    return {
      hostname: this.hostname,
      port: this.port,
      path: `/2018-06-01/runtime${urlPath}`,
      method,
      headers,
      agent: this.agent,
    };
  }

  /** Long-poll for the next event: {body (string), headers (lower-case names)}. */
  nextInvocation() {
    return new Promise((resolve, reject) => {
      const req = http.request(this.options('GET', '/invocation/next', {}), (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET /invocation/next answered ${res.statusCode}`));
            return;
          }
          resolve({ body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  post(urlPath, bodyString, headers, callback) {
    const body = Buffer.from(bodyString, 'utf8');
    const req = http.request(
      this.options('POST', urlPath, {
        'Content-Type': 'application/json',
        'Content-Length': body.length,
        ...headers,
      }),
      (res) => {
        res.on('error', (e) => fatal(`POST ${urlPath}`, e));
        res.on('end', () => callback?.());
        res.resume();
      },
    );
    req.on('error', (e) => fatal(`POST ${urlPath}`, e));
    req.end(body);
  }

  postInvocationResponse(response, id, callback) {
    this.post(`/invocation/${encodeURIComponent(id)}/response`, serialize(response), {}, callback);
  }

  postInvocationError(error, id, callback) {
    const response = toRapidResponse(error);
    this.post(
      `/invocation/${encodeURIComponent(id)}/error`,
      serialize(response),
      { [ERROR_TYPE_HEADER]: headerSafe(response.errorType) },
      callback,
    );
  }

  postInitError(error, callback) {
    const response = toRapidResponse(error);
    this.post(
      '/init/error',
      serialize(response),
      { [ERROR_TYPE_HEADER]: headerSafe(response.errorType) },
      callback,
    );
  }

  /** A streamed response: a chunked POST (see createResponseStream). */
  streamResponse(id, callback, options) {
    const { request, responseDone } = createResponseStream(this, id, options);
    return { request, responseDone: responseDone.then(() => callback?.()) };
  }
}

function serialize(body) {
  try {
    return JSON.stringify(body === undefined ? null : body);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

function headerSafe(value) {
  return String(value ?? 'Runtime.Unknown').replace(/[^\t\x20-\x7e]/g, '');
}

// ---- response streaming --------------------------------------------------------------------

const RESPONSE_MODE_HEADER = 'Lambda-Runtime-Function-Response-Mode';
const TRAILER_ERROR_TYPE = 'Lambda-Runtime-Function-Error-Type';
const TRAILER_ERROR_BODY = 'Lambda-Runtime-Function-Error-Body';
const failers = new WeakMap();

/**
 * The handler's responseStream: a chunked POST to /invocation/{id}/response with
 * "Lambda-Runtime-Function-Response-Mode: streaming"; an error after the first byte travels in
 * the Lambda-Runtime-Function-Error-Type/-Body trailers. Exposes only the writable side.
 */
function createResponseStream(client, id, options) {
  let started = false;
  let resolveDone;
  let rejectDone;
  const responseDone = new Promise((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const req = http.request(
    {
      ...client.options('POST', `/invocation/${encodeURIComponent(id)}/response`, {
        [RESPONSE_MODE_HEADER]: 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: `${TRAILER_ERROR_TYPE}, ${TRAILER_ERROR_BODY}`,
        'Content-Type': 'application/octet-stream',
      }),
      highWaterMark: options?.highWaterMark,
    },
    (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('aborted', (err) => {
        rejectDone(err);
        req.destroy(err);
      });
      res.on('end', () => resolveDone(Buffer.concat(chunks)));
    },
  );
  req.on('error', (err) => {
    rejectDone(err);
    req.destroy(err);
  });
  responseDone.catch(() => {});

  const origWrite = req.write.bind(req);
  const origEnd = req.end.bind(req);
  const beforeFirstWrite = () => {
    if (!started) {
      started = true;
      if (typeof req._onBeforeFirstWrite === 'function') {
        req._onBeforeFirstWrite((chunk) => origWrite(chunk));
      }
    }
  };
  req.setContentType = (contentType) => {
    if (started) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    req.setHeader('Content-Type', contentType);
  };
  req.write = function (chunk, encoding, callback) {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array)) {
      chunk = JSON.stringify(chunk);
    }
    beforeFirstWrite();
    return origWrite(chunk, encoding, callback);
  };
  req.end = function (chunk, encoding, callback) {
    if (typeof chunk === 'function') {
      callback = chunk;
      chunk = undefined;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    if (chunk !== undefined && chunk !== null) req.write(chunk, encoding);
    beforeFirstWrite();
    origEnd(callback);
    return req;
  };

  const fns = [
    'cork', 'destroy', 'end', 'uncork', 'write', 'addListener', 'emit', 'eventNames',
    'getMaxListeners', 'listenerCount', 'listeners', 'off', 'on', 'once', 'prependListener',
    'prependOnceListener', 'rawListeners', 'removeAllListeners', 'removeListener',
    'setMaxListeners', 'setContentType',
  ];
  const stream = Object.fromEntries(fns.map((fn) => [fn, req[fn].bind(req)]));
  for (const prop of ['destroyed', 'writable', '_onBeforeFirstWrite']) {
    Object.defineProperty(stream, prop, {
      get: () => req[prop],
      set: (value) => {
        req[prop] = value;
      },
    });
  }
  for (const prop of [
    'writableFinished', 'writableObjectMode', 'writableBuffer', 'writableEnded',
    'writableNeedDrain', 'writableHighWaterMark', 'writableCorked', 'writableLength',
  ]) {
    Object.defineProperty(stream, prop, { get: () => req[prop] });
  }
  failers.set(stream, (err, callback) => {
    const error = toRapidResponse(err);
    req.addTrailers({
      [TRAILER_ERROR_TYPE]: headerSafe(error.errorType),
      [TRAILER_ERROR_BODY]: Buffer.from(JSON.stringify(error)).toString('base64'),
    });
    if (req.writableEnded) callback?.();
    else origEnd(callback);
  });
  return { request: stream, responseDone };
}

const METADATA_PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

/** awslambda.HttpResponseStream: status and headers as a JSON prelude, then 8 NUL bytes. */
class HttpResponseStream {
  static from(underlyingStream, prelude) {
    underlyingStream.setContentType(METADATA_PRELUDE_CONTENT_TYPE);
    const metadataPrelude = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadataPrelude);
      write(new Uint8Array(8));
    };
    return underlyingStream;
  }
}

const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';

function defineGlobalAwsLambda() {
  const off = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (off === '1' || off === 'true') return;
  globalThis.awslambda = {
    streamifyResponse(handler, options) {
      handler[HANDLER_STREAMING] = STREAM_RESPONSE;
      if (typeof options?.highWaterMark === 'number') {
        handler[HANDLER_HIGHWATERMARK] = Number.parseInt(options.highWaterMark, 10);
      }
      return handler;
    },
    HttpResponseStream,
  };
}

// ---- loading the handler -------------------------------------------------------------------

function tryRequireFile(file, extension = '') {
  const p = file + extension;
  return fs.existsSync(p) ? require(p) : undefined;
}

async function tryImport(file, extension = '') {
  const p = file + extension;
  if (!fs.existsSync(p)) return undefined;
  searchNodePathOnImport();
  return await import(pathToFileURL(p).href);
}

// ---- NODE_PATH for ES modules (node_path.cjs) ------------------------------------------------

let nodePathHook;
const NODE_PATH_HOOK = new URL('./node_path.cjs', import.meta.url);

/**
 * Before an ES module handler is imported: make `import` search the NODE_PATH folders too (the
 * runtime's AWS SDK, layers), as Lambda's runtimes do. CommonJS handlers need nothing (require()
 * has NODE_PATH), so they pay nothing: node_path.cjs is not even loaded for them. In-thread hooks
 * (Node 22.15+) cost about a millisecond; the off-thread ones of older Node cost a loader thread,
 * so there only a handler whose code names a NODE_PATH-only package gets them. Without any
 * NODE_PATH folder to search, nothing is installed.
 */
function searchNodePathOnImport() {
  if (nodePathHook !== undefined) return;
  const inThread = typeof nodeModule.registerHooks === 'function';
  nodePathHook = null;
  const nodePath = require(fileURLToPath(NODE_PATH_HOOK));
  const dirs = nodePath.nodePathDirs();
  if (dirs.length === 0) return;
  if (inThread) {
    nodePath.useDirs(dirs);
    nodePathHook = nodeModule.registerHooks({ resolve: nodePath.resolveSync });
  } else if (typeof nodeModule.register === 'function') {
    const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
    if (!nodePath.mentionsNodePathPackage(appRoot, dirs)) return;
    nodeModule.register(NODE_PATH_HOOK, { data: { dirs } });
    nodePathHook = NODE_PATH_HOOK;
  }
}

function folderHasTypeModule(folder) {
  if (folder.endsWith('/node_modules')) return false;
  const pj = path.join(folder, 'package.json');
  if (fs.existsSync(pj)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
      if (pkg) return pkg.type === 'module';
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  if (folder === '/') return false;
  return folderHasTypeModule(path.resolve(folder, '..'));
}

function hasPackageJsonTypeModule(file) {
  const js = `${file}.js`;
  return fs.existsSync(js) ? folderHasTypeModule(path.resolve(path.dirname(js))) : false;
}

async function tryRequire(appRoot, moduleRoot, module) {
  const lambdaStylePath = path.resolve(appRoot, moduleRoot, module);
  const extensionless = tryRequireFile(lambdaStylePath);
  if (extensionless) return extensionless;
  const typeModule = hasPackageJsonTypeModule(lambdaStylePath);
  if (!typeModule) {
    const loaded = tryRequireFile(lambdaStylePath, '.js');
    if (loaded) return loaded;
  }
  const loaded =
    (typeModule && (await tryImport(lambdaStylePath, '.js'))) ||
    (await tryImport(lambdaStylePath, '.mjs')) ||
    tryRequireFile(lambdaStylePath, '.cjs');
  if (loaded) return loaded;
  // As Lambda: resolve the bare module name against the task root and the module's folder.
  return require(require.resolve(module, { paths: [appRoot, moduleRoot] }));
}

async function loadUserApp(appRoot, moduleRoot, module) {
  defineGlobalAwsLambda();
  try {
    return await tryRequire(appRoot, moduleRoot, module);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e?.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e);
    throw e;
  }
}

async function loadHandler(appRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root ` +
        'directories in handler names.',
    );
  }
  const base = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.indexOf(base));
  const match = base.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, module, handlerPath] = match;
  const app = await loadUserApp(appRoot, moduleRoot, module);
  const fn = handlerPath.split('.').reduce((obj, key) => obj && obj[key], app);
  if (!fn) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return fn;
}

function handlerMetadata(fn) {
  let streaming = false;
  const mode = fn[HANDLER_STREAMING];
  if (mode !== undefined && mode !== null && mode !== false) {
    if (mode !== STREAM_RESPONSE) {
      throw new MalformedStreamingHandler('Only response streaming is supported.');
    }
    streaming = STREAM_RESPONSE;
  }
  const hwm = Number.parseInt(fn[HANDLER_HIGHWATERMARK], 10);
  return {
    streaming,
    highWaterMark: Number.isNaN(hwm) ? undefined : hwm,
    isAsync: fn.constructor?.name === 'AsyncFunction',
  };
}

// ---- the invoke loop -----------------------------------------------------------------------

// One 'beforeExit' listener, replaced per invocation: it runs when the event loop is empty.
let beforeExit = () => {};
const resetBeforeExit = () => {
  beforeExit = () => {};
};

function isPromise(obj) {
  return obj && typeof obj.then === 'function';
}

function parseJsonHeader(value, name) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

/** Adds the function's and the invocation's data to a (callback or streaming) context. */
function attachEnvironmentData(ctx, headers) {
  const env = process.env;
  const trace = headers['lambda-runtime-trace-id'];
  if (trace) env._X_AMZN_TRACE_ID = trace;
  else delete env._X_AMZN_TRACE_ID;
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return Object.assign(ctx, {
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJsonHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
    identity: parseJsonHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    tenantId: headers['lambda-runtime-aws-tenant-id'],
    getRemainingTimeInMillis: () => deadline - Date.now(),
  });
}

/** callback, the context's succeed/fail/done, and a function marking the invocation done. */
function buildCallbackContext(client, id, scheduleNext) {
  const postError = (err, cb) => {
    logError('Invoke Error', err);
    client.postInvocationError(err, id, cb);
  };
  let completed = false;
  const complete = (result, cb) => {
    if (completed) {
      console.error(
        'Invocation has already been reported as done. Cannot call complete more than once ' +
          'per invocation.',
      );
      return;
    }
    completed = true;
    client.postInvocationResponse(result, id, cb);
  };
  let waitForEmptyEventLoop = true;
  const callback = (err, result) => {
    resetBeforeExit();
    if (err !== undefined && err !== null) {
      postError(err, scheduleNext);
    } else if (!waitForEmptyEventLoop) {
      complete(result, scheduleNext);
    } else {
      beforeExit = () => setImmediate(() => complete(result, scheduleNext));
    }
  };
  const done = (err, result) => {
    resetBeforeExit();
    if (err !== undefined && err !== null) postError(err, scheduleNext);
    else complete(result, scheduleNext);
  };
  // Only the first of callback/succeed/fail/done counts.
  let finished = false;
  const once =
    (fn) =>
    (...args) => {
      if (!finished) {
        fn(...args);
        finished = true;
      }
    };
  const ctx = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: once((result) => done(null, result)),
    fail: once((err) => (err === undefined || err === null ? done('handled') : done(err, null))),
    done: once(done),
  };
  return [
    once(callback),
    ctx,
    () => {
      completed = true;
    },
  ];
}

class Runtime {
  constructor(client, handler, metadata, errorCallbacks) {
    this.client = client;
    this.handler = handler;
    this.metadata = metadata;
    this.errorCallbacks = errorCallbacks;
    this.handleOnce =
      metadata.streaming === STREAM_RESPONSE ? this.handleOnceStreaming : this.handleOnceBuffered;
  }

  scheduleIteration() {
    setImmediate(() => {
      this.handleOnce().then(
        () => {},
        (err) => {
          console.log(`Unexpected Top Level Error: ${err.toString()}`);
          this.errorCallbacks.uncaughtException(err);
        },
      );
    });
  }

  async next() {
    let inv;
    try {
      inv = await this.client.nextInvocation();
    } catch (err) {
      fatal('GET /invocation/next', err);
    }
    const id = inv.headers['lambda-runtime-aws-request-id'];
    if (!id) fatal('GET /invocation/next', new Error('no Lambda-Runtime-Aws-Request-Id'));
    globalThis[REQUEST_ID] = id;
    globalThis[TENANT_ID] = inv.headers['lambda-runtime-aws-tenant-id'];
    this.setErrorCallbacks(id);
    return { id, ...inv };
  }

  async handleOnceBuffered() {
    const { id, body, headers } = await this.next();
    const [callback, callbackContext, markCompleted] = buildCallbackContext(
      this.client,
      id,
      () => this.scheduleIteration(),
    );
    try {
      this.setDefaultExitListener(id, markCompleted, this.metadata.isAsync);
      const result = this.handler(
        body ? JSON.parse(body) : {},
        attachEnvironmentData(callbackContext, headers),
        callback,
      );
      if (isPromise(result)) {
        result.then(callbackContext.succeed, callbackContext.fail).catch(callbackContext.fail);
      }
    } catch (err) {
      callback(err);
    }
  }

  async handleOnceStreaming() {
    const { id, body, headers } = await this.next();
    let waitForEmptyEventLoop = true;
    const scheduleNext = () => {
      resetBeforeExit();
      if (!waitForEmptyEventLoop) this.scheduleIteration();
      else beforeExit = () => setImmediate(() => this.scheduleIteration());
    };
    const streamingContext = {
      get callbackWaitsForEmptyEventLoop() {
        return waitForEmptyEventLoop;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        waitForEmptyEventLoop = value;
      },
    };
    const hwm = this.metadata.highWaterMark;
    const { request: responseStream, responseDone } = this.client.streamResponse(
      id,
      undefined,
      hwm ? { highWaterMark: hwm } : undefined,
    );
    const fail = (err, cb) => {
      logError('Invoke Error', err);
      failers.get(responseStream)(err, cb);
    };
    try {
      beforeExit = () => this.scheduleIteration();
      const ctx = attachEnvironmentData(streamingContext, headers);
      const result = this.handler(body ? JSON.parse(body) : {}, responseStream, ctx);
      if (!isPromise(result)) {
        fail('Streaming does not support non-async handlers.', scheduleNext);
        return;
      }
      if ((await result) !== undefined) console.warn('Streaming handlers ignore return values.');
      await responseDone;
      if (!responseStream.writableFinished) {
        fail('Response stream is not finished.', scheduleNext);
        return;
      }
      scheduleNext();
    } catch (err) {
      fail(err, scheduleNext);
    }
  }

  setErrorCallbacks(id) {
    this.errorCallbacks.uncaughtException = (error) => {
      this.client.postInvocationError(error, id, () => process.exit(129));
    };
    this.errorCallbacks.unhandledRejection = (error) => {
      this.client.postInvocationError(error, id, () => process.exit(128));
    };
  }

  setDefaultExitListener(id, markCompleted, isAsync) {
    // The event loop ran empty before the handler reported anything.
    beforeExit = () => {
      markCompleted();
      if (isAsync) {
        const error = new NodeJsExit();
        logError('Invoke Error', error);
        this.client.postInvocationError(error, id, () => this.scheduleIteration());
      } else {
        this.client.postInvocationResponse(null, id, () => this.scheduleIteration());
      }
    };
  }
}

async function main() {
  patchConsole();
  const address = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!address) fatal('start', new Error('AWS_LAMBDA_RUNTIME_API is not set'));
  const client = new RuntimeApiClient(address);
  const errorCallbacks = {
    uncaughtException: (error) => client.postInitError(error, () => process.exit(129)),
    unhandledRejection: (error) => client.postInitError(error, () => process.exit(128)),
  };
  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    errorCallbacks.uncaughtException(error);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const error = new UnhandledPromiseRejection(reason, promise);
    logError('Unhandled Promise Rejection', error);
    errorCallbacks.unhandledRejection(error);
  });
  process.on('beforeExit', () => beforeExit());

  const appRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  let metadata;
  try {
    handler = await loadHandler(appRoot, process.env._HANDLER ?? '');
    metadata = handlerMetadata(handler);
  } catch (error) {
    logError('Uncaught Exception', error);
    errorCallbacks.uncaughtException(error);
    return;
  }
  new Runtime(client, handler, metadata, errorCallbacks).scheduleIteration();
}

main();
