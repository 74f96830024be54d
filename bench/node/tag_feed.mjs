// A fresh user script with the official SDK: the time from starting it to the last run of a tag
// feed's snapshot. The driver runs it as `node --input-type=module --eval "<this file>" TAG N` from
// tests/interop, so that "@trigger.dev/sdk/v3" resolves exactly as in a user's project.
import { runs } from "@trigger.dev/sdk/v3";

const [tag, count] = process.argv.slice(-2);
const seen = new Set();
for await (const run of runs.subscribeToRunsWithTag(tag)) {
  seen.add(run.id);
  if (seen.size >= Number(count)) {
    process.stdout.write(`${seen.size} runs\n`);
    process.exit(0);
  }
}
