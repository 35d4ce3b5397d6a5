#!/usr/bin/env node
// A throwaway npm registry for the release test: Verdaccio on 127.0.0.1, a port the system picks,
// everything (packages, users, its secret) under the directory given as the only argument.
//   node registry/local-registry.mjs <dir>
// Prints one JSON line, {"url":"http://127.0.0.1:<port>/"}, once it listens; stops on SIGTERM.
// No uplinks: a name that was not published here is a 404, never fetched from elsewhere.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runServer } from 'verdaccio';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node local-registry.mjs <directory for storage, users and secret>');
  process.exit(2);
}
const root = resolve(dir);
mkdirSync(join(root, 'storage'), { recursive: true });

const server = await runServer({
  self_path: root,
  storage: join(root, 'storage'),
  auth: { htpasswd: { file: join(root, 'htpasswd'), max_users: 10 } },
  uplinks: {},
  packages: { '**': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' } },
  web: { enable: false },
  log: { type: 'stdout', format: 'json', level: 'warn' },
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/` }));
});

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
});
