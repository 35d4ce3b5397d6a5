#!/usr/bin/env node
/**
 * The Debian packages the tests drive as real peers: Chromium (browser end-to-end), tshark
 * (reads the pcapng captures), Python websockets (interop client), openssl (the doctor's test
 * certificates), nginx (the proxy the doctor is tested behind) and redis-server (the backplane
 * of @wsgate/redis; its tests start servers of their own, so the Debian service need not run).
 * `npm test` runs this first, so that on a fresh Debian machine the one test command installs
 * what it needs: with apt-get as root, or through `sudo -n`; otherwise it names the command to
 * run and stops.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function runs(command, args) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

const needs = [
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'tshark', present: () => runs('tshark', ['--version']) },
  {
    pkg: 'python3-websockets',
    present: () => runs('/usr/bin/python3', ['-c', 'import websockets']),
  },
  { pkg: 'openssl', present: () => runs('openssl', ['version']) },
  { pkg: 'nginx', present: () => existsSync('/usr/sbin/nginx') },
  { pkg: 'redis-server', present: () => runs('redis-server', ['--version']) },
];

const missing = needs.filter((need) => !need.present()).map((need) => need.pkg);
if (missing.length === 0) process.exit(0);

const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing];
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const prefix = asRoot ? [] : runs('sudo', ['-n', 'true']) ? ['sudo', '-n'] : undefined;
if (prefix === undefined || !existsSync('/usr/bin/apt-get')) {
  console.error(
    `The tests need ${missing.join(', ')}. Install them and run the tests again:\n  sudo apt-get update && sudo ${install.join(' ')}`,
  );
  process.exit(1);
}

console.log(`installing what the tests need: ${missing.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const apt = (args) => {
  const [command, ...rest] = [...prefix, ...args];
  execFileSync(command, rest, { stdio: 'inherit', env });
};
apt(['apt-get', 'update']);
apt(install);
const stillMissing = needs.filter((need) => !need.present()).map((need) => need.pkg);
if (stillMissing.length > 0) {
  console.error(`still missing after apt-get: ${stillMissing.join(', ')}`);
  process.exit(1);
}
