export interface DemoConfig {
  readonly host: string;
  readonly port: number;
  /** Largest message on /echo, in bytes (MAX_PAYLOAD, default 16 MiB). */
  readonly maxPayloadBytes: number;
  /** Allowed origins (ALLOWED_ORIGINS, comma-separated); undefined allows every origin. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** When set (DEMO_TOKEN), `/chat` takes only handshakes with `?token=` equal to it. */
  readonly chatToken: string | undefined;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw))
    throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** Reads HOST, PORT, MAX_PAYLOAD, ALLOWED_ORIGINS (see shared/DEMO-CONTRACT.md) and DEMO_TOKEN. */
export function readDemoConfig(
  defaultPort: number,
  env: NodeJS.ProcessEnv = process.env,
): DemoConfig {
  const origins = env.ALLOWED_ORIGINS?.split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  return {
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', defaultPort),
    maxPayloadBytes: integer(env, 'MAX_PAYLOAD', 16 * 1024 * 1024),
    allowedOrigins: origins === undefined || origins.length === 0 ? undefined : origins,
    chatToken: env.DEMO_TOKEN || undefined,
  };
}

/** The URL an app prints once it listens; tests read it to find the port. */
export function listeningMessage(name: string, host: string, port: number): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  return `${name} listening on http://${shown}:${port}/ (WebSocket endpoints: /echo, /chat, /live)`;
}
