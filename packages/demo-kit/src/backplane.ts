import { type Backplane, WebSocketServer } from '@wsgate/core';
import { RedisBackplane } from '@wsgate/redis';

/** The topic name of every demo's chat room: instances on one Redis share it. */
export const CHAT_TOPIC = 'chat';

/** The URL without its credentials, for logs. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'an unreadable URL';
  }
}

/**
 * The backplane of a demo: with `REDIS_URL`, Redis, reached before the demo listens (a demo
 * that cannot reach it refuses to start, with WSG_BACKPLANE_UNAVAILABLE: a cluster member that
 * silently runs alone would split the chat room); without it, undefined, which leaves every
 * server on the process's in-memory backplane.
 */
export async function openDemoBackplane(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = console.log,
): Promise<Backplane | undefined> {
  const url = env.REDIS_URL;
  if (url === undefined || url === '') {
    log('topics: in memory, this process only (set REDIS_URL to join a cluster)');
    return undefined;
  }
  const backplane = new RedisBackplane({ url });
  // Through a server, as the demo's own servers will use it: this starts the backplane once
  // for the whole process (a backplane is started by its first user).
  const probe = new WebSocketServer({ backplane, perMessageDeflate: false });
  await probe.presence(CHAT_TOPIC);
  log(`topics: Redis at ${shown(url)}, shared by every instance started with this REDIS_URL`);
  return backplane;
}

/** Prints a failed start the way the demos print it (code first) and exits with status 1. */
export function exitForBackplane(error: unknown): never {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    typeof code === 'string' && !message.startsWith(code) ? `${code}: ${message}` : message,
  );
  process.exit(1);
}
