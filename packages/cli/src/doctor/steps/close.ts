import { closeCodeMeaning } from '../advice/close-codes.js';
import { closeReasonCode } from '../diagnosis.js';
import { roundMs } from '../exchange-log.js';
import type { ProbeContext } from '../probe-context.js';
import type { SessionReader } from '../session-reader.js';
import { deadlineIn } from '../wire.js';
import { awaitTcpClose, failedFrame, TCP_CLOSE_WAIT_MS } from './connection-ended.js';

const DOCTOR_CLOSE_REASON = 'wsgate doctor: done';

/** The close step: the doctor closes with 1000 and the server answers (RFC 6455 §7.1.2). */
export async function runCloseStep(probe: ProbeContext): Promise<boolean> {
  const reader = probe.reader as SessionReader;
  const startedAt = performance.now();
  reader.session.close(1000, DOCTOR_CLOSE_REASON);
  const deadline = deadlineIn(probe.timeoutMs);
  for (;;) {
    const event = await reader.next(deadline);
    const elapsed = roundMs(performance.now() - startedAt);
    switch (event.kind) {
      // Data and pongs may still arrive after the doctor's close (RFC 6455 §5.5.1).
      case 'message':
      case 'ping':
      case 'pong':
        continue;
      case 'failure':
        return failedFrame(probe, 'close', event);
      case 'end':
        probe.report.close = { initiatedBy: 'doctor', code: 1006, reason: '' };
        return probe.failWith(
          'close',
          'WSG_CONNECTION_LOST',
          {
            summary:
              'The server closed TCP without answering the close frame (1006: no close frame).',
            observed: [
              `the doctor sent close 1000; TCP ${event.error?.code === 'ECONNRESET' ? 'was reset' : 'closed'} ${elapsed} ms later without a close frame`,
            ],
            causes: [
              'The server does not implement the closing handshake (RFC 6455 §5.5.1, §7.1.2): browsers report such a close as 1006, not clean.',
            ],
            fix: ['Fix the server to answer a close frame with a close frame before closing TCP.'],
          },
          elapsed,
        );
      case 'timeout':
        probe.report.close = { initiatedBy: 'doctor', code: 1006, reason: '' };
        return probe.failWith(
          'close',
          'WSG_CLOSE_TIMEOUT',
          {
            summary: `The server did not answer the close frame within ${probe.timeoutMs} ms.`,
            observed: [
              `the doctor sent close 1000 "${DOCTOR_CLOSE_REASON}"; nothing came back in ${elapsed} ms`,
            ],
            causes: ['The server ignores close frames, or is stuck.'],
            fix: ['Fix the server to answer a close frame with a close frame (RFC 6455 §5.5.1).'],
          },
          elapsed,
        );
      case 'close':
        return answered(probe, event.code, event.reason, elapsed);
    }
  }
}

async function answered(
  probe: ProbeContext,
  code: number,
  reason: string,
  elapsed: number,
): Promise<boolean> {
  const reasonCode = closeReasonCode(reason);
  probe.report.close = {
    initiatedBy: 'doctor',
    code,
    reason,
    ...(reasonCode === undefined ? {} : { reasonCode }),
  };
  const closedTcp = await awaitTcpClose(probe);
  if (!closedTcp) {
    probe.report.notes.push(
      `The server answered the close frame but did not close TCP within ${TCP_CLOSE_WAIT_MS} ms (RFC 6455 §7.1.1 has the server close it first); the doctor closed it.`,
    );
  }
  const shown = `${code} (${closeCodeMeaning(code)})${reason === '' ? '' : ` ${JSON.stringify(reason)}`}`;
  if (code === 1000 || code === 1001 || code === 1005) {
    return probe.pass(
      'close',
      `the server answered close ${shown} in ${elapsed} ms${closedTcp ? ' and closed TCP' : ''}`,
      elapsed,
    );
  }
  return probe.failWith(
    'close',
    reasonCode ?? 'WSG_CLOSE_UNEXPECTED',
    {
      summary: `The server answered the doctor's normal close (1000) with ${shown}.`,
      observed: [`close frame from the server: ${shown}`],
      causes: [
        'The server treats the closing handshake as an error, or reports an error that happened earlier.',
      ],
      fix: ['Check the server log for this connection.'],
      ...(reasonCode === undefined ? {} : { serverCode: reasonCode }),
    },
    elapsed,
  );
}
