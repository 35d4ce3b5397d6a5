import { describe, expect, it } from 'vitest';
import { listeningMessage, readDemoConfig } from '../src/config.js';

describe('the demo configuration (shared/DEMO-CONTRACT.md)', () => {
  it('defaults to 127.0.0.1, the app port, a 16 MiB message limit and no Origin allow-list', () => {
    expect(readDemoConfig(3001, {})).toEqual({
      host: '127.0.0.1',
      port: 3001,
      maxPayloadBytes: 16 * 1024 * 1024,
      allowedOrigins: undefined,
      chatToken: undefined,
    });
    expect(readDemoConfig(3002, { HOST: '', PORT: '', MAX_PAYLOAD: '' }).port).toBe(3002);
  });

  it('reads HOST, PORT, MAX_PAYLOAD, a comma-separated ALLOWED_ORIGINS and DEMO_TOKEN', () => {
    expect(
      readDemoConfig(3003, {
        HOST: '0.0.0.0',
        PORT: '0',
        MAX_PAYLOAD: '1024',
        ALLOWED_ORIGINS: ' http://a.example ,http://b.example,, ',
        DEMO_TOKEN: 's3cret',
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 0,
      maxPayloadBytes: 1024,
      allowedOrigins: ['http://a.example', 'http://b.example'],
      chatToken: 's3cret',
    });
    expect(readDemoConfig(3003, { DEMO_TOKEN: '' }).chatToken).toBeUndefined();
    expect(readDemoConfig(3003, { ALLOWED_ORIGINS: ' , ' }).allowedOrigins).toBeUndefined();
  });

  it('refuses a PORT or MAX_PAYLOAD that is not a whole number, naming it', () => {
    expect(() => readDemoConfig(3001, { PORT: 'eighty' })).toThrow(
      'PORT must be a whole number, got "eighty"',
    );
    expect(() => readDemoConfig(3001, { MAX_PAYLOAD: '16MiB' })).toThrow(/^MAX_PAYLOAD/);
  });

  it('prints the URL it serves, with IPv6 hosts in brackets', () => {
    expect(listeningMessage('x-demo', '127.0.0.1', 3001)).toContain('http://127.0.0.1:3001/');
    expect(listeningMessage('x-demo', '::1', 3001)).toContain('http://[::1]:3001/');
  });
});
