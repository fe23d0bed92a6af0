import type { LocalRuntime } from '#localstack/runtime/runtime';

export { type CarrierReportInput, carrierReport, postCarrierWebhook } from '#scripts/carrier';

/** The carrier webhook secret of a runtime, as the shipping API reads it from Secrets Manager. */
export function carrierSecret(runtime: LocalRuntime): string {
  const name = runtime.secrets?.names().find((candidate) => candidate.includes('CarrierWebhookSecret'));
  if (!name || !runtime.secrets) throw new Error('The templates hold no carrier webhook secret');
  return runtime.secrets.value(name);
}
