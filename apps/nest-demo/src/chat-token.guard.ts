import type { IncomingMessage } from 'node:http';
import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { chatTokenRefusal } from '@wsgate/demo-kit';
import { config } from './config.js';

type UpgradeRequest = IncomingMessage & { query: Record<string, string | undefined> };

/**
 * A guard that runs at the handshake (the gateway lists it in `handshakeGuards`): when DEMO_TOKEN
 * is set, a handshake without `?token=` is refused with 401 WSG_AUTH_REQUIRED, one with a wrong
 * token with 403 WSG_FORBIDDEN. Open when DEMO_TOKEN is unset, so that the page works out of the box.
 */
@Injectable()
export class ChatTokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const offered = context.switchToHttp().getRequest<UpgradeRequest>().query.token;
    const refusal = chatTokenRefusal(config.chatToken, offered);
    if (refusal === undefined) return true;
    if (refusal.status === 401) throw new UnauthorizedException(refusal.message);
    throw new ForbiddenException(refusal.message);
  }
}
