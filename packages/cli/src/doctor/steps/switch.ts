import { createSessionCompression } from '@wsgate/core/adapter';
import {
  acceptDeflateResponse,
  PERMESSAGE_DEFLATE,
  type SessionCompression,
  validateServerResponse,
} from '@wsgate/core/protocol';
import { diagnoseBadSwitch } from '../answer/bad-switch.js';
import { ObservedCodec } from '../observed-codec.js';
import type { ProbeContext } from '../probe-context.js';
import { SessionReader } from '../session-reader.js';
import type { Wire } from '../wire.js';

const VERSION_OK = 'Sec-WebSocket-Accept matches the key (RFC 6455, version 13)';

/**
 * The version, subprotocol and extensions steps: what the 101 says (RFC 6455 §4.2.2, RFC 7692
 * §7.1). When it holds, the connection is handed to core's client session.
 */
export function runSwitchSteps(probe: ProbeContext): boolean {
  const { head, rest } = probe.switched ?? {};
  if (head === undefined || rest === undefined) return false;
  const request = probe.request;
  const outcome = validateServerResponse(head, {
    key: request.key,
    subprotocols: request.subprotocols,
    extensionNames: request.extensionsOffer === undefined ? [] : [PERMESSAGE_DEFLATE],
  });
  const response = probe.report.response;
  const upgraded = `${response?.statusLine ?? '101'} in ${response?.elapsedMs} ms`;
  if (!outcome.ok) {
    const verdict = diagnoseBadSwitch(outcome.code, outcome.detail, head, request);
    // The steps before the one that failed passed: the 101 came, the key matched...
    if (verdict.step !== 'upgrade') probe.pass('upgrade', upgraded);
    if (verdict.step === 'subprotocol' || verdict.step === 'extensions')
      probe.pass('version', VERSION_OK);
    if (verdict.step === 'extensions')
      passSubprotocol(probe, head.headers['sec-websocket-protocol']?.trim());
    return probe.fail(verdict.diagnosis);
  }
  probe.pass('upgrade', upgraded, response?.elapsedMs);
  probe.pass('version', VERSION_OK);
  passSubprotocol(probe, outcome.subprotocol);
  const accepted = outcome.extensions.find((extension) => extension.name === PERMESSAGE_DEFLATE);
  const agreement = accepted === undefined ? undefined : acceptDeflateResponse(accepted);
  if (accepted !== undefined && agreement === undefined) {
    return probe.fail(
      diagnoseBadSwitch(
        'WSG_RESPONSE_EXTENSION_UNOFFERED',
        `the server's permessage-deflate parameters do not fit the offer: ${head.headers['sec-websocket-extensions']}`,
        head,
        request,
      ).diagnosis,
    );
  }
  probe.deflate = agreement !== undefined;
  let compression: SessionCompression | undefined;
  if (agreement !== undefined) {
    // The server's messages are inflated with the agreed window and context takeover (RFC 7692
    // §7.2.3) by core's codec. The doctor's own messages go uncompressed (no threshold is
    // reached), so the log shows the bytes as typed.
    probe.codec = new ObservedCodec(createSessionCompression(agreement, 'client').codec);
    compression = {
      codec: probe.codec,
      thresholdBytes: Number.POSITIVE_INFINITY,
    };
  }
  probe.reader = new SessionReader(probe.wire as Wire, probe.log, compression);
  probe.reader.receive(rest);
  probe.pass(
    'extensions',
    accepted !== undefined
      ? `${head.headers['sec-websocket-extensions']} accepted`
      : request.extensionsOffer === undefined
        ? 'none offered, none accepted'
        : 'permessage-deflate offered, the server declined it (fine: messages go uncompressed)',
  );
  return true;
}

function passSubprotocol(probe: ProbeContext, chosen: string | undefined): void {
  const offered = probe.request.subprotocols;
  if (offered.length === 0) {
    probe.pass(
      'subprotocol',
      chosen === undefined ? 'none offered, none chosen' : `the server chose ${chosen}`,
    );
    return;
  }
  if (chosen === undefined) {
    probe.report.notes.push(
      `The server chose none of the offered subprotocols (${offered.join(', ')}): browsers accept this, but an application that expects one may then close the connection.`,
    );
    probe.pass('subprotocol', `none chosen from ${offered.join(', ')}`);
    return;
  }
  probe.pass('subprotocol', `${chosen} chosen from ${offered.join(', ')}`);
}
