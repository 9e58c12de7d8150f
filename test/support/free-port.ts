import type { INestApplication } from '@nestjs/common';
import { createServer, Socket } from 'node:net';

/** A loopback port nobody listens on right now (for an app's PORT, or a port that refuses connections). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface SilentServer {
  port: number;
  /** Destroys the open sockets first (else close() waits for them), then closes the server. */
  stop(): Promise<void>;
}

/** A loopback server that accepts connections and never answers (a hung Redis). */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined); // a client resetting its connection must not crash the test process
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    port,
    stop: async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts a Nest HTTP app on a free loopback port; resolves to its base URL (http://127.0.0.1:PORT, no trailing slash). */
export async function listenLocal(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}
