// Bundles the micro-benchmark scripts (bench/js/*.ts) into bench/dist/<name>.js, as build/bundle.mjs bundles the
// scenarios: ESM, everything under k6 external. js-sha256 is bundled in, as a pure-JavaScript dependency would be.
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entryDir = join(here, "js");
const entryPoints = readdirSync(entryDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .map((f) => join(entryDir, f));

await build({
  entryPoints,
  outdir: join(here, "dist"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  external: ["k6", "k6/*"],
  sourcemap: true,
  minify: false,
  keepNames: true,
  logLevel: "warning",
});
console.log(`bench bundle: ${entryPoints.length} scripts -> bench/dist/`);
