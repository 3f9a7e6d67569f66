// Baseline: Valora's original ingest_load, with the key its helpers build (Date.now() and Math.random()).
import { originalKey, postUsage } from './lib/original.js';

export { options, setup } from './lib/original.js';

export default function () {
  postUsage(originalKey('k6-usage-load'));
}
