/**
 * The servers the benchmark compares, in the order they alternate within each repetition.
 *
 * Each entry names one file in this folder. The file exports `start({ host, port, mode })`,
 * which listens and resolves with `{ port, connections(), info }`; `mode` is "echo" (send every
 * message back to its sender, text as text and binary as binary) or "broadcast" (send every
 * message to every connection). `launch.mjs` runs it as its own process.
 *
 * To add a server (an adapter: express, koa, nestjs, ...), write `servers/<id>.mjs` and add one
 * entry here; every workload runs against it and it gets its own column.
 *
 * - role: "subject" is what we measure, "baseline" what ratios are taken against, "reference" a
 *   column to compare with, "ceiling" what no WebSocket server can beat on this machine.
 * - transport: "websocket", or "tcp" for a plain TCP echo (the load generator then skips the
 *   upgrade and the echoed frames come back still masked).
 * - env: variables set for that server's process only.
 * - requires: packages that must load in the server's process, or the column is left out.
 */
export const servers = [
  { id: 'wsgate', label: 'wsgate', file: 'wsgate.mjs', role: 'subject', transport: 'websocket' },
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
];

export const SUBJECT = 'wsgate';
export const BASELINE = 'ws';
