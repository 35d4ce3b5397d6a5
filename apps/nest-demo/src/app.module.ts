import { Module } from '@nestjs/common';
import { ChatRoom } from '@wsgate/demo-kit';
import { ChatGateway } from './chat.gateway.js';
import { ChatTokenGuard } from './chat-token.guard.js';
import { EchoGateway } from './echo.gateway.js';
import { FrameworkController } from './framework.controller.js';
import { LiveGateway } from './live.gateway.js';
import { MetricsController } from './metrics.controller.js';

@Module({
  controllers: [FrameworkController, MetricsController],
  providers: [
    { provide: ChatRoom, useValue: new ChatRoom() },
    ChatTokenGuard,
    ChatGateway,
    EchoGateway,
    LiveGateway,
  ],
})
export class AppModule {}
