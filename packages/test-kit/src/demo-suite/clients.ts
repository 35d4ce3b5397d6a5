import WebSocket from 'ws';

export function open(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

export function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    socket.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })),
  );
}

export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    socket.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
}

/** Collects chat events until `predicate` holds (bounded by `timeoutMs`). */
export async function chatEvents(
  socket: WebSocket,
  predicate: (events: { event: string; data: Record<string, unknown> }[]) => boolean,
  timeoutMs = 5_000,
) {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error(`chat events so far: ${JSON.stringify(events)}`));
    }, timeoutMs);
    const onMessage = (data: Buffer): void => {
      events.push(JSON.parse(data.toString()));
      if (predicate(events)) {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve();
      }
    };
    socket.on('message', onMessage);
  });
  return events;
}
