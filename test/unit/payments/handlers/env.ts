import '#test/unit/setup-env';

/** Environment the payment functions read at module load; import before the handler. */
Object.assign(process.env, {
  PAYMENTS_TABLE_NAME: 'payments-test',
  PSP_BASE_URL: 'https://psp.test/v1/psp',
  PSP_TIMEOUT_MS: '50',
});
