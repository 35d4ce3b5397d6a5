import type { WebSocketConnection } from '@wsgate/core';

/** Echoes every message with its type: text stays text, binary stays binary. */
export function echo(connection: WebSocketConnection): void {
  connection.on('message', (data, isBinary) => {
    connection.send(data, { binary: isBinary });
  });
}
