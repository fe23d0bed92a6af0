import type { AwsAccess } from '../aws';
import type { SignInOptions } from '../sign-in';

/** Where the scenarios run: the endpoints the tool talks to. */
export interface Target {
  name: 'local' | 'aws';
  /** The REST API's base URL. */
  apiUrl: string;
  access: AwsAccess;
  /** How customers sign in to the REST API. */
  signIn: SignInOptions;
  /** The local runtime's fault endpoint (its control plane); absent on AWS. */
  localFaultsUrl?: string;
  /** A note for a scenario's row, read after each scenario (what only the local runtime can see). */
  observe?: () => string | undefined;
  stop(): Promise<void>;
}
