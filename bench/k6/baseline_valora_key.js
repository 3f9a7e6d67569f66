// The baseline with one change: the idempotency key comes from k6/x/valora. Against baseline_ingest.js it
// isolates what the extension itself costs on the hot path, apart from what our scenario checks.
import * as valora from 'k6/x/valora';
import { postUsage } from './lib/original.js';

export { options, setup } from './lib/original.js';

export default function () {
  postUsage(valora.idempotencyKey('k6-usage-load'));
}
