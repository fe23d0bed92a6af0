import { createServer } from 'node:net';

/**
 * Returns a TCP port that is free on 127.0.0.1 right now: the OS assigns one to a throwaway listener,
 * which is closed before returning. Another process may take the port before it is used.
 */
export const getFreePort = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a listening socket'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
