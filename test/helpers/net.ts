import { connect } from 'node:net';

/**
 * Tries one TCP connection to 127.0.0.1:`port`. Resolves `accepted` when it succeeds and `refused` on
 * ECONNREFUSED; other errors reject.
 */
export const probePort = (port: number, timeoutMs = 2000): Promise<'accepted' | 'refused'> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`connecting to 127.0.0.1:${port} timed out after ${timeoutMs} ms`));
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      if (error.code === 'ECONNREFUSED') resolve('refused');
      else reject(error);
    });
  });

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export const processExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true;
    throw error;
  }
};
