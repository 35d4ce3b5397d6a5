// Starts every built demo app (Express on 3001, Koa on 3002, Nest on 3003) and stops them on
// Ctrl+C / SIGTERM. `npm run demo` builds first. HOST applies to all three; PORT cannot (they
// would collide), except PORT=0, which gives each a free port (as the tests run it).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const env = { ...process.env };
if (env.PORT !== '0') delete env.PORT;

const apps = ['express-demo', 'koa-demo', 'nest-demo'];
const children = [];
for (const app of apps) {
  const entry = new URL(`../apps/${app}/dist/main.js`, import.meta.url);
  if (!existsSync(entry)) {
    console.error(`apps/${app} is not built: run npm run build`);
    process.exit(1);
  }
  const child = spawn(process.execPath, [entry.pathname], {
    cwd: new URL(`../apps/${app}/`, import.meta.url),
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`apps/${app} exited (${signal ?? code})`);
  });
  children.push(child);
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(0), 6_000).unref();
  Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) =>
          child.exitCode === null ? child.once('exit', resolve) : resolve(),
        ),
    ),
  ).then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
