import { classifySocketError } from '@wsgate/core/adapter';
import type { ProbeContext } from '../probe-context.js';
import { connectTcp } from '../transport/tcp.js';
import { Wire } from '../wire.js';

/** The tcp step: the port accepts a connection. */
export async function runTcpStep(probe: ProbeContext): Promise<boolean> {
  const { target, address } = probe;
  const result = await connectTcp(address, target.port, probe.timeoutMs, (socket) => {
    probe.track(socket);
    // A wss:// capture records the clear text, from the TLS socket (see the tls step).
    if (!target.secure) probe.capture?.track(socket, 'client');
  });
  probe.log.event(
    result.ok
      ? `TCP connected to ${probe.endpoint} from ${result.socket.localAddress}:${result.socket.localPort}`
      : `TCP to ${probe.endpoint} failed: ${result.timedOut ? 'timeout' : (result.error?.code ?? 'error')}`,
  );
  if (result.ok) {
    if (!target.secure) probe.wire = new Wire(result.socket);
    return probe.pass('tcp', `connected to ${probe.endpoint} in ${result.ms} ms`, result.ms);
  }
  const hostNote = target.host === address ? '' : ` (${target.host} resolved to ${address})`;
  if (result.timedOut) {
    return probe.failWith(
      'tcp',
      'WSG_CONNECT_TIMEOUT',
      {
        summary: `No TCP connection to ${probe.endpoint} within ${probe.timeoutMs} ms${hostNote}.`,
        observed: [`connect(${probe.endpoint}): no SYN-ACK within ${probe.timeoutMs} ms`],
        causes: [
          'A firewall or security group silently drops packets to this port.',
          `The address ${address} is wrong or unreachable from this network.`,
          'The server is overloaded and its accept queue is full.',
        ],
        fix: [
          'Check firewalls and security groups for this port; try from a machine next to the server.',
        ],
      },
      result.ms,
    );
  }
  const error = result.error as NodeJS.ErrnoException;
  const code = classifySocketError(error);
  const observed = [
    `connect(${probe.endpoint}): ${error.code ?? 'error'} (${error.message}) after ${result.ms} ms`,
  ];
  if (code === 'WSG_CONNECT_REFUSED') {
    return probe.failWith(
      'tcp',
      code,
      {
        summary: `Connection refused by ${probe.endpoint}${hostNote}: nothing listens there.`,
        observed,
        causes: [
          `No server listens on port ${target.port} at ${address}: it is not running, or listens on another port.`,
          'The server listens on another interface (127.0.0.1 versus 0.0.0.0 versus ::1): a name like localhost may resolve to the other one.',
          'A firewall actively rejects the connection.',
        ],
        fix: [
          `Start the server, or check what listens on the port: ss -ltnp 'sport = :${target.port}'`,
        ],
      },
      result.ms,
    );
  }
  return probe.failWith(
    'tcp',
    code,
    { summary: `TCP to ${probe.endpoint} failed: ${error.code ?? error.message}.`, observed },
    result.ms,
  );
}
