/**
 * The load, from its own process: `big-echo` sends 15 MiB text messages (words and numbers) on
 * one connection with permessage-deflate and waits for each echo; `chat` opens 100 members of
 * /chat with permessage-deflate, one of them sending 2 KB messages as fast as the room takes them
 * (at most --window of its own messages on their way back to it). The other 99 members are raw
 * sockets that negotiate permessage-deflate and read without inflating, so that this process
 * (on the bystander's core) does not weigh on the bystander 99 inflates per message. Prints one
 * JSON line.
 *
 *   node load.mjs big-echo|chat --port N [--seconds 10] [--window 16]
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import WebSocket from 'ws';

const [scenario, ...args] = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(args[index + 1]);
};
const port = option('port', 0);
const seconds = option('seconds', 10);
const window = option('window', 16);

const WORDS = 'socket frame deflate window message server client ping pong close text binary'.split(
  ' ',
);

/** Ordinary words and numbers, as a log or a JSON dump would be: deflate's usual work. */
function wordyText(bytes, seed) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state;
  };
  const parts = [];
  let length = 0;
  while (length < bytes) {
    const word = next() % 3 === 0 ? String(next() % 100000) : WORDS[next() % WORDS.length];
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}

function open(path) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
      perMessageDeflate: true,
      maxPayload: 64 * 1024 * 1024,
    });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function bigEcho() {
  const socket = await open('/echo');
  const messages = [wordyText(15 * 1024 * 1024, 1), wordyText(15 * 1024 * 1024, 2)];
  const deadline = Date.now() + seconds * 1000;
  let echoed = 0;
  let bytes = 0;
  let wrong = 0;
  const started = process.hrtime.bigint();
  while (Date.now() < deadline) {
    const message = messages[echoed % 2];
    const back = new Promise((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send(message);
    if ((await back) !== message) wrong++;
    echoed++;
    bytes += message.length;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  socket.terminate();
  return { messages: echoed, wrong, mbPerSecond: (bytes * 2) / elapsed / 1e6, seconds: elapsed };
}

/** A member that reads and drops what it gets (bytes counted), after a deflate handshake. */
function rawMember() {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let head = '';
    const state = { socket, bytes: 0 };
    socket.once('error', reject);
    socket.write(
      `GET /chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n`,
    );
    const onHead = (chunk) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onHead);
      if (!head.startsWith('HTTP/1.1 101') || !/permessage-deflate/i.test(head))
        reject(new Error(`no deflate upgrade: ${head.split('\r\n')[0]}`));
      socket.on('data', (data) => {
        state.bytes += data.length;
      });
      resolve(state);
    };
    socket.on('data', onHead);
  });
}

async function chat() {
  const sender = await open('/chat');
  const members = [];
  for (let i = 0; i < 99; i++) members.push(await rawMember());
  const text = wordyText(2000, 3);
  let inFlight = 0;
  let sent = 0;
  const deadline = Date.now() + seconds * 1000;
  await new Promise((resolve) => setTimeout(resolve, 300)); // every subscription live
  const started = process.hrtime.bigint();
  let echoed = 0;
  await new Promise((resolve) => {
    const pump = () => {
      while (inFlight < window && Date.now() < deadline) {
        sender.send(text);
        inFlight++;
        sent++;
      }
      if (Date.now() >= deadline && inFlight === 0) resolve();
    };
    sender.on('message', () => {
      echoed++;
      inFlight--;
      pump();
    });
    pump();
    setTimeout(resolve, (seconds + 10) * 1000);
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const wireBytes = members.reduce((sum, member) => sum + member.bytes, 0);
  sender.terminate();
  for (const member of members) member.socket.destroy();
  // Every member gets every message (the sender's echoes count its own deliveries).
  return {
    sent,
    deliveriesPerSecond: (echoed * 100) / elapsed,
    memberWireBytesPerMessage: wireBytes / 99 / Math.max(1, echoed),
    seconds: elapsed,
  };
}

const result = scenario === 'chat' ? await chat() : await bigEcho();
process.stdout.write(`${JSON.stringify({ event: 'result', scenario, ...result })}\n`);
process.exit(0);
