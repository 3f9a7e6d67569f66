// Random test data for requests (not for ids that must stay unique: k6/x/valora's generators do that).
import { randomBytes } from "k6/crypto";

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  return Array.from(new Uint8Array(randomBytes(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}
