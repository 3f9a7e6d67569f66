// The one bundler: scenario entry files (scenarios/*.ts; the framework in scenarios/framework/, the scenario
// descriptors in scenarios/suite/) into dist/<name>.js, or with `bench` the micro-benchmarks (bench/js/*.ts) into
// bench/dist/. k6 runs ES modules natively; everything under k6 (k6/http, k6/x/valora, …) stays an external import.
//
// Scenarios first: the suite's descriptors are evaluated in Node, with k6's modules stubbed, to write
// dist/catalog.json (invariants, variables, scenarios, the fault matrix); the names of every invariant are then
// written into each bundle, since a scenario's bundle holds only its own modules.
import { build } from "esbuild";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const bench = process.argv[2] === "bench";
const entryDir = bench ? "bench/js" : "scenarios";
const outdir = bench ? "bench/dist" : "dist";
const entryPoints = readdirSync(entryDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .map((f) => join(entryDir, f));
if (entryPoints.length === 0) {
  console.error(`bundle: no entry files (*.ts) in ${entryDir}/`);
  process.exit(1);
}

/** Resolves every k6 module to a stand-in that accepts anything, so descriptors can be read outside k6. */
const k6Stub = {
  name: "k6-stub",
  setup(b) {
    b.onResolve({ filter: /^k6(\/.*)?$/ }, (a) => ({ path: a.path, namespace: "k6-stub" }));
    b.onLoad({ filter: /.*/, namespace: "k6-stub" }, () => ({
      contents: `
        const any = new Proxy(function () {}, {
          get: (_, k) => (k === "then" ? undefined : any),
          apply: () => any,
          construct: () => any,
        });
        export default any;
        export const check = any, sleep = any, group = any, fail = any, randomBytes = any;
        export const Counter = any, Trend = any, Rate = any, Gauge = any;
        export const expectedStatuses = any;
      `,
      loader: "js",
    }));
  },
};

/**
 * "valora-k6:suite": every module of scenarios/suite/ by file name, so the suite (scenarios/suite/index.ts) finds
 * every descriptor without a hand-kept list.
 */
const suiteModules = {
  name: "valora-k6-suite",
  setup(b) {
    b.onResolve({ filter: /^valora-k6:suite$/ }, () => ({ path: "suite", namespace: "valora-k6" }));
    b.onLoad({ filter: /.*/, namespace: "valora-k6" }, () => {
      const files = readdirSync("scenarios/suite")
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "index.ts")
        .sort();
      const ids = files.map((f) => f.replace(/\.ts$/, ""));
      return {
        contents:
          ids.map((id, i) => `import * as m${i} from "./${id}";`).join("\n") +
          `\nexport default { ${ids.map((id, i) => `${JSON.stringify(id)}: m${i}`).join(", ")} };\n`,
        resolveDir: join(process.cwd(), "scenarios", "suite"),
        loader: "ts",
      };
    });
  },
};

let define = {};
if (!bench) {
  const suite = await build({
    entryPoints: [join(entryDir, "suite", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    plugins: [k6Stub, suiteModules],
    // The stub has no named exports for k6/x/valora's functions; nothing calls them while the descriptors load.
    logLevel: "error",
  });
  globalThis.__ENV = {};
  const mod = await import(`data:text/javascript;base64,${Buffer.from(suite.outputFiles[0].text).toString("base64")}`);
  const catalog = mod.catalogJson();
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, "catalog.json"), `${catalog}\n`);
  console.log(`bundle: ${outdir}/catalog.json`);
  define = { __VALORA_K6_INVARIANTS__: JSON.stringify(Object.keys(JSON.parse(catalog).invariants)) };
}

await build({
  entryPoints,
  outdir,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  external: ["k6", "k6/*"],
  plugins: [suiteModules],
  define,
  sourcemap: true,
  minify: false,
  keepNames: true,
  logLevel: "warning",
});
console.log(`bundle: ${entryPoints.length} ${bench ? "benchmark scripts" : "scenarios"} -> ${outdir}/`);
