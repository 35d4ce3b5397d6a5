// The three entry points of @wsgate/core as a person loads them with `import`: one use of each.
import { createServer, isWsgateError, WsgateError } from '@wsgate/core';
import { closeReasonFor, parseWebSocketUrl } from '@wsgate/core/adapter';
import { encodeClosePayload, parseClosePayload } from '@wsgate/core/protocol';

const server = await createServer({ path: '/entries' });
const url = parseWebSocketUrl(`ws://127.0.0.1:${server.address().port}/entries`);
const close = parseClosePayload(encodeClosePayload(1001, closeReasonFor('WSG_SERVER_SHUTDOWN')));
console.log(`core: ${isWsgateError(new WsgateError('WSG_PATH_NOT_FOUND'))}`);
console.log(`adapter: ${url.resource}`);
console.log(`protocol: ${close.code} ${close.reason.split(':')[0]}`);
await server.close();
