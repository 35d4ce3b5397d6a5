import { catalogue, errorCodes } from '@wsgate/core';
import { isHandshakeCode } from '@wsgate/core/adapter';
import { describe, expect, it } from 'vitest';
import { diagnoseRefusal } from '../src/doctor/answer/refusal.js';
import type { RequestContext } from '../src/doctor/answer/request-context.js';
import { stepNames } from '../src/main.js';

// docs/errors.md tells, per code, what `wsgate doctor` checks (the catalogue's `doctor` field).
// These tests hold those sentences to what the doctor does.

const request: RequestContext = {
  url: 'ws://127.0.0.1:9001/chat',
  secure: false,
  resource: '/chat',
  key: 'dGhlIHNhbXBsZSBub25jZQ==',
  origin: undefined,
  subprotocols: [],
  extensionsOffer: 'permessage-deflate; client_max_window_bits',
  headerNames: ['User-Agent'],
};

const handshakeCodes = errorCodes.filter(isHandshakeCode);

describe("the catalogue's doctor sentences match the doctor", () => {
  it.each(handshakeCodes)(
    '%s: a wsgate refusal with this code is reported with the client code and step its sentence names',
    (code) => {
      const entry = catalogue[code];
      const status = entry.status;
      const extra = Object.entries(entry.headers ?? {});
      const rawHeaders: Array<[string, string]> = [['X-WSGate-Error', code], ...extra];
      const verdict = diagnoseRefusal(
        {
          httpVersion: '1.1',
          status,
          statusText: 'Refused',
          headers: Object.fromEntries(
            rawHeaders.map(([name, value]) => [name.toLowerCase(), value]),
          ),
          rawHeaders,
        },
        '',
        request,
        1,
      );
      expect(verdict.diagnosis.serverCode).toBe(code);
      expect(entry.doctor).toContain(verdict.diagnosis.code);
      expect(entry.doctor).toContain(`\`${verdict.step}\``);
    },
  );

  it.each(errorCodes.filter((code) => catalogue[code].kind === 'client'))(
    '%s names the step that reports it',
    (code) => {
      const steps = [...catalogue[code].doctor.matchAll(/`([a-z]+)`/g)].map((match) => match[1]);
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) expect(stepNames).toContain(step);
    },
  );
});
