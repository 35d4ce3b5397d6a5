/**
 * What the benchmark measures. A workload is one kind of run (one server process, one load
 * generator invocation); it yields one or more metrics, each a row of the table.
 *
 * - serverMode: what the server does with a message ("echo" or "broadcast").
 * - loadgen: the load generator's mode and options; the harness adds --port, --server-pid,
 *   --warmup, --duration and, for a TCP server, --raw.
 * - kind "idle-memory": the harness opens many idle connections and reads the server's RSS.
 * - perServerCpu: the metric is also divided by the server's CPU use (in cores) in each run: work
 *   per CPU-second, which a machine shared with other jobs disturbs far less than throughput.
 */

const MB = 1e6;

export const workloads = [
  {
    id: 'echo-32-binary',
    label: '32 B binary echo, 100 conns × 10 in flight',
    serverMode: 'echo',
    loadgen: ['echo', '--conns', '100', '--inflight', '10', '--size', '32', '--opcode', 'binary'],
    metrics: [
      {
        id: 'echo-32-binary',
        perServerCpu: true,
        label: '32 B binary echo',
        unit: 'msg/s',
        better: 'higher',
        value: (r) => r.messages / r.seconds,
      },
    ],
  },
  {
    id: 'echo-32-text',
    label: '32 B text echo, 100 conns × 10 in flight',
    serverMode: 'echo',
    loadgen: ['echo', '--conns', '100', '--inflight', '10', '--size', '32', '--opcode', 'text'],
    metrics: [
      {
        id: 'echo-32-text',
        perServerCpu: true,
        label: '32 B text echo',
        unit: 'msg/s',
        better: 'higher',
        value: (r) => r.messages / r.seconds,
      },
    ],
  },
  {
    id: 'echo-16k-binary',
    label: '16 KiB binary echo, 100 conns × 10 in flight',
    serverMode: 'echo',
    loadgen: [
      'echo',
      '--conns',
      '100',
      '--inflight',
      '10',
      '--size',
      '16384',
      '--opcode',
      'binary',
    ],
    metrics: [
      {
        id: 'echo-16k-binary',
        perServerCpu: true,
        label: '16 KiB binary echo',
        unit: 'MB/s',
        better: 'higher',
        value: (r) => r.bytes / r.seconds / MB,
      },
    ],
  },
  {
    id: 'echo-1m-binary',
    label: '1 MiB binary echo, 10 conns × 4 in flight',
    serverMode: 'echo',
    loadgen: [
      'echo',
      '--conns',
      '10',
      '--inflight',
      '4',
      '--size',
      '1048576',
      '--opcode',
      'binary',
    ],
    metrics: [
      {
        id: 'echo-1m-binary',
        perServerCpu: true,
        label: '1 MiB binary echo',
        unit: 'MB/s',
        better: 'higher',
        value: (r) => r.bytes / r.seconds / MB,
      },
    ],
  },
  {
    // The other shape of a large-message client: each connection sends its next 1 MiB only once
    // the echo of the previous one is back (no pipelining): every message waits on the whole
    // read, reassembly, unmasking and write of the one before it, with nothing to overlap.
    id: 'echo-1m-serial',
    label: '1 MiB binary echo, 4 conns × 1 in flight (next sent after the echo)',
    serverMode: 'echo',
    loadgen: ['echo', '--conns', '4', '--inflight', '1', '--size', '1048576', '--opcode', 'binary'],
    metrics: [
      {
        id: 'echo-1m-serial',
        perServerCpu: true,
        label: '1 MiB binary echo, 1 in flight',
        unit: 'MB/s',
        better: 'higher',
        value: (r) => r.bytes / r.seconds / MB,
      },
    ],
  },
  {
    id: 'handshakes',
    label: 'connect, upgrade, close handshake, TCP close; 128 at a time',
    serverMode: 'echo',
    loadgen: ['handshake', '--concurrency', '128'],
    metrics: [
      {
        id: 'handshakes',
        perServerCpu: true,
        label: 'handshakes',
        unit: 'conn/s',
        better: 'higher',
        value: (r) => r.cycles / r.seconds,
      },
    ],
  },
  {
    id: 'latency',
    label: '32 B binary round trip, 1 conn × 1 in flight',
    serverMode: 'echo',
    loadgen: ['echo', '--conns', '1', '--inflight', '1', '--size', '32', '--opcode', 'binary'],
    metrics: [
      {
        id: 'latency-p50',
        label: 'round trip p50',
        unit: 'µs',
        better: 'lower',
        value: (r) => r.p50Us,
      },
      {
        id: 'latency-p99',
        label: 'round trip p99',
        unit: 'µs',
        better: 'lower',
        value: (r) => r.p99Us,
      },
    ],
  },
  {
    id: 'broadcast',
    label: '64 B binary from 1 sender (10 in flight) to all of 1,000 conns',
    serverMode: 'broadcast',
    loadgen: [
      'broadcast',
      '--conns',
      '1000',
      '--inflight',
      '10',
      '--size',
      '64',
      '--opcode',
      'binary',
    ],
    metrics: [
      {
        id: 'broadcast',
        perServerCpu: true,
        label: 'broadcast to 1,000',
        unit: 'deliveries/s',
        better: 'higher',
        value: (r) => r.messages / r.seconds,
      },
    ],
  },
  {
    id: 'idle-memory',
    kind: 'idle-memory',
    label: 'server RSS growth per idle connection (after full GC)',
    serverMode: 'echo',
    metrics: [
      {
        id: 'idle-memory',
        label: 'memory per idle conn',
        unit: 'KiB',
        better: 'lower',
        value: (r) => r.rssBytesPerConnection / 1024,
      },
      {
        // Not a target: the JS heap that stays per connection, without the young generation that
        // V8 grows to its cap during any burst of long-lived connections (part of the RSS figure).
        id: 'idle-heap',
        label: 'JS heap per idle conn',
        unit: 'KiB',
        better: 'lower',
        value: (r) => r.heapBytesPerConnection / 1024,
      },
    ],
  },
];

