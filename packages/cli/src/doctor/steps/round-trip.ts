import { randomBytes } from 'node:crypto';
import { roundMs } from '../exchange-log.js';
import { showMessage } from '../frame-text.js';
import type { ProbeContext } from '../probe-context.js';
import type { SessionEvent, SessionReader } from '../session-reader.js';
import { deadlineIn } from '../wire.js';
import { connectionLost, failedFrame, serverClosed } from './connection-ended.js';

/**
 * The echo step: a ping and its pong, or with --send a message and the reply. What the server
 * sent before the doctor's first frame (a greeting that came with the 101) is noted first, and
 * never taken for the reply.
 */
export async function runRoundTripStep(probe: ProbeContext): Promise<boolean> {
  const reader = probe.reader as SessionReader;
  for (const event of reader.takeReceived()) {
    const outcome = await greeting(probe, event);
    if (outcome !== undefined) return outcome;
  }
  const send = probe.options.send;
  const payload =
    send === undefined
      ? Buffer.from(`wsgate-doctor ${randomBytes(4).toString('hex')}`)
      : Buffer.from(send, 'utf8');
  const startedAt = performance.now();
  if (send === undefined) reader.session.ping(payload);
  else reader.session.send(payload, true);
  const sentText =
    send === undefined ? `ping ${JSON.stringify(payload.toString())}` : showMessage(payload, true);
  const deadline = deadlineIn(probe.timeoutMs);
  for (;;) {
    const event = await reader.next(deadline);
    const elapsed = roundMs(performance.now() - startedAt);
    switch (event.kind) {
      case 'failure':
        return failedFrame(probe, 'echo', event);
      case 'end':
        return connectionLost(probe, 'echo', event.error, elapsed);
      case 'timeout':
        return noReply(probe, sentText, elapsed);
      case 'close':
        return serverClosed(probe, 'echo', event, elapsed);
      case 'ping':
        notePing(probe, event.payload);
        continue;
      case 'pong':
        if (send === undefined && event.payload.equals(payload)) {
          probe.report.roundTrip = {
            kind: 'ping',
            sent: sentText,
            received: `pong ${JSON.stringify(event.payload.toString())}`,
            elapsedMs: elapsed,
          };
          return probe.pass('echo', `ping answered by a pong in ${elapsed} ms`, elapsed);
        }
        probe.report.notes.push(
          `The server sent a pong that does not match the doctor's ping (${event.payload.length} bytes).`,
        );
        continue;
      case 'message': {
        const shown = showMessage(event.data, event.isText);
        if (send === undefined) {
          noteMessage(probe, event.isText, shown);
          continue;
        }
        probe.report.roundTrip = {
          kind: 'echo',
          sent: sentText,
          received: shown,
          elapsedMs: elapsed,
        };
        const echoed = event.isText && event.data.equals(payload);
        return probe.pass(
          'echo',
          `${echoed ? 'echoed' : `replied ${shown}`} in ${elapsed} ms`,
          elapsed,
        );
      }
    }
  }
}

/** An event from before the doctor's first frame: noted, or the end of the probe. */
async function greeting(probe: ProbeContext, event: SessionEvent): Promise<boolean | undefined> {
  switch (event.kind) {
    case 'failure':
      return failedFrame(probe, 'echo', event);
    case 'close':
      return serverClosed(probe, 'echo', event, 0);
    case 'ping':
      notePing(probe, event.payload);
      return undefined;
    case 'message':
      noteMessage(probe, event.isText, showMessage(event.data, event.isText));
      return undefined;
    default:
      return undefined;
  }
}

function notePing(probe: ProbeContext, payload: Buffer): void {
  probe.report.notes.push(
    `The server sent a ping (${payload.length} bytes); the doctor answered with a pong.`,
  );
}

function noteMessage(probe: ProbeContext, isText: boolean, shown: string): void {
  probe.report.notes.push(
    `The server sent a ${isText ? 'text' : 'binary'} message first: ${shown}`,
  );
}

function noReply(probe: ProbeContext, sentText: string, elapsed: number): false {
  const ping = probe.options.send === undefined;
  return probe.failWith(
    'echo',
    'WSG_REPLY_TIMEOUT',
    {
      summary: ping
        ? `No pong for the doctor's ping within ${probe.timeoutMs} ms.`
        : `No reply to the message within ${probe.timeoutMs} ms.`,
      observed: [
        `sent: ${sentText} at ${probe.reader?.lastSent?.atMs} ms`,
        `nothing came back in ${elapsed} ms`,
      ],
      causes: ping
        ? [
            'The server does not answer pings (RFC 6455 §5.5.2 requires a pong).',
            'A proxy between holds frames back (buffering).',
          ]
        : [
            'This endpoint does not answer this message (it is not an echo, or expects another format).',
            'A proxy between holds frames back (buffering).',
            'The server is slow or stuck handling messages.',
          ],
      fix: ping
        ? ['Fix the server to answer pings.']
        : [
            'Send a message the endpoint answers (--send), or check its handler; without --send the doctor checks the connection with a ping.',
          ],
    },
    elapsed,
  );
}
