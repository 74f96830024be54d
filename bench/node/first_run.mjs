// A fresh user script with the official SDK: the time from starting it to its first yielded run.
// The driver runs it as `node --input-type=module --eval "<this file>" RUN_ID` from tests/interop,
// so that "@trigger.dev/sdk/v3" resolves exactly as in a user's project (no loader in between).
import { runs } from "@trigger.dev/sdk/v3";

for await (const run of runs.subscribeToRun(process.argv.at(-1))) {
  process.stdout.write(`${run.id} ${run.status}\n`);
  process.exit(0);
}
