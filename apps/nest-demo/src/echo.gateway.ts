import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { noteTransport } from '@wsgate/demo-kit';
import type { WsgateClient, WsgateGatewayOptions } from '@wsgate/nestjs';
import { config } from './config.js';

interface RawMessage {
  readonly data: string | Buffer;
  readonly isBinary: boolean;
}

/**
 * /echo: every message back with its type. A message parser turns each raw message into the
 * `echo` event, so a @SubscribeMessage handler serves a protocol that is not `{ event, data }`.
 */
@WebSocketGateway<WsgateGatewayOptions>({
  path: '/echo',
  perMessageDeflate: true,
  maxMessageBytes: config.maxPayloadBytes,
  messageParser: (data, isBinary) => ({ event: 'echo', data: { data, isBinary } }),
})
export class EchoGateway implements OnGatewayConnection {
  handleConnection(client: WsgateClient): void {
    noteTransport('/echo', client.connection);
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() message: RawMessage, @ConnectedSocket() client: WsgateClient) {
    client.send(message.data, { binary: message.isBinary });
  }
}
