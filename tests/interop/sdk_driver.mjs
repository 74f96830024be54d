#!/usr/bin/env node
// sdk_driver.mjs: runs the official Trigger.dev TypeScript SDK (@trigger.dev/sdk 3.3.17) for
// trigger-client's Python tests (tests/interop/node_sdk.py drives it).
//
// Usage: node sdk_driver.mjs <command> [args] [flags]
//
//   subscribe-run <runId> [--skip-columns a,b] [--max N] [--timeout-ms T]
//                 [--no-stop-on-completion] [--no-driver-stop] [--public-api]
//   subscribe-tag <tag[,tag2]> [--created-at 1h] [--skip-columns a,b] [--max N] [--timeout-ms T]
//                 [--public-api]
//   subscribe-batch <batchId> [--max N] [--timeout-ms T] [--public-api]
//   subscribe-run-streams <runId> [--chunks N] [--timeout-ms T]
//                 runs.subscribeToRun(runId).withStreams(); ends (unsubscribing) once a run with
//                 finishedAt and N stream chunks were printed
//   create-token --scopes '<json>' [--expiration 15m|<epoch seconds>]
//   retrieve <runId>
//   trigger <taskId> --payload '<tagged json>' [--options '<json>']
//   batch-trigger <taskId> --items '<json array of {payload, options?}>'
//   cancel <runId> | replay <runId>
//   list [--filters '<json>'] [--max N]
//   parse-packet --data '<string>' --data-type <mime>   (the SDK's own parsePacket, no server)
//   stringify-packet --value '<tagged json>'            (the SDK's own stringifyIO, no server)
//
// Global flags: --base-url URL and --access-token TOKEN (else the SDK reads TRIGGER_API_URL and
// TRIGGER_SECRET_KEY / TRIGGER_ACCESS_TOKEN), --trace-requests (print every HTTP request and response
// the SDK makes), --max-attempts N (REST retry attempts; the SDK default is 5), --timeout-ms T (every
// command: print {"event":"timeout"} and exit 0 after T ms).
//
// Exit codes: 0 ok (done or timeout), 1 error, 2 usage error, 3 fetch_error, 4 stalled.
//
// Output: one JSON object per line on stdout, each with an "event" key:
//   {"event":"part","type":"run","run":{...}}            a withStreams() run part
//   {"event":"part","type":<stream key>,"chunk":<plain>,"run":{...}}  a withStreams() chunk part
//   {"event":"run","run":{...}}            a run yielded by a subscription, returned by retrieve, or
//                                          listed (one line per run)
//   {"event":"ready","status":200}         the first response of a /realtime/ request has arrived
//                                          (subscriptions only; printed once)
//   {"event":"done","reason":"finished"|"max"|"ended","count":N}
//                                          finished = a run with finishedAt was yielded and the
//                                          driver unsubscribed; max = --max runs printed; ended =
//                                          the SDK's iterator ended by itself
//   {"event":"timeout","count":N}          --timeout-ms elapsed (exit code 0)
//   {"event":"stalled","count":N}          node's event loop ran empty while waiting: the SDK has
//                                          stopped fetching and its iterator can never settle
//                                          (exit code 4)
//   {"event":"fetch_error","name":..,"message":..,"status":..,"url":..,"body":..}
//                                          the SDK's onFetchError callback fired (its request loop
//                                          has stopped for good; the public iterator would hang);
//                                          exit code 3
//   {"event":"error","name":..,"message":..,"status":..,"code":..,"detail":..,"body":..}
//                                          a thrown error; exit code 1 (2 for a usage error)
//   {"event":"token","token":"...","header":{...},"claims":{...}}
//   {"event":"handle","handle":{...}}      tasks.trigger / tasks.batchTrigger result
//   {"event":"result","result":{...}}      runs.cancel / runs.replay result
//   {"event":"value","value":<tagged>}     parse-packet
//   {"event":"packet","data":..,"dataType":..}  stringify-packet
//   {"event":"request","method":..,"url":..,"headers":{..},"body":..}   (--trace-requests)
//   {"event":"response","method":..,"url":..,"status":..,"headers":{..}} (--trace-requests)
//   Authorization header values are printed as "Bearer <redacted>".
//
// JSON encoding. SDK-shaped data (a run's own fields, handles, errors, nested REST objects) is plain
// JSON as JSON.stringify writes it: Date -> ISO string with "Z", undefined fields omitted, an
// invalid Date -> null. Only BigInt gets a tag there ({"$bigint":"123"}) so output never crashes.
// User data, i.e. a run's payload, output and metadata and the parse-packet value, is TAGGED so
// that what superjson revived can be compared exactly:
//   Date                   {"$date": "2024-01-02T03:04:05.678Z"}   (invalid Date: {"$date": null})
//   BigInt                 {"$bigint": "123"}
//   Set                    {"$set": [<tagged>, ...]}               (insertion order)
//   Map                    {"$map": [[<tagged key>, <tagged value>], ...]}
//   undefined              {"$undefined": true}   (as an object value or array element)
//   NaN, +-Infinity, -0    {"$number": "NaN" | "Infinity" | "-Infinity" | "-0"}
//   RegExp                 {"$regexp": "/source/flags"}
//   Error                  {"$error": {"name": "...", "message": "..."}}
//   URL                    {"$url": "https://..."}
//   Buffer / Uint8Array    {"$bytes": [0, 255, ...]}
//   other typed arrays     {"$typedarray": {"type": "Int32Array", "values": [...]}}
//   Symbol                 {"$symbol": "description"}
//   function               {"$function": "name"}
//   plain object whose only key is one of the tag names above or "$object":
//                          {"$object": {<key>: <tagged value>}}   (escape, so tags stay unambiguous)
// Everything else is plain JSON (objects, arrays, strings, finite numbers, booleans, null).
// The same tags are accepted as input by --payload, --items and --value (decoded to JS values first).

