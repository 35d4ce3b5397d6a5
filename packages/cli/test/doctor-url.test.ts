import { describe, expect, it } from 'vitest';
import { checkUrl } from '../src/doctor/steps/url.js';
import { doctor } from '../src/main.js';

function refused(input: string): { summary: string; fix: readonly string[] } {
  const result = checkUrl(input);
  if (result.ok) throw new Error(`${input} was accepted as ${result.url}`);
  expect(result.diagnosis.code).toBe('WSG_URL_INVALID');
  expect(result.diagnosis.step).toBe('url');
  return result.diagnosis;
}

describe('the url step', () => {
  it('maps http:// to ws:// and https:// to wss://, says so and goes on', () => {
    const plain = checkUrl('http://example.test:8080/chat?room=1');
    expect(plain.ok && plain.url).toBe('ws://example.test:8080/chat?room=1');
    expect(plain.ok && plain.notes.join(' ')).toMatch(/http:\/\/ was given.*ws:\/\//);
    const secure = checkUrl('https://example.test/socket');
    expect(secure.ok && secure.url).toBe('wss://example.test/socket');
    expect(secure.ok && secure.target.port).toBe(443);
  });

  it('notes a URL without a path, and probes /', () => {
    const result = checkUrl('ws://127.0.0.1:9001');
    expect(result.ok && result.target.resource).toBe('/');
    expect(result.ok && result.notes.join(' ')).toMatch(/no path/);
  });

  it('does not note the path when one is given', () => {
    const result = checkUrl('ws://127.0.0.1:9001/');
    expect(result.ok && result.notes).toEqual([]);
  });

  it('refuses ws:/host (one slash) and suggests ws://host', () => {
    const diagnosis = refused('ws:/127.0.0.1:9001/chat');
    expect(diagnosis.summary).toMatch(/only one slash/);
    expect(diagnosis.fix[0]).toContain('ws://127.0.0.1:9001/chat');
  });

  it('refuses wss//host (no colon) and suggests wss://host', () => {
    const diagnosis = refused('wss//example.test/ws');
    expect(diagnosis.summary).toMatch(/no colon/);
    expect(diagnosis.fix[0]).toContain('wss://example.test/ws');
  });

  it('refuses htp:// as a typo of http:// and suggests ws://', () => {
    const diagnosis = refused('htp://example.test/ws');
    expect(diagnosis.summary).toMatch(/typo for "http:"/);
    expect(diagnosis.fix[0]).toContain('ws://example.test/ws');
  });

  it('refuses wws:// as a typo of ws://', () => {
    expect(refused('wws://example.test/').summary).toMatch(/typo for "ws:"/);
  });

  it('refuses a scheme that is not a typo, such as ftp://, without guessing', () => {
    const diagnosis = refused('ftp://example.test/');
    expect(diagnosis.summary).toMatch(/not a WebSocket scheme/);
    expect(diagnosis.fix[0]).not.toMatch(/Did you mean/);
  });

  it('refuses a URL without a scheme and suggests ws://', () => {
    expect(refused('localhost:8080/chat').fix[0]).toContain('ws://localhost:8080/chat');
    expect(refused('127.0.0.1:8080/chat').fix[0]).toContain('ws://127.0.0.1:8080/chat');
  });

  it('refuses three slashes (no host)', () => {
    expect(refused('ws:///chat').summary).toMatch(/3 slashes/);
  });

  it('refuses a fragment, which WebSocket URLs cannot carry (RFC 6455 §3)', () => {
    expect(refused('ws://example.test/chat#top').summary).toMatch(/fragment/);
  });

  it('stops at the url step with exit code 2 and probes nothing', async () => {
    const report = await doctor('ws:/127.0.0.1:1/');
    expect(report.exitCode).toBe(2);
    expect(report.diagnosis?.code).toBe('WSG_URL_INVALID');
    expect(report.steps.find((step) => step.name === 'tcp')?.status).toBe('not-run');
    expect(report.exchange).toHaveLength(1);
  });
});
