import '#test/unit/setup-env';

/** Environment the back-office functions read at module load; import before the handler. */
Object.assign(process.env, {
  DEAD_LETTER_TABLE_NAME: 'dead-letters-test',
  ANALYTICS_TABLE_NAME: 'analytics-test',
});
