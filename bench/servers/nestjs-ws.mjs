import { createRequire } from 'node:module';
import { WsAdapter } from '@nestjs/platform-ws';
import { bufferutilLoaded } from './express-ws.mjs';
import { echoParser, startNest } from './nest-app.mjs';

const require = createRequire(import.meta.url);

/** @nestjs/platform-ws's `WsAdapter`, the peer of @wsgate/nestjs, with the same gateway. */
export async function start({ host, port, mode }) {
  const handle = await startNest({
    host,
    port,
    mode,
    gatewayOptions: { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 },
    adapter: (app) => new WsAdapter(app, { messageParser: echoParser }),
  });
  const wsEntry = createRequire(require.resolve('@nestjs/platform-ws')).resolve('ws');
  return {
    ...handle,
    info: {
      nest: require('@nestjs/core/package.json').version,
      ws: createRequire(wsEntry)('./package.json').version,
      bufferutil: process.env.WS_NO_BUFFER_UTIL ? false : bufferutilLoaded(wsEntry),
      perMessageDeflate: false,
    },
  };
}
