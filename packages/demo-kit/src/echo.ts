import type { WebSocketConnection } from '@wsgate/core';
import { noteTransport } from './transport-note.js';

/** Echoes every message with its type: text stays text, binary stays binary. */
export function echo(connection: WebSocketConnection): void {
  noteTransport('/echo', connection);
  connection.on('message', (data, isBinary) => {
    connection.send(data, { binary: isBinary });
  });
}
