import { describe, expect, test } from 'vitest';
import {
  type CatalogueEntry,
  catalogue,
  type ErrorCode,
  ErrorKind,
  errorCodes,
  isErrorCode,
} from '../../src/errors/catalogue.js';
import { statusText } from '../../src/errors/http-refusal.js';
import type { ClosePayload } from '../../src/protocol/close.js';
import { isValidWireCloseCode } from '../../src/protocol/close.js';

const entries: ReadonlyArray<readonly [ErrorCode, CatalogueEntry]> = errorCodes.map((code) => [
  code,
  catalogue[code],
]);
const ofKind = (kind: ErrorKind) => entries.filter(([, entry]) => entry.kind === kind);
const handshakeEntries = entries.flatMap(([code, entry]) =>
  entry.kind === 'handshake' ? [[code, entry] as const] : [],
);
const closingEntries = entries.flatMap(([code, entry]) =>
  entry.kind === 'protocol' || entry.kind === 'lifecycle' ? [[code, entry] as const] : [],
);
const has = (entry: CatalogueEntry, field: string): boolean => Object.hasOwn(entry, field);

describe('the error catalogue', () => {
  test('errorCodes lists every entry once', () => {
    expect(errorCodes).toEqual(Object.keys(catalogue));
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
    expect(errorCodes.length).toBeGreaterThan(40);
  });

  test.each(entries)('%s has a WSG_ code, a title, a cause and a fix', (code, entry) => {
    expect(code).toMatch(/^WSG_[A-Z0-9]+(?:_[A-Z0-9]+)*$/);
    expect(Object.values(ErrorKind)).toContain(entry.kind);
    for (const text of [entry.title, entry.cause, entry.fix]) {
      expect(typeof text).toBe('string');
      expect(text.trim().length).toBeGreaterThan(10);
      expect(text).toBe(text.trim());
      expect(text).not.toMatch(/[\r\n]/);
    }
    // The title is one line that the HTTP body ends with a full stop; cause and fix are sentences.
    expect(entry.title.endsWith('.')).toBe(false);
    expect(entry.cause.endsWith('.')).toBe(true);
    expect(entry.fix.endsWith('.')).toBe(true);
  });

  test.each(entries)(
    '%s says what wsgate doctor checks, and how to fix it on at least one common setup',
    (_code, entry) => {
      // One line each, as sentences: docs/errors.md renders them as list items.
      expect(entry.doctor.length).toBeGreaterThan(20);
      expect(entry.doctor).toBe(entry.doctor.trim());
      expect(entry.doctor).not.toMatch(/[\r\n]/);
      expect(entry.doctor.endsWith('.')).toBe(true);
      const setups = Object.entries(entry.setups ?? {});
      expect(setups.length).toBeGreaterThan(0);
      for (const [setup, fix] of setups) {
        expect(setup.trim()).toBe(setup);
        expect(setup.length).toBeGreaterThan(1);
        expect(fix).not.toMatch(/[\r\n]/);
        expect(fix.endsWith('.'), `${setup}: ${fix}`).toBe(true);
      }
      // Markdown: a "<" would be read as HTML, a backtick as code, outside the doctor's step names.
      for (const text of [entry.title, entry.cause, entry.fix, ...setups.flat()])
        expect(text).not.toMatch(/[<`]/);
      expect(entry.doctor.replace(/`[a-z]+`/g, '')).not.toMatch(/[<`]/);
    },
  );

  test('proxy, TLS and Origin failures say how to fix them behind nginx, with TLS and with Origin', () => {
    for (const code of [
      'WSG_NOT_WEBSOCKET',
      'WSG_CONNECTION_TOKEN_MISSING',
      'WSG_HTTP_VERSION_UNSUPPORTED',
      'WSG_PATH_NOT_FOUND',
      'WSG_RESPONSE_UPGRADE_REQUIRED',
      'WSG_RESPONSE_NOT_UPGRADED',
      'WSG_RESPONSE_REFUSED',
      'WSG_CONNECTION_LOST',
      'WSG_TLS_FAILED',
    ] as const) {
      expect(Object.keys(catalogue[code].setups ?? {}), code).toContain('nginx');
    }
    expect(catalogue.WSG_NOT_WEBSOCKET.setups?.nginx).toContain(
      'proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";',
    );
    expect(catalogue.WSG_TLS_FAILED.setups?.nginx).toMatch(/full chain/);
    expect(Object.keys(catalogue.WSG_TLS_FAILED.setups ?? {})).toContain('Private CAs');
    expect(Object.keys(catalogue.WSG_ORIGIN_REFUSED.setups ?? {})).toContain('Origin');
    expect(Object.keys(catalogue.WSG_VERSION_UNSUPPORTED.setups ?? {})).toContain(
      'Old client libraries',
    );
  });

  test.each(handshakeEntries.filter(([code]) => code !== 'WSG_UPGRADE_NOT_HANDLED'))(
    'handshake refusal %s has an HTTP error status with a reason phrase and no close code',
    (_code, entry) => {
      expect(entry.status).toBeGreaterThanOrEqual(400);
      expect(entry.status).toBeLessThan(600);
      expect(statusText[entry.status]).toBeDefined();
      expect(has(entry, 'closeCode')).toBe(false);
      expect(has(entry, 'answers')).toBe(false);
    },
  );

  test('WSG_UPGRADE_NOT_HANDLED names an application answer of 2xx or 3xx, with 200 as its status', () => {
    expect(catalogue.WSG_UPGRADE_NOT_HANDLED.status).toBe(200);
    expect(catalogue.WSG_UPGRADE_NOT_HANDLED.cause).toMatch(/2xx or 3xx/);
  });

  test.each(closingEntries)('%s has a close code and no HTTP status or headers', (_code, entry) => {
    expect(has(entry, 'status')).toBe(false);
    expect(has(entry, 'headers')).toBe(false);
    expect(entry.closeCode).toBeGreaterThanOrEqual(1000);
    expect(entry.closeCode).toBeLessThan(5000);
  });

  test.each(closingEntries.filter(([, entry]) => entry.kind === 'protocol'))(
    'protocol error %s closes with a code that may be sent on the wire (RFC 6455 §7.4)',
    (_code, entry) => {
      expect(isValidWireCloseCode(entry.closeCode)).toBe(true);
    },
  );

  test.each([...ofKind('client'), ...ofKind('server'), ...ofKind('topic')])(
    '%s has neither status nor close code',
    (_code, entry) => {
      expect(has(entry, 'status')).toBe(false);
      expect(has(entry, 'closeCode')).toBe(false);
      expect(has(entry, 'headers')).toBe(false);
    },
  );

  test.each(entries)(
    '%s speaks to any application: no demo settings, no event names of one app',
    (_code, entry) => {
      const text = [
        entry.title,
        entry.cause,
        entry.fix,
        entry.doctor,
        ...Object.values(entry.setups ?? {}),
      ].join('\n');
      expect(text).not.toMatch(/ALLOWED_ORIGINS|MAX_PAYLOAD|DEMO_TOKEN|\bdemo\b|"join"|"Ada"/i);
    },
  );

  test('every kind has entries', () => {
    for (const kind of Object.values(ErrorKind))
      expect(ofKind(kind).length, kind).toBeGreaterThan(0);
  });

  test('426 refusals name the protocol to upgrade to (RFC 9110 §15.5.22)', () => {
    for (const [code, entry] of handshakeEntries.filter(([, e]) => e.status === 426)) {
      expect(entry.headers, code).toMatchObject({ Upgrade: 'websocket' });
    }
  });

  test('the version refusal names version 13 (RFC 6455 §4.4)', () => {
    expect(catalogue.WSG_VERSION_UNSUPPORTED).toMatchObject({
      status: 426,
      headers: { 'Sec-WebSocket-Version': '13', Upgrade: 'websocket' },
    });
  });

  test('405 refusals say which method is allowed (RFC 9110 §15.5.6)', () => {
    for (const [code, entry] of handshakeEntries.filter(([, e]) => e.status === 405)) {
      expect(entry.headers, code).toMatchObject({ Allow: 'GET' });
    }
  });

  test('503 refusals say when to retry, in seconds', () => {
    const unavailable = handshakeEntries.filter(([, e]) => e.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const [code, entry] of unavailable) {
      expect(entry.headers?.['Retry-After'], code).toMatch(/^\d+$/);
    }
  });

  test.each([
    ['WSG_NOT_WEBSOCKET', 426],
    ['WSG_METHOD_NOT_ALLOWED', 405],
    ['WSG_HTTP_VERSION_UNSUPPORTED', 505],
    ['WSG_VERSION_UNSUPPORTED', 426],
    ['WSG_HEADERS_TOO_LARGE', 431],
    ['WSG_ORIGIN_REFUSED', 403],
    ['WSG_PATH_NOT_FOUND', 404],
    ['WSG_HANDSHAKE_TIMEOUT', 408],
  ] as const)('%s answers %i', (code, status) => {
    expect(catalogue[code].status).toBe(status);
  });

  test.each([
    ['WSG_FRAME_UNMASKED', 1002],
    ['WSG_FRAME_RSV_BITS', 1002],
    ['WSG_CLOSE_PAYLOAD_INVALID', 1002],
    ['WSG_CLOSE_CODE_INVALID', 1002],
    ['WSG_CLOSE_REASON_INVALID_UTF8', 1007],
    ['WSG_TEXT_INVALID_UTF8', 1007],
    ['WSG_MESSAGE_TOO_BIG', 1009],
    ['WSG_INTERNAL_ERROR', 1011],
  ] as const)('%s closes with %i (RFC 6455 §7.4.1)', (code, closeCode) => {
    expect(catalogue[code].closeCode).toBe(closeCode);
  });

  test('the close payload faults of the protocol layer are protocol entries', () => {
    const faults: Extract<ClosePayload, { valid: false }>['fault'][] = [
      'WSG_CLOSE_PAYLOAD_INVALID',
      'WSG_CLOSE_CODE_INVALID',
      'WSG_CLOSE_REASON_INVALID_UTF8',
    ];
    for (const fault of faults) expect(catalogue[fault].kind).toBe('protocol');
  });

  test('isErrorCode accepts catalogue codes only, not inherited properties or look-alikes', () => {
    for (const code of errorCodes) expect(isErrorCode(code)).toBe(true);
    for (const value of [
      'WSG_NOPE',
      'wsg_not_websocket',
      'toString',
      '__proto__',
      'constructor',
      '',
      42,
      undefined,
      null,
    ]) {
      expect(isErrorCode(value), String(value)).toBe(false);
    }
  });
});
