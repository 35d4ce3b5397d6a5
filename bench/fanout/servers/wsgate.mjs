import { importWsgate } from '../../servers/wsgate-packages.mjs';

const { createServer } = await importWsgate('core');

const TOPIC = 'fanout';
const SUBSCRIBE = Buffer.from('sub');

/**
 * wsgate's topics: "sub" subscribes the connection (then "ok"), any other message is published
 * to the topic with `server.publish`. With FANOUT_REDIS_URL set the backplane is
 * `@wsgate/redis` (every process given that Redis shares topics); otherwise the in-memory
 * backplane of the process.
 */
export async function start({ host, port }) {
  const redisUrl = process.env.FANOUT_REDIS_URL;
  let backplane;
  if (redisUrl !== undefined) {
    const { RedisBackplane } = await importWsgate('redis');
    backplane = new RedisBackplane({ url: redisUrl });
  }
  const server = await createServer({
    host,
    port,
    textAs: 'buffer',
    perMessageDeflate: false,
    maxConnections: 1_000_000,
    // Every connection of the load generator comes from 127.0.0.1.
    maxConnectionsPerAddress: 0,
    ...(backplane === undefined ? {} : { backplane }),
  });
  const failed = (error) => {
    console.error(`fanout: ${error?.message ?? error}`);
  };
  server.on('connection', (connection) => {
    connection.on('message', (data) => {
      if (data.equals(SUBSCRIBE)) {
        connection.subscribe(TOPIC).then(() => connection.send('ok'), failed);
      } else {
        server.publish(TOPIC, data, { binary: false }).catch(failed);
      }
    });
  });
  return {
    port: server.address()?.port,
    connections: () => server.clients.size,
    info: { backplane: backplane === undefined ? 'in-memory (default)' : '@wsgate/redis' },
  };
}
