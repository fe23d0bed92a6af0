import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { MappingTarget } from '../runtime/kafka-mapping';
import type { InvokeResult } from '../runtime/lambda';

/**
 * A function behind a Lambda `Invoke` API (LocalStack's, AWS's, or the local runtime's control plane),
 * as a mapping's target: a synchronous invocation whose function error (`X-Amz-Function-Error`) or
 * failed call is an unsuccessful result the mapping retries, as Lambda's poller does.
 */
export class RemoteFunction implements MappingTarget {
  readonly definition: { name: string; arn: string };

  constructor(
    private readonly lambda: LambdaClient,
    name: string,
    arn: string,
  ) {
    this.definition = { name, arn };
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    try {
      const response = await this.lambda.send(
        new InvokeCommand({
          FunctionName: this.definition.name,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
      const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
      let payload: unknown = null;
      try {
        payload = text === '' ? null : JSON.parse(text);
      } catch {
        payload = text;
      }
      if (response.FunctionError) {
        const error = (payload ?? {}) as { errorType?: string; errorMessage?: string; trace?: string[] };
        return {
          ok: false,
          error: {
            errorType: error.errorType ?? response.FunctionError,
            errorMessage: error.errorMessage ?? text,
            ...(error.trace ? { stack: error.trace } : {}),
          },
        };
      }
      return { ok: true, payload };
    } catch (error) {
      return {
        ok: false,
        error: { errorType: (error as Error).name ?? 'InvokeError', errorMessage: (error as Error).message },
      };
    }
  }
}
