// The build's virtual module: every module of scenarios/suite/, by file name (build/bundle.mjs writes it).
declare module "valora-k6:suite" {
  const modules: Record<string, Record<string, unknown>>;
  export default modules;
}
