// first_run.mjs in CommonJS: `require` loads the SDK's CommonJS build, which node loads faster
// than its ES modules. The driver runs `node --eval "<this file>" RUN_ID` from tests/interop.
const { runs } = require("@trigger.dev/sdk/v3");

(async () => {
  for await (const run of runs.subscribeToRun(process.argv.at(-1))) {
    process.stdout.write(`${run.id} ${run.status}\n`);
    process.exit(0);
  }
})();
