import { fileURLToPath } from 'node:url';

/** Repository root, resolved from this file so the CDK app works from any working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Lambda entries live here; `ServiceFunction` entries are relative to this directory. */
export const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

/** Seed data shipped with the repository. */
export const DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));
