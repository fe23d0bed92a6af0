import '#test/unit/setup-env';

/** Environment the mock PSP functions read at module load; import before the handler. */
Object.assign(process.env, { PSP_TABLE_NAME: 'psp-test' });