import process from "node:process";

const EXIT_OK = 0;
const EXIT_ERROR = 1;
const EXIT_USAGE = 2;
const EXIT_FETCH_ERROR = 3;
const EXIT_STALLED = 4;

const TAG_NAMES = new Set([
  "$date",
  "$bigint",
  "$set",
  "$map",
  "$undefined",
  "$number",
  "$regexp",
  "$error",
  "$url",
  "$bytes",
  "$typedarray",
  "$symbol",
  "$function",
  "$object",
]);

const BOOLEAN_FLAGS = new Set([
  "trace-requests",
  "public-api",
  "no-stop-on-completion",
  "no-driver-stop",
]);

// ---------------------------------------------------------------------------------------------
// Output

let exiting = false;

function writeLine(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function emit(obj) {
  if (exiting) return;
  writeLine(obj);
}

function finish(code) {
  if (exiting) return;
  exiting = true;
  // Pipes are synchronous on Linux; the callback makes sure the last line is out anyway.
  process.stdout.write("", () => process.exit(code));
}

function errorEvent(err, extra = {}) {
  const event = { event: "error", name: errorName(err), message: String(err?.message ?? err) };
  if (err && typeof err === "object") {
    if (err.status !== undefined) event.status = err.status;
    if (err.code !== undefined) event.code = err.code;
    // ApiError.error is the response body's "error" field; ApiSchemaValidationError has rawBody.
    if (err.error !== undefined) event.detail = plain(err.error);
    if (err.rawBody !== undefined) event.body = plain(err.rawBody);
  }
  return { ...event, ...extra };
}

function errorName(err) {
  if (!err || typeof err !== "object") return typeof err;
  // MissingHeadersError and friends do not set .name; the class name says more.
  const ctor = err.constructor?.name;
  if (err.name && err.name !== "Error") return err.name;
  return ctor && ctor !== "Object" ? ctor : (err.name ?? "Error");
}

class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = "UsageError";
  }
}

