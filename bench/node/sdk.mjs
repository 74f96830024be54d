// Loads the official SDK (@trigger.dev/sdk 3.3.17) from tests/interop/node_modules, which
// `make setup` installs (npm ci with its lock file): the ESM entry of "@trigger.dev/sdk/v3", found
// through the package's own "exports" map, so bench/ needs no package.json of its own.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const INTEROP_DIR = join(here, "..", "..", "tests", "interop");

export function sdkEntry() {
  const require = createRequire(join(INTEROP_DIR, "package.json"));
  const pkgPath = require.resolve("@trigger.dev/sdk/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  const target = pkg.exports["./v3"].import.default;
  return { url: pathToFileURL(join(dirname(pkgPath), target)).href, version: pkg.version };
}

export async function loadSdk() {
  const { url, version } = sdkEntry();
  const sdk = await import(url);
  return { sdk, version };
}
