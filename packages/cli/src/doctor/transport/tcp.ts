import { connect as netConnect, type Socket } from 'node:net';
import { roundMs } from '../exchange-log.js';

export type TcpResult =
  | { readonly ok: true; readonly socket: Socket; readonly ms: number }
  | {
      readonly ok: false;
      readonly error: NodeJS.ErrnoException | undefined;
      readonly timedOut: boolean;
      readonly ms: number;
    };

/** Opens TCP to an address (no resolution here: the DNS step did it). */
export function connectTcp(
  address: string,
  port: number,
  timeoutMs: number,
  onSocket: (socket: Socket) => void,
): Promise<TcpResult> {
  const started = performance.now();
  const elapsed = (): number => roundMs(performance.now() - started);
  return new Promise((resolve) => {
    const socket = netConnect({ host: address, port });
    onSocket(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: undefined, timedOut: true, ms: elapsed() });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.setNoDelay(true);
      resolve({ ok: true, socket, ms: elapsed() });
    });
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      resolve({ ok: false, error, timedOut: false, ms: elapsed() });
    };
    socket.once('error', onError);
  });
}