// ---------------------------------------------------------------------------------------------
// JSON encoding (see the header)

function isPlainObject(value) {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function encodeNumber(n) {
  if (Number.isNaN(n)) return { $number: "NaN" };
  if (n === Infinity) return { $number: "Infinity" };
  if (n === -Infinity) return { $number: "-Infinity" };
  if (Object.is(n, -0)) return { $number: "-0" };
  return n;
}

function tagged(value) {
  if (value === undefined) return { $undefined: true };
  if (value === null) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return encodeNumber(value);
    case "bigint":
      return { $bigint: value.toString() };
    case "symbol":
      return { $symbol: value.description ?? null };
    case "function":
      return { $function: value.name ?? "" };
    default:
      break;
  }
  if (value instanceof Date) {
    return { $date: Number.isNaN(value.getTime()) ? null : value.toISOString() };
  }
  if (Array.isArray(value)) {
    const out = [];
    for (let i = 0; i < value.length; i++) out.push(tagged(value[i]));
    return out;
  }
  if (value instanceof Set) return { $set: [...value].map(tagged) };
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [tagged(k), tagged(v)]) };
  if (value instanceof RegExp) return { $regexp: String(value) };
  if (value instanceof URL) return { $url: value.href };
  if (value instanceof Error) return { $error: { name: value.name, message: value.message } };
  if (value instanceof Uint8Array) return { $bytes: [...value] };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return {
      $typedarray: {
        type: value.constructor.name,
        values: [...value].map((v) => (typeof v === "bigint" ? { $bigint: v.toString() } : encodeNumber(v))),
      },
    };
  }
  const out = {};
  for (const key of Object.keys(value)) out[key] = tagged(value[key]);
  const keys = Object.keys(out);
  if (keys.length === 1 && TAG_NAMES.has(keys[0])) return { $object: out };
  return out;
}

