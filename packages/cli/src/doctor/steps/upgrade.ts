import {
  formatDeflateOffer,
  generateClientKey,
  HttpResponseParser,
  serializeClientRequest,
} from '@wsgate/core/protocol';
import { diagnoseRefusal } from '../answer/refusal.js';
import { roundMs, toHex } from '../exchange-log.js';
import type { ProbeContext } from '../probe-context.js';
import { readRefusalBody } from '../refusal-body.js';
import { deadlineIn, type Wire } from '../wire.js';
import { noAnswer, noAnswerInTime, notHttp } from './upgrade-unanswered.js';

/**
 * The upgrade step: sends the upgrade request as a browser would and reads the answer's head.
 * A 101 is left for the switch step; any other answer is diagnosed here, with its body.
 */
export async function runUpgradeStep(probe: ProbeContext): Promise<boolean> {
  const wire = probe.wire as Wire;
  const { target, options } = probe;
  const key = generateClientKey();
  const extensionsOffer = options.perMessageDeflate === false ? undefined : formatDeflateOffer();
  const headers: Record<string, string> = { ...options.headers };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent'))
    headers['User-Agent'] = 'wsgate-doctor';
  const requestText = serializeClientRequest({
    host: target.hostHeader,
    path: target.resource,
    key,
    origin: options.origin,
    subprotocols: options.subprotocols,
    extensions: extensionsOffer,
    headers,
  });
  probe.request = {
    url: probe.report.url ?? '',
    secure: target.secure,
    resource: target.resource,
    key,
    origin: options.origin,
    subprotocols: options.subprotocols ?? [],
    extensionsOffer,
    headerNames: Object.keys(headers),
  };
  const sentAt = performance.now();
  wire.write(requestText);
  probe.log.add({
    direction: 'sent',
    kind: 'head',
    summary: `GET ${target.resource} (upgrade request)`,
    text: requestText,
  });

  const parser = new HttpResponseParser();
  const deadline = deadlineIn(probe.timeoutMs);
  const received: Buffer[] = [];
  for (;;) {
    const read = await wire.read(deadline);
    const elapsed = roundMs(performance.now() - sentAt);
    if (read.kind === 'end') return noAnswer(probe, Buffer.concat(received), read.error, elapsed);
    if (read.kind === 'timeout') return noAnswerInTime(probe, Buffer.concat(received), elapsed);
    received.push(read.bytes);
    const all = Buffer.concat(received);
    if (!startsLikeHttp(all)) {
      probe.log.add({
        direction: 'received',
        kind: 'bytes',
        summary: `${all.length} bytes that are not HTTP`,
        hex: toHex(all),
      });
      return notHttp(probe, all, elapsed);
    }
    const result = parser.push(read.bytes);
    if (result.state === 'incomplete') continue;
    if (result.state === 'failed') {
      probe.log.add({
        direction: 'received',
        kind: 'bytes',
        summary: 'an invalid HTTP head',
        hex: toHex(all),
        text: all.toString('latin1'),
      });
      return probe.failWith(
        'upgrade',
        'WSG_RESPONSE_MALFORMED',
        {
          summary: `The answer is not a valid HTTP/1.1 response head: ${result.detail}.`,
          observed: [
            `${all.length} bytes after ${elapsed} ms:`,
            ...all.toString('latin1').slice(0, 600).split('\r\n'),
          ],
          causes: [
            'The server (or a proxy) writes a broken HTTP head.',
            'The port speaks another protocol that happens to start like HTTP.',
          ],
          fix: ['Check what the server writes in answer to an upgrade request.'],
        },
        elapsed,
      );
    }
    const head = result.head;
    const statusLine = `HTTP/${head.httpVersion} ${head.status} ${head.statusText}`.trimEnd();
    probe.log.add({
      direction: 'received',
      kind: 'head',
      summary: statusLine,
      text: all.subarray(0, all.length - result.rest.length).toString('latin1'),
    });
    probe.report.response = {
      statusLine,
      status: head.status,
      headers: head.rawHeaders,
      elapsedMs: elapsed,
    };
    if (head.status === 101) {
      probe.step('upgrade').durationMs = elapsed;
      probe.switched = { head, rest: result.rest };
      return true;
    }
    const body = await readRefusalBody(wire, head, result.rest, probe.timeoutMs);
    probe.report.response = { ...probe.report.response, body };
    const verdict = diagnoseRefusal(head, body, probe.request, elapsed);
    // A refusal about the version fails the version step: the upgrade itself was answered.
    if (verdict.step !== 'upgrade')
      probe.pass('upgrade', `${statusLine} in ${elapsed} ms`, elapsed);
    return probe.fail(verdict.diagnosis, verdict.step === 'upgrade' ? elapsed : undefined);
  }
}

/** Whether bytes so far can be the start of "HTTP/". */
function startsLikeHttp(bytes: Buffer): boolean {
  const prefix = 'HTTP/';
  const n = Math.min(bytes.length, prefix.length);
  return bytes.subarray(0, n).toString('latin1') === prefix.slice(0, n);
}
