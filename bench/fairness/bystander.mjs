/**
 * The bystander: one connection to /echo (permessage-deflate offered, as a browser does) that
 * pings every millisecond and times each pong. Runs in a process of its own, so that the load's
 * client work never delays it. Prints one JSON line when stdin closes or after --seconds.
 *
 *   node bystander.mjs --port N [--seconds 30]
 */
import WebSocket from 'ws';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const port = option('port', 0);
const seconds = option('seconds', 60);

const socket = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: true });
await new Promise((resolve, reject) => {
  socket.once('open', resolve);
  socket.once('error', reject);
});
const sentAt = new Map();
const roundTrips = [];
let sequence = 0;
socket.on('pong', (payload) => {
  const id = payload.readUInt32BE(0);
  const start = sentAt.get(id);
  if (start === undefined) return;
  sentAt.delete(id);
  roundTrips.push(Number(process.hrtime.bigint() - start) / 1e6);
});
const payload = Buffer.alloc(4);
const timer = setInterval(() => {
  payload.writeUInt32BE(++sequence >>> 0);
  sentAt.set(sequence, process.hrtime.bigint());
  socket.ping(Buffer.from(payload));
}, 1);
process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);

function finish() {
  clearInterval(timer);
  // Pings still unanswered count with the time they have waited so far.
  const now = process.hrtime.bigint();
  for (const start of sentAt.values()) roundTrips.push(Number(now - start) / 1e6);
  const sorted = roundTrips.sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  process.stdout.write(
    `${JSON.stringify({ event: 'result', pings: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), worstMs: sorted.at(-1) ?? 0 })}\n`,
  );
  socket.terminate();
  process.exit(0);
}
process.stdin.on('end', finish);
process.stdin.resume();
setTimeout(finish, seconds * 1000);
