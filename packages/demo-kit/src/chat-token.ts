import { timingSafeEqual } from 'node:crypto';

/** What a 401 from the chat names as its scheme (RFC 9110 §11.6.1). */
export const CHAT_TOKEN_CHALLENGE = 'Bearer realm="chat"';

/** Why the chat refuses a handshake: the status, and the message the client may see. */
export interface ChatTokenRefusal {
  readonly status: 401 | 403;
  readonly message: string;
}

/**
 * The check every demo runs on `/chat` at the handshake when DEMO_TOKEN is set: the page passes
 * its own `?token=` on. Without a token 401 (WSG_AUTH_REQUIRED), with a wrong one 403
 * (WSG_FORBIDDEN); undefined lets the handshake go on. Each demo turns the answer into its
 * framework's own refusal (an Express middleware, a Koa middleware, a Nest guard).
 */
export function chatTokenRefusal(
  expected: string | undefined,
  offered: unknown,
): ChatTokenRefusal | undefined {
  if (expected === undefined) return undefined;
  if (typeof offered !== 'string' || offered === '')
    return { status: 401, message: 'the chat needs ?token= (DEMO_TOKEN is set)' };
  const given = Buffer.from(offered);
  const wanted = Buffer.from(expected);
  if (given.length === wanted.length && timingSafeEqual(given, wanted)) return undefined;
  return { status: 403, message: 'the chat token is not the one DEMO_TOKEN sets' };
}