/**
 * The goals of issue #8, as ratios of wsgate's median to another column's median (`subject`, when
 * set, replaces wsgate's standalone server: an adapter).
 */
export const targets = [
  {
    metric: 'echo-32-binary',
    against: 'ws',
    op: '>=',
    factor: 3,
    text: '32 B binary echo ≥ 3× ws',
  },
  { metric: 'echo-32-text', against: 'ws', op: '>=', factor: 3, text: '32 B text echo ≥ 3× ws' },
  {
    metric: 'echo-16k-binary',
    against: 'ws-bufferutil',
    op: '>=',
    factor: 1,
    text: '16 KiB echo ≥ ws + bufferutil',
  },
  {
    metric: 'echo-1m-binary',
    against: 'ws-bufferutil',
    op: '>=',
    factor: 1,
    text: '1 MiB echo ≥ ws + bufferutil',
  },
  {
    metric: 'echo-1m-binary',
    against: 'tcp',
    op: '>=',
    factor: 0.9,
    text: '1 MiB echo within 10% of raw TCP',
  },
  {
    metric: 'echo-1m-serial',
    against: 'ws-bufferutil',
    op: '>=',
    factor: 1,
    text: '1 MiB echo, 1 in flight, ≥ ws + bufferutil',
  },
  {
    metric: 'echo-32-binary',
    against: 'tcp',
    op: '>=',
    factor: 0.75,
    text: '32 B echo ≥ 0.75× raw TCP (stretch)',
  },
  { metric: 'handshakes', against: 'ws', op: '>=', factor: 2, text: 'handshakes/s ≥ 2× ws' },
  {
    metric: 'handshakes',
    against: 'tcp',
    op: '>=',
    factor: 0.9,
    text: 'handshakes/s within 10% of raw TCP accept + echo (the ceiling)',
  },
  {
    metric: 'idle-memory',
    against: 'ws',
    op: '<=',
    factor: 0.75,
    text: 'memory per idle conn ≤ 0.75× ws',
  },
  { metric: 'latency-p50', against: 'ws', op: '<=', factor: 1, text: 'round trip p50 ≤ ws' },
  { metric: 'latency-p99', against: 'ws', op: '<=', factor: 1, text: 'round trip p99 ≤ ws' },
];

const ADAPTER_ECHO = [
  ['echo-32-binary', '32 B'],
  ['echo-16k-binary', '16 KiB'],
  ['echo-1m-binary', '1 MiB'],
];

/**
 * The goals for each adapter in the run: handshakes at least its peer's (express-ws, ...), and
 * echo throughput within 10% of wsgate's standalone server.
 */
export function adapterTargets(servers) {
  return servers
    .filter((entry) => entry.adapter !== undefined)
    .flatMap((entry) => {
      const peer = servers.find((other) => other.id === entry.adapter.peer);
      return [
        ...(peer === undefined
          ? []
          : [
              {
                metric: 'handshakes',
                subject: entry.id,
                against: peer.id,
                op: '>=',
                factor: 1,
                text: `${entry.label} handshakes/s ≥ ${peer.label}`,
              },
            ]),
        ...ADAPTER_ECHO.map(([metric, size]) => ({
          metric,
          subject: entry.id,
          against: entry.adapter.core,
          op: '>=',
          factor: 0.9,
          text: `${entry.label} ${size} echo within 10% of wsgate's server`,
        })),
      ];
    });
}
