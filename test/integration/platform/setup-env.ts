/**
 * Environment the Powertools utilities read when `functions/platform/powertools` is first loaded. The outbox
 * test files import this module first, before any production module.
 */
Object.assign(process.env, {
  POWERTOOLS_DEV: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  POWERTOOLS_METRICS_NAMESPACE: 'Test',
  POWERTOOLS_SERVICE_NAME: 'test',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  AWS_REGION: 'us-east-1',
});
