import WebSocket, { type ClientOptions } from 'ws';

/** Opens a `ws` client and resolves once it is open; rejects on a failed handshake. */
export function openWs(
  url: string,
  options: ClientOptions & { readonly protocols?: readonly string[] } = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const { protocols, ...clientOptions } = options;
    const socket = new WebSocket(url, protocols === undefined ? [] : [...protocols], clientOptions);
    socket.once('open', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The next message a `ws` socket receives. */
export function wsNextMessage(
  socket: WebSocket,
  timeoutMs = 10_000,
): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`no message within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      clearTimeout(timer);
      resolve({
        data: Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer),
        isBinary,
      });
    };
    socket.once('message', onMessage);
  });
}

/** Resolves with the code and reason once a `ws` socket has closed. */
export function wsClosed(
  socket: WebSocket,
  timeoutMs = 5_000,
): Promise<{ code: number; reason: string }> {
  if (socket.readyState === WebSocket.CLOSED) {
    return Promise.reject(new Error('the socket was already closed'));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', (code: number, reason: Buffer) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
  });
}
