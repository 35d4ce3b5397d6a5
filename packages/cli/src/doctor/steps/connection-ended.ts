import { catalogue } from '@wsgate/core';
import { closeAdvice, closeCodeMeaning } from '../advice/close-codes.js';
import { frameFaultDiagnosis } from '../advice/frame-faults.js';
import { closeReasonCode, codesForCloseCode, describeCode } from '../diagnosis.js';
import type { ProbeContext } from '../probe-context.js';
import type { SessionEvent } from '../session-reader.js';
import type { StepName } from '../types.js';
import { deadlineIn, type Wire } from '../wire.js';

// How the connection can end under the echo and close steps, and what the report says of it.

/** How long to wait for the server to close TCP after the closing handshake. */
export const TCP_CLOSE_WAIT_MS = 2_000;

type Failure = Extract<SessionEvent, { kind: 'failure' }>;
type Close = Extract<SessionEvent, { kind: 'close' }>;

/** Core's session failed the connection (and sent the close frame a wsgate server would). */
export function failedFrame(probe: ProbeContext, step: StepName, event: Failure): false {
  const inflating = event.code === 'WSG_COMPRESSED_DATA_INVALID' || /inflate/.test(event.detail);
  return probe.failWith(
    step,
    event.code,
    frameFaultDiagnosis({
      code: event.code,
      detail: event.detail,
      frame: event.frame,
      compressed: inflating ? probe.codec?.refused : undefined,
      deflate: probe.deflate,
    }),
  );
}

/** TCP ended without a close frame: 1006. */
export function connectionLost(
  probe: ProbeContext,
  step: StepName,
  error: NodeJS.ErrnoException | undefined,
  elapsed: number,
): false {
  const lastSent = probe.reader?.lastSent;
  probe.report.close = { initiatedBy: 'server', code: 1006, reason: '' };
  return probe.failWith(
    step,
    'WSG_CONNECTION_LOST',
    {
      summary: `The server ${error?.code === 'ECONNRESET' ? 'reset' : 'closed'} the TCP connection without a close frame (1006: ${closeCodeMeaning(1006)}).`,
      observed: [
        `TCP ${error?.code === 'ECONNRESET' ? 'reset (RST)' : 'closed (FIN)'} ${elapsed} ms after: ${lastSent?.description ?? 'the handshake'}`,
        ...(lastSent === undefined ? [] : [`the doctor's last frame: ${lastSent.hex}`]),
      ],
      causes: [
        `The server crashed or dropped the connection on ${lastSent?.description ?? 'this frame'}.`,
        'A proxy between closed the connection (an idle timeout, a frame it does not like).',
      ],
      fix: [
        'Look at the server log at this time: a crash or an unhandled error usually shows there.',
      ],
    },
    elapsed,
  );
}

/** The server sent a close frame first (core's session answered it): explain it. */
export async function serverClosed(
  probe: ProbeContext,
  step: StepName,
  event: Close,
  elapsed: number,
): Promise<false> {
  const { code, reason } = event;
  // The frame the server answered: the doctor's last before the server's close.
  const lastSent = event.sentBefore;
  await awaitTcpClose(probe);
  const reasonCode = closeReasonCode(reason);
  probe.report.close = {
    initiatedBy: 'server',
    code,
    reason,
    ...(reasonCode === undefined ? {} : { reasonCode }),
  };
  const closeLine = `close frame from the server: ${code} (${closeCodeMeaning(code)})${reason === '' ? ', no reason' : `, reason ${JSON.stringify(reason)}`}`;
  const observed = [
    closeLine,
    ...(lastSent === undefined
      ? []
      : [
          `${elapsed} ms after the doctor sent: ${lastSent.description}`,
          `that frame's bytes: ${lastSent.hex}`,
        ]),
  ];
  if (reasonCode !== undefined) {
    return probe.failWith(
      step,
      reasonCode,
      {
        summary: `The server closed with ${code} ${reasonCode}: ${catalogue[reasonCode].title}.`,
        observed,
        causes: [
          `A wsgate server names the rule: ${describeCode(reasonCode)}.`,
          ...(code === 1002 && lastSent !== undefined
            ? [`It objected to the doctor's ${lastSent.description}.`]
            : []),
        ],
        serverCode: reasonCode,
      },
      elapsed,
    );
  }
  const candidates = codesForCloseCode(code);
  const advice = closeAdvice({
    code,
    frame: lastSent?.description ?? 'frame',
    deflate: probe.deflate,
    send: probe.options.send,
  });
  const causes = [...advice.causes];
  if (candidates.length > 0) {
    causes.push(
      `wsgate closes with ${code} for: ${candidates.map((candidate) => `${candidate} (${catalogue[candidate].title})`).join('; ')}.`,
    );
  }
  return probe.failWith(
    step,
    'WSG_CLOSE_UNEXPECTED',
    {
      summary: `The server closed the connection with ${code} (${closeCodeMeaning(code)})${reason === '' ? '' : `: ${JSON.stringify(reason)}`}.`,
      observed,
      causes,
      fix: [...advice.fix],
    },
    elapsed,
  );
}

/**
 * Waits for the server to close TCP after the closing handshake (RFC 6455 §7.1.1: the server
 * closes first), then closes the doctor's side. False when the server left it open.
 */
export async function awaitTcpClose(probe: ProbeContext): Promise<boolean> {
  const wire = probe.wire as Wire;
  const deadline = deadlineIn(Math.min(probe.timeoutMs, TCP_CLOSE_WAIT_MS));
  let closed = false;
  for (;;) {
    const read = await wire.read(deadline);
    if (read.kind === 'data') continue;
    closed = read.kind === 'end';
    break;
  }
  if (closed) probe.log.event('TCP closed by the server');
  const socket = wire.socket;
  if (!socket.destroyed) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 200);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }
  return closed;
}
