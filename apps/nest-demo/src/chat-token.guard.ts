import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { demoToken } from './config.js';

type UpgradeRequest = IncomingMessage & { query: Record<string, string | undefined> };

/**
 * A guard that runs at the handshake (the gateway lists it in `handshakeGuards`): without a
 * token the handshake is refused with 401 WSG_AUTH_REQUIRED, with a wrong one 403 WSG_FORBIDDEN.
 * Open when DEMO_TOKEN is unset, so that the page works out of the box.
 */
@Injectable()
export class ChatTokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (demoToken === undefined) return true;
    const offered = context.switchToHttp().getRequest<UpgradeRequest>().query.token;
    if (!offered) throw new UnauthorizedException('the chat needs ?token= (DEMO_TOKEN is set)');
    const expected = Buffer.from(demoToken);
    const given = Buffer.from(offered);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
