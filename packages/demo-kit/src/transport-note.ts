import type { WebSocketConnection } from '@wsgate/core';

const noted = new Set<string>();

/**
 * Prints, once per endpoint and HTTP version, that a WebSocket was opened over it
 * (`/echo: a WebSocket over h2`): with TLS=1 it shows which way browsers and clients came.
 */
export function noteTransport(path: string, connection: WebSocketConnection): void {
  const key = `${path} ${connection.transport}`;
  if (noted.has(key)) return;
  noted.add(key);
  console.log(`${path}: a WebSocket over ${connection.transport}`);
}
