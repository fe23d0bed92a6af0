import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { logger } from './powertools';

/**
 * How Lambda initialized this execution environment (`on-demand`, `provisioned-concurrency`,
 * `snap-start`), read once at module load.
 */
const INITIALIZATION_TYPE = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;

/** How long priming may hold the init phase before the function gives up on it and goes on. */
export const PRIMING_BUDGET_MS = 2_000;

/** Something to warm in the init phase: its name for the debug log and the cheap request that warms it. */
export interface Primer {
  what: string;
  prime: () => Promise<unknown>;
}

/**
 * Primes clients in the init phase of an environment Lambda initializes ahead of its invocations
 * (provisioned concurrency), as the Lambda guidance for provisioned concurrency and SnapStart
 * recommends: each primer makes a cheap request without business effect (no write), so the first
 * invocation does not pay for the client's first request (credential and endpoint resolution, the
 * connection, the SDK code compiled on first use). An on-demand environment is initialized by the
 * invocation that waits for it, so it primes nothing: the first request warms the client anyway.
 *
 * Priming never fails the init: the primers run side by side, a failure is logged at debug level
 * and forgotten, and the init goes on after `budgetMs` whatever is still pending.
 */
export async function primeOnInit(
  primers: readonly Primer[],
  options: { initType?: string | undefined; budgetMs?: number } = {},
): Promise<void> {
  const initType = 'initType' in options ? options.initType : INITIALIZATION_TYPE;
  if (initType !== 'provisioned-concurrency' || primers.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.budgetMs ?? PRIMING_BUDGET_MS);
    timer.unref();
  });
  const primed = Promise.all(
    primers.map(async ({ what, prime }) => {
      try {
        await prime();
      } catch (error) {
        logger.debug('priming failed; the first invocation warms it instead', {
          primer: what,
          error: error as Error,
        });
      }
    }),
  );
  await Promise.race([primed, budget]).finally(() => clearTimeout(timer));
}

/**
 * A DynamoDB client's priming: DescribeTable of a table the function uses (a control-plane read that
 * every CDK table grant allows, and free), which resolves the credentials and the endpoint, opens the
 * connection and runs the SDK's request path once.
 */
export function dynamoDbPrimer(client: Pick<DynamoDBClient, 'send'>, tableName: string): Primer {
  return {
    what: `DynamoDB (DescribeTable ${tableName})`,
    prime: () => client.send(new DescribeTableCommand({ TableName: tableName })),
  };
}
