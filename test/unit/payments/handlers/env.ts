import '#test/unit/setup-env';

/** Environment the payment functions read at module load; import before the handler. */
Object.assign(process.env, {
  PAYMENTS_TABLE_NAME: 'payments-test',
  PSP_BASE_URL: 'https://psp.test/v1/psp',
  PSP_API_KEY_SECRET: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:psp-api-key-AbCdEf',
  PSP_TIMEOUT_MS: '50',
});
