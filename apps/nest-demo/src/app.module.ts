import { Module } from '@nestjs/common';
import { ChatRoom } from '@wsgate/demo-kit';
import { ChatGateway } from './chat.gateway.js';
import { ChatTokenGuard } from './chat-token.guard.js';
import { EchoGateway } from './echo.gateway.js';
import { FrameworkController } from './framework.controller.js';

@Module({
  controllers: [FrameworkController],
  providers: [
    { provide: ChatRoom, useValue: new ChatRoom() },
    ChatTokenGuard,
    ChatGateway,
    EchoGateway,
  ],
})
export class AppModule {}
