// One local "execution environment": loads a bundled handler once, then serves invocations sent by
// the runtime over IPC, one at a time, like a Lambda container. Started by lambda.ts.
import { pathToFileURL } from 'node:url';

const handlerFile = process.env.LOCAL_LAMBDA_HANDLER_FILE;
const handlerExport = process.env.LOCAL_LAMBDA_HANDLER_EXPORT ?? 'handler';

function serializeError(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      stack: error.stack?.split('\n') ?? [],
    };
  }
  return { errorType: 'Error', errorMessage: String(error), stack: [] };
}

let handler;
try {
  const module = await import(pathToFileURL(handlerFile).href);
  handler = module[handlerExport];
  if (typeof handler !== 'function') throw new TypeError(`${handlerFile} has no export "${handlerExport}"`);
  process.send({ type: 'ready' });
} catch (error) {
  process.send({ type: 'init-error', error: serializeError(error) }, () => process.exit(1));
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const { id, event, context: meta, crashAfterMs } = message;
  // The local fault endpoint's crash: the process dies during the invocation, without a result.
  const crash = () => process.kill(process.pid, 'SIGKILL');
  if (crashAfterMs !== undefined) setTimeout(crash, crashAfterMs);
  process.env._X_AMZN_TRACE_ID = meta.traceId;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: meta.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: meta.invokedFunctionArn,
    memoryLimitInMB: String(meta.memoryLimitInMB),
    awsRequestId: meta.awsRequestId,
    logGroupName: `/aws/lambda/${meta.functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, meta.deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  try {
    const payload = await handler(event, context);
    if (crashAfterMs !== undefined) crash();
    process.send({ type: 'result', id, ok: true, payload: payload === undefined ? null : payload });
  } catch (error) {
    if (crashAfterMs !== undefined) crash();
    process.send({ type: 'result', id, ok: false, error: serializeError(error) });
  }
});

process.on('disconnect', () => process.exit(0));
