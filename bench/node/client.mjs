#!/usr/bin/env node
// The official SDK (@trigger.dev/sdk 3.3.17) as a benchmark client: the twin of bench/_client.py,
// with the same scenarios, arguments and stdout protocol (see that file's docstring).
//
//   node bench/node/client.mjs steady --run ID --count N
//   node bench/node/client.mjs fanout --ids FILE --rounds R [--timeout S]
//   node bench/node/client.mjs tags --tag T --count N
//
// The SDK reads TRIGGER_API_URL and TRIGGER_SECRET_KEY from the environment.
import { readFileSync } from "node:fs";
import process from "node:process";
import { loadSdk } from "./sdk.mjs";

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function exit(code) {
  process.stdout.write("", () => process.exit(code));
}

function wallSeconds() {
  return (performance.timeOrigin + performance.now()) / 1000;
}

function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function peakRssKb() {
  return process.resourceUsage().maxRSS;
}

function rssKb() {
  return Math.round(process.memoryUsage.rss() / 1024);
}

function parseArgs(argv) {
  const [scenario, ...rest] = argv;
  const flags = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!rest[i].startsWith("--")) throw new Error(`unexpected argument ${rest[i]}`);
    flags[rest[i].slice(2)] = rest[i + 1];
  }
  return { scenario, flags };
}

function pct(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))];
}

async function steady(runs, flags) {
  const count = Number(flags.count);
  let cpu0 = 0;
  let wall0 = 0;
  const subscription = runs.subscribeToRun(flags.run);
  for await (const run of subscription) {
    const now = wallSeconds();
    const n = Number(run.metadata.n);
    const t = Number(run.metadata.t);
    if (n === 0) {
      cpu0 = cpuSeconds();
      wall0 = performance.now();
    }
    process.stdout.write(`${n} ${(now - t).toFixed(6)}\n`);
    if (n >= count) {
      emit({
        event: "done",
        cpu: cpuSeconds() - cpu0,
        wall: (performance.now() - wall0) / 1000,
        peak_rss_kb: peakRssKb(),
        updates: count,
      });
      // Leaving the loop (break/return) makes 3.3.17 throw an uncaught "Controller is already
      // closed" (tests/interop/README.md); stdout writes to a pipe are synchronous, so exit now.
      process.exit(0);
    }
  }
}

async function fanout(runs, flags) {
  const ids = readFileSync(flags.ids, "utf8")
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  const rounds = Number(flags.rounds);
  const timeoutMs = Number(flags.timeout ?? 120) * 1000;
  const k = ids.length;
  const baseline = rssKb();
  const seen = ids.map(() => new Set());
  const counts = new Array(rounds + 1).fill(0);
  const firstAt = new Array(rounds + 1).fill(0);
  const latencies = Array.from({ length: rounds + 1 }, () => []);
  let duplicates = 0;
  let failed = 0;
  let firstError = null;
  const cpu0 = cpuSeconds();

  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    let missed = 0;
    for (const s of seen) missed += rounds + 1 - s.size;
    emit({
      event: "done",
      k,
      cpu: cpuSeconds() - cpu0,
      baseline_rss_kb: baseline,
      peak_rss_kb: peakRssKb(),
      missed,
      delivered: counts,
      duplicates,
      failed_tasks: failed,
      first_error: firstError,
      lat_p50: latencies.map((x) => pct(x, 50)),
      lat_p99: latencies.map((x) => pct(x, 99)),
    });
    exit(0);
  };

  const follow = async (index, runId) => {
    try {
      for await (const run of runs.subscribeToRun(runId)) {
        const now = wallSeconds();
        const n = Number(run.metadata.n);
        const t = Number(run.metadata.t);
        if (seen[index].has(n) || n > rounds) {
          duplicates++;
          continue;
        }
        seen[index].add(n);
        latencies[n].push(now - t);
        counts[n]++;
        if (counts[n] === 1) firstAt[n] = now;
        if (counts[n] === k) {
          emit({
            event: n === 0 ? "initial" : "round",
            r: n,
            first: firstAt[n],
            last: now,
            rss_kb: rssKb(),
          });
        }
      }
    } catch (err) {
      failed++;
      firstError ??= String(err?.stack ?? err).slice(0, 500);
    }
  };

  // The driver writes a line on stdin when it wants the final report (or closes stdin).
  process.stdin.on("data", report);
  process.stdin.on("end", report);
  emit({ event: "start", at: wallSeconds(), baseline_rss_kb: baseline, k });
  setTimeout(report, timeoutMs).unref();
  // Keep the process alive while subscriptions wait (a stalled SDK must not exit early).
  const keepAlive = setInterval(() => {}, 1000);
  await Promise.all(ids.map((id, i) => follow(i, id)));
  clearInterval(keepAlive);
}

async function tags(runs, flags) {
  const count = Number(flags.count);
  const seen = new Set();
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  const subscription = runs.subscribeToRunsWithTag(flags.tag);
  for await (const run of subscription) {
    seen.add(run.id);
    if (seen.size >= count) {
      emit({
        event: "done",
        seconds: (performance.now() - t0) / 1000,
        cpu: cpuSeconds() - cpu0,
        runs: seen.size,
        peak_rss_kb: peakRssKb(),
      });
      process.exit(0);
    }
  }
}

async function main() {
  process.on("uncaughtException", (err) => {
    emit({ event: "error", message: String(err?.stack ?? err).slice(0, 2000) });
    exit(1);
  });
  process.on("unhandledRejection", (err) => {
    emit({ event: "error", message: String(err?.stack ?? err).slice(0, 2000) });
    exit(1);
  });
  const { scenario, flags } = parseArgs(process.argv.slice(2));
  const { sdk, version } = await loadSdk();
  emit({ event: "hello", pid: process.pid, sdk: version });
  const handlers = { steady, fanout, tags };
  const handler = handlers[scenario];
  if (!handler) throw new Error(`unknown scenario ${scenario}`);
  await handler(sdk.runs, flags);
}

await main();
