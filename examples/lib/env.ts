// Reads the variables the examples need, failing at init (before any VU starts) with the name of what is missing.
// `make standin` and `.bin/valora-standin -env-file standin.env` write all of them for a local stand-in.
export function env(name: string): string {
  const value = __ENV[name];
  if (value === undefined || value.trim() === "") {
    throw new Error(`${name} is not set (examples/README.md says where each example's variables come from)`);
  }
  return value.trim();
}

/** The base URL without a trailing slash, so that paths can be appended. */
export function baseUrl(): string {
  return env("BASE_URL").replace(/\/+$/, "");
}
