/**
 * The servers the benchmark compares, in the order they alternate within each repetition.
 *
 * Each entry names one file in this folder. The file exports `start({ host, port, mode })`,
 * which listens and resolves with `{ port, connections(), info }`; `mode` is "echo" (send every
 * message back to its sender, text as text and binary as binary) or "broadcast" (send every
 * message to every connection). `launch.mjs` runs it as its own process.
 *
 * To add a server, write `servers/<id>.mjs` and add one entry here; the workloads it runs get a
 * column (or, for an adapter and its peer, rows of the adapters' table) for it.
 *
 * - role: "subject" is what we measure, "baseline" what ratios are taken against, "reference" a
 *   column to compare with, "ceiling" what no WebSocket server can beat on this machine,
 *   "adapter" a wsgate adapter and "peer" the package it is compared with.
 * - transport: "websocket", or "tcp" for a plain TCP echo (the load generator then skips the
 *   upgrade and the echoed frames come back still masked).
 * - env: variables set for that server's process only.
 * - requires: packages that must load in the server's process, or the column is left out.
 * - workloads: the workloads it runs (all when left out).
 * - packages: the wsgate packages it loads (their builds are copied when the run starts).
 * - optIn: true for a server that runs only when `--servers` names it.
 * - adapter: for an adapter, `{ peer, core }`: the column it is compared with (its framework's
 *   usual WebSocket package) and wsgate's own server, which its echo should be within 10% of.
 *
 * The peers run as their users get them: each on the ws it depends on, which takes bufferutil
 * when it resolves (it does here: bufferutil is a dev dependency of the bench).
 */
/** What adapters and their peers run: echo at three sizes, and handshakes. */
export const ADAPTER_WORKLOADS = [
  'echo-32-binary',
  'echo-16k-binary',
  'echo-1m-binary',
  'handshakes',
];

export const servers = [
  {
    id: 'wsgate',
    label: 'wsgate',
    file: 'wsgate.mjs',
    role: 'subject',
    transport: 'websocket',
    packages: ['core'],
  },
  {
    id: 'ws',
    label: 'ws 8',
    file: 'ws.mjs',
    role: 'baseline',
    transport: 'websocket',
    // ws picks bufferutil up whenever it can be resolved; the plain column must not.
    env: { WS_NO_BUFFER_UTIL: '1' },
  },
  {
    id: 'ws-bufferutil',
    label: 'ws 8 + bufferutil',
    file: 'ws-bufferutil.mjs',
    role: 'reference',
    transport: 'websocket',
    requires: ['bufferutil'],
  },
  { id: 'tcp', label: 'raw TCP echo', file: 'tcp.mjs', role: 'ceiling', transport: 'tcp' },
  {
    // wsgate with the OpenTelemetry SDK registered: only when named (--servers wsgate,wsgate-otel).
    id: 'wsgate-otel',
    label: 'wsgate + OpenTelemetry SDK',
    file: 'wsgate-otel.mjs',
    role: 'reference',
    transport: 'websocket',
    packages: ['core'],
    optIn: true,
    workloads: ['echo-32-binary', 'echo-32-text', 'handshakes'],
  },
  {
    // wsgate's server in a process holding an Express app and a Nest context: only when named.
    id: 'wsgate-app-heap',
    label: "wsgate, an app's heap",
    file: 'wsgate-app-heap.mjs',
    role: 'reference',
    transport: 'websocket',
    packages: ['core'],
    optIn: true,
    workloads: ['echo-32-binary', 'echo-16k-binary', 'echo-1m-binary'],
  },
  {
    // wsgate from another build (WSGATE_BENCH_BEFORE), e.g. before a change: only when named.
    id: 'wsgate-before',
    label: 'wsgate (build before)',
    file: 'wsgate-before.mjs',
    role: 'reference',
    transport: 'websocket',
    optIn: true,
    workloads: ['echo-32-binary', 'echo-32-text', 'handshakes'],
  },
  ...adapterPair('express', '@wsgate/express', 'express-ws', 'express-ws 5'),
  ...adapterPair('koa', '@wsgate/koa', 'koa-easy-ws', 'koa-easy-ws 2'),
  ...adapterPair('nestjs', '@wsgate/nestjs', 'nestjs-ws', '@nestjs/platform-ws'),
];

function adapterPair(id, label, peerId, peerLabel) {
  return [
    {
      id,
      label,
      file: `${id}.mjs`,
      role: 'adapter',
      transport: 'websocket',
      workloads: ADAPTER_WORKLOADS,
      packages: ['core', id],
      adapter: { peer: peerId, core: 'wsgate' },
    },
    {
      id: peerId,
      label: peerLabel,
      file: `${peerId}.mjs`,
      role: 'peer',
      transport: 'websocket',
      workloads: ADAPTER_WORKLOADS,
    },
  ];
}

export function runsWorkload(entry, workloadId) {
  return entry.workloads === undefined || entry.workloads.includes(workloadId);
}

export const SUBJECT = 'wsgate';
export const BASELINE = 'ws';
