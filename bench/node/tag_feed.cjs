// tag_feed.mjs in CommonJS: `require` loads the SDK's CommonJS build, which node loads faster
// than its ES modules. The driver runs `node --eval "<this file>" TAG N` from tests/interop.
const { runs } = require("@trigger.dev/sdk/v3");

const [tag, count] = process.argv.slice(-2);
const seen = new Set();
(async () => {
  for await (const run of runs.subscribeToRunsWithTag(tag)) {
    seen.add(run.id);
    if (seen.size >= Number(count)) {
      process.stdout.write(`${seen.size} runs\n`);
      process.exit(0);
    }
  }
})();
