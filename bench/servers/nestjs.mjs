import { createRequire } from 'node:module';
import { echoParser, startNest } from './nest-app.mjs';
import { importWsgate } from './wsgate-packages.mjs';

const require = createRequire(import.meta.url);
const { WsgateAdapter } = await importWsgate('nestjs');

/** @wsgate/nestjs: `WsgateAdapter` with one echo gateway (see nest-app.mjs), on NestJS 12. */
export async function start({ host, port, mode }) {
  const handle = await startNest({
    host,
    port,
    mode,
    gatewayOptions: {
      perMessageDeflate: false,
      maxConnections: 1_000_000,
      // Every connection of the load generator comes from 127.0.0.1.
      maxConnectionsPerAddress: 0,
      maxMessageBytes: 64 * 1024 * 1024,
    },
    adapter: (app) => new WsgateAdapter(app, { messageParser: echoParser }),
  });
  return {
    ...handle,
    info: { nest: require('@nestjs/core/package.json').version, perMessageDeflate: false },
  };
}
