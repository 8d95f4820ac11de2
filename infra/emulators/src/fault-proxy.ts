// A TCP proxy in front of an emulator that can simulate an outage or a stall, for tests of retry behaviour.
import { connect, createServer, type Socket } from 'node:net';

export type FaultMode = 'pass' | 'refuse' | 'error503' | 'blackhole';

export interface FaultProxy {
  /** Same form as the target: 'http://127.0.0.1:PORT' for 'http://…' targets, '127.0.0.1:PORT' otherwise. */
  url: string;
  /**
   * pass: forward bytes both ways. refuse: reset every connection at once (ECONNRESET).
   * error503: answer every request with an HTTP 503 and close. blackhole: accept connections and read what
   * they send, but never answer and never close them (a stalled backend: only the client's own timeout ends
   * the call; close() ends them). Leaving `pass` cuts open connections, so keep-alive sockets cannot bypass
   * the fault.
   */
  setMode(mode: FaultMode): void;
  close(): Promise<void>;
}

const body503 = '{"error":{"code":503,"message":"fault proxy: service unavailable"}}';
const response503 = [
  'HTTP/1.1 503 Service Unavailable',
  'Content-Type: application/json',
  `Content-Length: ${Buffer.byteLength(body503)}`,
  'Connection: close',
  '',
  body503,
].join('\r\n');

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const hasScheme = /^[a-z]+:\/\//i.test(target);
  const targetUrl = new URL(hasScheme ? target : `tcp://${target}`);
  const targetHost = targetUrl.hostname.replace(/^\[|\]$/g, '');
  const targetPort = Number(targetUrl.port || (targetUrl.protocol === 'https:' ? 443 : 80));

  let mode: FaultMode = 'pass';
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (mode === 'pass') pass(client, targetHost, targetPort, sockets);
    else fault(client, mode);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('fault proxy: no listening address');
  const hostPort = `127.0.0.1:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url: hasScheme ? `${targetUrl.protocol}//${hostPort}` : hostPort,
    setMode(next) {
      if (next !== 'pass' && mode === 'pass') {
        for (const socket of sockets) socket.destroy();
      }
      mode = next;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      })),
  };
}

/** A connection while the proxy passes: piped both ways to the target; either side closing closes the other. */
function pass(client: Socket, host: string, port: number, sockets: Set<Socket>): void {
  const upstream = connect(port, host);
  sockets.add(upstream);
  upstream.once('close', () => {
    sockets.delete(upstream);
    client.destroy();
  });
  client.once('close', () => upstream.destroy());
  upstream.on('error', () => client.resetAndDestroy());
  client.pipe(upstream).pipe(client);
}

/** A connection while the proxy is faulty: reset, answered 503, or read and never answered. */
function fault(client: Socket, mode: Exclude<FaultMode, 'pass'>): void {
  if (mode === 'refuse') client.resetAndDestroy();
  else if (mode === 'error503') client.once('data', () => client.end(response503));
  else client.resume();
}
