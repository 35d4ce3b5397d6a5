import { readDemoConfig } from '@wsgate/demo-kit';

/** HOST, PORT (3003), MAX_PAYLOAD and ALLOWED_ORIGINS, read once: gateway decorators use them. */
export const config = readDemoConfig(3003);

/** When set, /chat requires `?token=` with this value (checked at the handshake). */
export const demoToken = process.env.DEMO_TOKEN || undefined;
