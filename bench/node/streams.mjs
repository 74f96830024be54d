#!/usr/bin/env node
// The official SDK (@trigger.dev/sdk 3.3.17) reading a run's realtime stream for
// `python -m bench.streams`: runs.subscribeToRun(id).withStreams(), the same protocol as
// bench/streams_client.py (hello, got (latency), done with wall and CPU seconds from the first
// chunk to the last).
//
//   node bench/node/streams.mjs throughput|latency --run ID --count N
import process from "node:process";
import { loadSdk } from "./sdk.mjs";

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function cpuSeconds() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

const [mode, ...rest] = process.argv.slice(2);
const flags = {};
for (let i = 0; i < rest.length; i += 2) flags[rest[i].replace(/^--/, "")] = rest[i + 1];
const count = Number(flags.count);
const latency = mode === "latency";

const { sdk } = await loadSdk();
emit({ event: "hello" });
const subscription = sdk.runs.subscribeToRun(flags.run);
let seen = 0;
let start;
let done = false;
for await (const part of subscription.withStreams()) {
  if (done || part.type === "run") continue;
  const now = (performance.timeOrigin + performance.now()) / 1000;
  const chunk = part.chunk;
  if (chunk.i < 0) {
    start = [performance.now(), cpuSeconds()];
    emit({ event: "ready" });
    continue;
  }
  seen++;
  if (latency) emit({ event: "got", i: chunk.i, lat: now - chunk.t });
  if (seen >= count) {
    done = true;
    emit({
      event: "done",
      wall: (performance.now() - start[0]) / 1000,
      cpu: cpuSeconds() - start[1],
      count: seen,
    });
    subscription.unsubscribe();
    process.stdout.write("", () => process.exit(0));
  }
}
