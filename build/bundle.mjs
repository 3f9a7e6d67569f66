// Bundles every scenario entry file (scenarios/*.ts; shared code lives in scenarios/lib/) into dist/<name>.js.
// k6 runs ES modules natively; everything under k6 (k6/http, k6/x/valora, …) stays an external import.
import { build } from "esbuild";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const entryDir = "scenarios";
const entryPoints = readdirSync(entryDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .map((f) => join(entryDir, f));

if (entryPoints.length === 0) {
  console.error(`bundle: no scenario entry files (*.ts) in ${entryDir}/`);
  process.exit(1);
}

await build({
  entryPoints,
  outdir: "dist",
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
console.log(`bundle: ${entryPoints.length} scenarios -> dist/`);

// The invariant catalogue, the scenario lists and the fault matrix, for the Go tests: evaluated here, in Node.
const catalog = await build({
  entryPoints: [join(entryDir, "lib", "catalog.ts")],
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "warning",
});
const mod = await import(`data:text/javascript;base64,${Buffer.from(catalog.outputFiles[0].text).toString("base64")}`);
mkdirSync("dist", { recursive: true });
writeFileSync("dist/catalog.json", `${mod.catalogJson()}\n`);
console.log("bundle: dist/catalog.json");
