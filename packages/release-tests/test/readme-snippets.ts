// What readme.test.ts needs besides helpers.ts: the code blocks of the READMEs, the framework
// versions this repo tests against, and the probes a README server must answer.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { connect } from '@wsgate/core';
import { publicPackages, readJson, repoRoot } from './helpers.js';

/** The READMEs a user reads first: the repo's and each public package's. */
export const READMES = [
  'README.md',
  'packages/core/README.md',
  'packages/express/README.md',
  'packages/koa/README.md',
  'packages/nestjs/README.md',
  'packages/cli/README.md',
] as const;

export interface CodeBlock {
  /** The README, relative to the repo root. */
  readonly readme: string;
  /** Line of the opening fence, 1-based. */
  readonly line: number;
  /** The fence's info string: `ts`, `sh`, `json`, or empty. */
  readonly lang: string;
  readonly text: string;
}

export interface Snippet extends CodeBlock {
  /** File name in the test project, without extension: `readme-2`, `express-1`. */
  readonly name: string;
  /** Reads `PORT`: a server the test starts and probes; any other snippet is compiled only. */
  readonly server: boolean;
}

/** The fenced code blocks of a Markdown file, in order. */
export function codeBlocks(readme: string): CodeBlock[] {
  const lines = readFileSync(join(repoRoot, readme), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] as string);
    if (!open) continue;
    const end = lines.findIndex((line, index) => index > i && line === '```');
    if (end === -1) throw new Error(`${readme}:${i + 1}: a code block is never closed`);
    blocks.push({
      readme,
      line: i + 1,
      lang: open[1] ?? '',
      text: `${lines.slice(i + 1, end).join('\n')}\n`,
    });
    i = end;
  }
  return blocks;
}

/** Every TypeScript block of the READMEs, each named after its README and position. */
export function typescriptSnippets(): Snippet[] {
  return READMES.flatMap((readme) => {
    const slug = readme === 'README.md' ? 'readme' : (readme.split('/')[1] as string);
    return codeBlocks(readme)
      .filter((block) => block.lang === 'ts' || block.lang === 'typescript')
      .map((block, index) => ({
        ...block,
        name: `${slug}-${index + 1}`,
        server: /\bprocess\.env\.PORT\b/.test(block.text),
      }));
  });
}

/** The one JSON block of `readme` that holds `key` at its top level, parsed. */
export function jsonBlock(readme: string, key: string): Record<string, unknown> {
  const found = codeBlocks(readme)
    .filter((block) => block.lang === 'json')
    .map((block) => JSON.parse(block.text) as Record<string, unknown>)
    .filter((value) => key in value);
  if (found.length !== 1) throw new Error(`${readme}: ${found.length} JSON blocks with "${key}"`);
  return found[0] as Record<string, unknown>;
}

/** `name@version` for each name, as this repo's dev dependencies pin them. */
export function pinnedVersions(names: readonly string[]): string[] {
  const pinned = new Map<string, string>();
  for (const pkg of [...publicPackages(), { manifest: readJson(join(repoRoot, 'package.json')) }]) {
    const dependencies = (pkg.manifest.devDependencies ?? {}) as Record<string, string>;
    for (const [name, version] of Object.entries(dependencies)) {
      if (!version.startsWith('npm:')) pinned.set(name, version);
    }
  }
  return names.map((name) => {
    const version = pinned.get(name);
    if (!version) throw new Error(`no dev dependency pins ${name}`);
    return `${name}@${version}`;
  });
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves once `port` accepts connections; fails if `child` exits first or time runs out. */
export async function waitForListener(
  port: number,
  child: ChildProcess,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `exited with ${child.exitCode ?? child.signalCode} before listening\n${output()}`,
      );
    }
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`not listening after ${timeoutMs} ms\n${output()}`);
    // The child gives no signal when it listens; ask again shortly.
    await delay(50);
  }
}

/** Opens a WebSocket to `path`, sends `text`, and resolves with the first message back. */
export async function echoOf(port: number, path: string, text: string): Promise<string> {
  const client = await connect(`ws://127.0.0.1:${port}${path}`, { handshakeTimeoutMs: 5_000 });
  try {
    const reply = once(client, 'message');
    client.send(text);
    const [data] = await reply;
    return String(data);
  } finally {
    client.close(1000);
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** What an upgrade request to `path` is answered: 101 when it is accepted. */
export function upgradeAnswer(port: number, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const upgrade = request({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    upgrade.once('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    upgrade.once('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    upgrade.once('error', reject);
    upgrade.end();
  });
}

/** A plain HTTP GET of `path`, on a connection closed afterwards. */
export function plainGet(port: number, path: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const get = request({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    get.once('error', reject);
    get.end();
  });
}
