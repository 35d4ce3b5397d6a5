import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
// A value import: Nest injects ChatRoom by the constructor's decorator metadata.
import { CHAT_CONNECTION_LIMITS, ChatRoom } from '@wsgate/demo-kit';
import type { WsgateClient, WsgateGatewayOptions } from '@wsgate/nestjs';
import { ChatTokenGuard } from './chat-token.guard.js';

/**
 * /chat: `join` {name}, `rename` {name} and `message` {text}, broadcast to the room (demo-kit's
 * ChatRoom).
 */
@WebSocketGateway<WsgateGatewayOptions>({
  path: '/chat',
  handshakeGuards: [ChatTokenGuard],
  wwwAuthenticate: 'Bearer realm="chat"',
  ...CHAT_CONNECTION_LIMITS,
})
export class ChatGateway implements OnGatewayDisconnect {
  constructor(private readonly room: ChatRoom) {}

  @SubscribeMessage('join')
  join(
    @MessageBody() data: { name?: unknown } | undefined,
    @ConnectedSocket() client: WsgateClient,
  ) {
    return this.room.join(client.connection, data?.name);
  }

  @SubscribeMessage('rename')
  rename(
    @MessageBody() data: { name?: unknown } | undefined,
    @ConnectedSocket() client: WsgateClient,
  ) {
    return this.room.rename(client.connection, data?.name);
  }

  @SubscribeMessage('message')
  message(
    @MessageBody() data: { text?: unknown } | undefined,
    @ConnectedSocket() client: WsgateClient,
  ) {
    return this.room.say(client.connection, data?.text);
  }

  handleDisconnect(client: WsgateClient) {
    void this.room.leave(client.connection);
  }
}
