import { type OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import { LIVE_CONNECTION_OPTIONS, live } from '@wsgate/demo-kit';
import type { WsgateClient, WsgateGatewayOptions } from '@wsgate/nestjs';

/**
 * /live: topics over JSON (`{"type":"subscribe","topic":...}`), not Nest's `{ event, data }`: the
 * message parser hands nothing to Nest, and demo-kit's handler reads the connection itself.
 */
@WebSocketGateway<WsgateGatewayOptions>({
  path: '/live',
  ...LIVE_CONNECTION_OPTIONS,
  messageParser: () => undefined,
})
export class LiveGateway implements OnGatewayConnection {
  handleConnection(client: WsgateClient) {
    live(client.connection);
  }
}
