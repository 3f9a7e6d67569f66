// The payment providers' secrets, which the webhook scenario signs with and provision configures.
import { variables } from "../framework/config";

const v = variables("webhook, smoke, provision", {
  WEBHOOK_SECRET: { kind: "secret", def: "", doc: "Stripe endpoint secret: build and sign events in-test" },
  ADYEN_HMAC_KEY: { kind: "hex", secret: true, doc: "also deliver signed Adyen notifications (hex key)" },
});

export const providerSecrets = { webhookSecret: v.WEBHOOK_SECRET, adyenHmacKey: v.ADYEN_HMAC_KEY };
