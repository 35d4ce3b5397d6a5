import { readDemoConfig } from '@wsgate/demo-kit';

/**
 * HOST, PORT (3003), MAX_PAYLOAD, ALLOWED_ORIGINS and DEMO_TOKEN, read once: gateway decorators
 * use them.
 */
export const config = readDemoConfig(3003);