// Plain JSON for SDK-shaped data: what JSON.stringify would write, but BigInt-safe.
function plain(value) {
  if (value === undefined) return undefined;
  if (value === null) return null;
  switch (typeof value) {
    case "bigint":
      return { $bigint: value.toString() };
    case "number":
      return Number.isFinite(value) ? value : null;
    case "string":
    case "boolean":
      return value;
    case "symbol":
    case "function":
      return undefined;
    default:
      break;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((v) => plain(v) ?? null);
  if (typeof value.toJSON === "function") return plain(value.toJSON());
  const out = {};
  for (const key of Object.keys(value)) {
    const v = plain(value[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

const USER_DATA_FIELDS = new Set(["payload", "output", "metadata"]);

function serializeRun(run) {
  const out = {};
  for (const key of Object.keys(run)) {
    const value = run[key];
    if (value === undefined) continue;
    out[key] = USER_DATA_FIELDS.has(key) ? tagged(value) : plain(value);
  }
  return out;
}

// Tagged JSON -> JS values (inverse of tagged()).
function untag(value) {
  if (Array.isArray(value)) return value.map(untag);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && TAG_NAMES.has(keys[0])) {
    const [tag] = keys;
    const v = value[tag];
    switch (tag) {
      case "$date":
        return new Date(v === null ? NaN : v);
      case "$bigint":
        return BigInt(v);
      case "$set":
        return new Set(v.map(untag));
      case "$map":
        return new Map(v.map(([k, x]) => [untag(k), untag(x)]));
      case "$undefined":
        return undefined;
      case "$number":
        return Number(v);
      case "$regexp": {
        const m = /^\/(.*)\/([a-z]*)$/s.exec(v);
        return m ? new RegExp(m[1], m[2]) : new RegExp(v);
      }
      case "$error": {
        const err = new Error(v.message);
        if (v.name) err.name = v.name;
        return err;
      }
      case "$url":
        return new URL(v);
      case "$bytes":
        return Buffer.from(v);
      case "$typedarray":
        return new globalThis[v.type](v.values.map(untag));
      case "$symbol":
        return Symbol(v ?? undefined);
      case "$function":
        throw new UsageError("functions cannot be passed as input");
      case "$object": {
        const out = {};
        for (const k of Object.keys(v)) out[k] = untag(v[k]);
        return out;
      }
      default:
        break;
    }
  }
  const out = {};
  for (const k of keys) out[k] = untag(value[k]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const positionals = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (BOOLEAN_FLAGS.has(name)) {
        flags[name] = eq === -1 ? true : !["0", "false", "no"].includes(arg.slice(eq + 1));
      } else if (eq !== -1) {
        flags[name] = arg.slice(eq + 1);
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
        flags[name] = argv[++i];
      }
    } else {
      positionals.push(arg);
    }
  }
  return { command: positionals.shift(), positionals, flags };
}

function jsonFlag(flags, name, fallback) {
  if (flags[name] === undefined) return fallback;
  try {
    return JSON.parse(flags[name]);
  } catch (err) {
    throw new UsageError(`--${name} is not valid JSON: ${err.message}`);
  }
}

function intFlag(flags, name) {
  if (flags[name] === undefined) return undefined;
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer`);
  return n;
}

function positional(positionals, index, what) {
  const value = positionals[index];
  if (value === undefined || value === "") throw new UsageError(`missing ${what}`);
  return value;
}

function csv(value) {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

// ---------------------------------------------------------------------------------------------
// fetch wrapper: installed before the SDK is imported

function headersToObject(headers) {
  const out = {};
  if (!headers) return out;
  const entries =
    headers instanceof Headers
      ? [...headers.entries()]
      : Array.isArray(headers)
        ? headers
        : Object.entries(headers);
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    out[key] = key === "authorization" ? redact(String(v)) : String(v);
  }
  return out;
}

function redact(value) {
  return /^Bearer /i.test(value) ? "Bearer <redacted>" : "<redacted>";
}

function installFetchWrapper({ trace, realtimeParams, onRealtimeResponse }) {
  const original = globalThis.fetch;
  globalThis.fetch = async function tracedFetch(input, init) {
    let url = input instanceof Request ? input.url : String(input);
    let isRealtime = false;
    try {
      const parsed = new URL(url);
      isRealtime = parsed.pathname.startsWith("/realtime/");
      if (isRealtime && realtimeParams.length > 0) {
        // 3.3.17 has no skipColumns/createdAt options: the driver adds them to every shape request.
        for (const [k, v] of realtimeParams) parsed.searchParams.set(k, v);
        parsed.searchParams.sort();
        url = parsed.toString();
        input = input instanceof Request ? new Request(url, input) : url;
      }
    } catch {
      // not a URL we understand: pass it through untouched
    }
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    if (trace) {
      const headers = headersToObject(input instanceof Request ? input.headers : undefined);
      Object.assign(headers, headersToObject(init?.headers));
      const event = { event: "request", method, url, headers };
      if (typeof init?.body === "string") event.body = init.body;
      emit(event);
    }
    let response;
    try {
      response = await original(input, init);
    } catch (err) {
      if (trace) emit({ event: "response", method, url, error: errorName(err), message: String(err?.message ?? err) });
      throw err;
    }
    if (trace) {
      emit({
        event: "response",
        method,
        url,
        status: response.status,
        headers: headersToObject(response.headers),
      });
    }
    if (isRealtime) onRealtimeResponse(response);
    return response;
  };
}

// ---------------------------------------------------------------------------------------------
// Commands

async function subscribe(kind, ctx) {
  const { flags, positionals, sdk, core } = ctx;
  const max = intFlag(flags, "max");
  const publicApi = Boolean(flags["public-api"]);
  const stopOnCompletion = !flags["no-stop-on-completion"];
  const driverStops = kind === "run" && stopOnCompletion && !flags["no-driver-stop"];
  let fetchError;
  let subscription;

  const onFetchError = (err) => {
    if (fetchError) return;
    fetchError = err;
    // The SDK's loop has stopped; let rows already published reach the iterator, then report.
    setTimeout(() => {
      emit({
        event: "fetch_error",
        name: errorName(err),
        message: String(err?.message ?? err),
        ...(err?.status !== undefined ? { status: err.status } : {}),
        ...(err?.url !== undefined ? { url: err.url } : {}),
        ...(err?.json !== undefined ? { body: plain(err.json) } : err?.text !== undefined ? { body: err.text } : {}),
      });
      subscription?.unsubscribe();
      finish(EXIT_FETCH_ERROR);
    }, 100);
  };

  if (kind === "run") {
    const runId = positional(positionals, 0, "runId");
    subscription = publicApi
      ? sdk.runs.subscribeToRun(runId, { stopOnCompletion })
      : core.apiClientManager
          .clientOrThrow()
          .subscribeToRun(runId, { closeOnComplete: stopOnCompletion, onFetchError });
  } else if (kind === "tag") {
    const tags = csv(positional(positionals, 0, "tag"));
    const tag = tags.length === 1 ? tags[0] : tags;
    subscription = publicApi
      ? sdk.runs.subscribeToRunsWithTag(tag)
      : core.apiClientManager.clientOrThrow().subscribeToRunsWithTag(tag, { onFetchError });
  } else {
    const batchId = positional(positionals, 0, "batchId");
    subscription = publicApi
      ? sdk.runs.subscribeToBatch(batchId)
      : core.apiClientManager.clientOrThrow().subscribeToBatch(batchId, { onFetchError });
  }
  ctx.onTimeout = () => subscription.unsubscribe();

  // Stopping: unsubscribe() and let the iterator end by itself. Leaving the loop early instead
  // (break/return) makes 3.3.17 throw an uncaught "Invalid state: Controller is already closed"
  // from its abort handler (createAsyncIterableReadable closes a stream the break cancelled).
  let count = 0;
  let stopReason;
  const stop = (reason) => {
    stopReason = reason;
    subscription.unsubscribe();
    // Safety net: if the iterator does not end promptly, report and exit anyway.
    setTimeout(() => {
      emit({ event: "done", reason, count, forced: true });
      finish(EXIT_OK);
    }, 2000).unref();
  };
  for await (const run of subscription) {
    if (exiting || stopReason) continue; // drain what was queued before the abort
    emit({ event: "run", run: serializeRun(run) });
    count++;
    ctx.count = count;
    if (driverStops && run.finishedAt) stop("finished");
    else if (max !== undefined && count >= max) stop("max");
  }
  if (fetchError) return new Promise(() => {}); // the fetch_error timer reports and exits
  emit({ event: "done", reason: stopReason ?? "ended", count });
  return EXIT_OK;
}

async function subscribeRunStreams(ctx) {
  const { flags, positionals, sdk } = ctx;
  const runId = positional(positionals, 0, "runId");
  const expected = intFlag(flags, "chunks") ?? 0;
  const subscription = sdk.runs.subscribeToRun(runId);
  ctx.onTimeout = () => subscription.unsubscribe();
  let chunks = 0;
  let finished = false;
  let stopped = false;
  let count = 0;
  // Stopping: unsubscribe() and drain, as in subscribe() (leaving the loop early throws in 3.3.17).
  for await (const part of subscription.withStreams()) {
    if (exiting || stopped) continue;
    if (part.type === "run") {
      emit({ event: "part", type: "run", run: serializeRun(part.run) });
      if (part.run.finishedAt) finished = true;
    } else {
      emit({ event: "part", type: part.type, chunk: plain(part.chunk), run: serializeRun(part.run) });
      chunks++;
    }
    count++;
    ctx.count = count;
    if (finished && chunks >= expected) {
      stopped = true;
      subscription.unsubscribe();
      setTimeout(() => {
        emit({ event: "done", reason: "finished", count, forced: true });
        finish(EXIT_OK);
      }, 2000).unref();
    }
  }
  emit({ event: "done", reason: stopped ? "finished" : "ended", count });
  return EXIT_OK;
}

function decodeJwtPart(part) {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return null;
  }
}

async function createToken({ flags, sdk }) {
  const scopes = jsonFlag(flags, "scopes", undefined);
  const options = {};
  if (scopes !== undefined) options.scopes = scopes;
  if (flags.expiration !== undefined) {
    const raw = flags.expiration;
    options.expirationTime = /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  const token = await sdk.auth.createPublicToken(options);
  const [header, claims] = token.split(".");
  emit({ event: "token", token, header: decodeJwtPart(header), claims: decodeJwtPart(claims) });
  return EXIT_OK;
}

function requestOptions(flags) {
  const maxAttempts = intFlag(flags, "max-attempts");
  return maxAttempts === undefined ? undefined : { retry: { maxAttempts } };
}

async function retrieve({ flags, positionals, sdk }) {
  const run = await sdk.runs.retrieve(positional(positionals, 0, "runId"), requestOptions(flags));
  emit({ event: "run", run: serializeRun(run) });
  return EXIT_OK;
}

async function trigger({ flags, positionals, sdk }) {
  const taskId = positional(positionals, 0, "taskId");
  const payload = untag(jsonFlag(flags, "payload", { $undefined: true }));
  const options = untag(jsonFlag(flags, "options", { $undefined: true }));
  const handle = await sdk.tasks.trigger(taskId, payload, options, requestOptions(flags));
  emit({ event: "handle", handle: plain(handle) });
  return EXIT_OK;
}

async function batchTrigger({ flags, positionals, sdk }) {
  const taskId = positional(positionals, 0, "taskId");
  const items = untag(jsonFlag(flags, "items", undefined));
  if (!Array.isArray(items)) throw new UsageError("--items must be a JSON array");
  const options = untag(jsonFlag(flags, "options", { $undefined: true }));
  const handle = await sdk.tasks.batchTrigger(taskId, items, options, requestOptions(flags));
  emit({ event: "handle", handle: plain(handle) });
  return EXIT_OK;
}

async function cancel({ flags, positionals, sdk }) {
  const result = await sdk.runs.cancel(positional(positionals, 0, "runId"), requestOptions(flags));
  emit({ event: "result", result: plain(result) });
  return EXIT_OK;
}

async function replay({ flags, positionals, sdk }) {
  const result = await sdk.runs.replay(positional(positionals, 0, "runId"), requestOptions(flags));
  emit({ event: "result", result: plain(result) });
  return EXIT_OK;
}

async function list(ctx) {
  const { flags, sdk } = ctx;
  const filters = untag(jsonFlag(flags, "filters", {}));
  const max = intFlag(flags, "max");
  const options = requestOptions(flags);
  const page = options ? sdk.runs.list(filters, options) : sdk.runs.list(filters);
  let count = 0;
  for await (const run of page) {
    emit({ event: "run", run: serializeRun(run) });
    count++;
    ctx.count = count;
    if (max !== undefined && count >= max) {
      emit({ event: "done", reason: "max", count });
      return EXIT_OK;
    }
  }
  emit({ event: "done", reason: "ended", count });
  return EXIT_OK;
}

async function parsePacketCommand({ flags }) {
  if (flags["data-type"] === undefined) throw new UsageError("--data-type is required");
  const { parsePacket } = await import("@trigger.dev/core/v3/utils/ioSerialization");
  const value = await parsePacket({ data: flags.data, dataType: flags["data-type"] });
  emit({ event: "value", value: tagged(value) });
  return EXIT_OK;
}

async function stringifyPacketCommand({ flags }) {
  const { stringifyIO } = await import("@trigger.dev/core/v3/utils/ioSerialization");
  const value = untag(jsonFlag(flags, "value", { $undefined: true }));
  const packet = await stringifyIO(value);
  emit({ event: "packet", ...plain(packet) });
  return EXIT_OK;
}

const COMMANDS = {
  "subscribe-run": (ctx) => subscribe("run", ctx),
  "subscribe-tag": (ctx) => subscribe("tag", ctx),
  "subscribe-batch": (ctx) => subscribe("batch", ctx),
  "subscribe-run-streams": (ctx) => subscribeRunStreams(ctx),
  "create-token": createToken,
  retrieve,
  trigger,
  "batch-trigger": batchTrigger,
  cancel,
  replay,
  list,
  "parse-packet": parsePacketCommand,
  "stringify-packet": stringifyPacketCommand,
};

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  process.on("uncaughtException", (err) => {
    emit(errorEvent(err, { uncaught: true }));
    finish(EXIT_ERROR);
  });
  process.on("unhandledRejection", (err) => {
    emit(errorEvent(err, { uncaught: true }));
    finish(EXIT_ERROR);
  });

  const ctx = { count: 0, onTimeout: undefined };
  try {
    Object.assign(ctx, parseArgs(process.argv.slice(2)));
    const handler = COMMANDS[ctx.command];
    if (!handler) {
      throw new UsageError(
        `unknown command ${JSON.stringify(ctx.command ?? "")}; one of: ${Object.keys(COMMANDS).join(", ")}`,
      );
    }
    const { flags } = ctx;

    const realtimeParams = [];
    if (flags["skip-columns"] !== undefined) realtimeParams.push(["skipColumns", csv(flags["skip-columns"]).join(",")]);
    if (flags["created-at"] !== undefined) realtimeParams.push(["createdAt", flags["created-at"]]);
    let ready = false;
    installFetchWrapper({
      trace: Boolean(flags["trace-requests"]),
      realtimeParams,
      onRealtimeResponse: (response) => {
        if (ready) return;
        ready = true;
        emit({ event: "ready", status: response.status });
      },
    });

    const timeoutMs = intFlag(flags, "timeout-ms");
    if (timeoutMs !== undefined && timeoutMs > 0) {
      setTimeout(() => {
        try {
          ctx.onTimeout?.();
        } catch {
          // unsubscribing is best effort
        }
        emit({ event: "timeout", count: ctx.count });
        finish(EXIT_OK);
      }, timeoutMs).unref(); // unref'd, so that a stalled SDK is reported at once (beforeExit)
    }
    // Node's event loop ran empty while the command was still waiting: the SDK has nothing in
    // flight and nothing scheduled, so its iterator can never settle (e.g. after a 4xx through
    // the public API, or 30 s after a finished run in 3.3.17). Without this, node would exit
    // with code 13 ("unsettled top-level await").
    process.on("beforeExit", () => {
      if (exiting) return;
      emit({ event: "stalled", count: ctx.count });
      finish(EXIT_STALLED);
    });

    // Imported only now, so that the SDK sees the wrapped fetch whenever it looks it up.
    ctx.sdk = await import("@trigger.dev/sdk/v3");
    ctx.core = await import("@trigger.dev/core/v3");
    if (flags["base-url"] !== undefined || flags["access-token"] !== undefined) {
      const config = {};
      if (flags["base-url"] !== undefined) config.baseURL = flags["base-url"];
      if (flags["access-token"] !== undefined) config.accessToken = flags["access-token"];
      ctx.sdk.configure(config);
    }

    const code = await handler(ctx);
    finish(code);
  } catch (err) {
    emit(errorEvent(err));
    finish(err instanceof UsageError ? EXIT_USAGE : EXIT_ERROR);
  }
}

await main();
