import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer } from '@wsgate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Cleanup,
  listen,
  makeCertificates,
  probe,
  runCli,
  stop,
  type TestCertificates,
  tempDir,
} from './helpers.js';

const cleanup = new Cleanup();
const certificatesCleanup = new Cleanup();
let certificates: TestCertificates;

beforeAll(() => {
  certificates = makeCertificates(tempDir(certificatesCleanup, 'wsgate-certs-'));
});
afterAll(() => certificatesCleanup.run());
afterEach(() => cleanup.run());

/** A TLS server with this certificate that writes nothing of its own. */
async function tlsServer(pair: { key: string; cert: string }): Promise<number> {
  const server = createTlsServer({ key: pair.key, cert: pair.cert }, (socket) => socket.end());
  server.on('tlsClientError', () => {});
  const port = await listen(server);
  cleanup.add(() => stop(server));
  return port;
}

/** An https server with a wsgate echo endpoint attached. */
async function wssEcho(pair: { key: string; cert: string }): Promise<number> {
  const https = createHttpsServer({ key: pair.key, cert: pair.cert });
  https.on('tlsClientError', () => {});
  const wss = new WebSocketServer({ path: '/echo' });
  wss.attach(https);
  wss.on('connection', (connection) =>
    connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary })),
  );
  const port = await listen(https);
  cleanup.add(async () => {
    await wss.close({ timeoutMs: 100 });
    await stop(https);
  });
  return port;
}

describe('doctor: TLS', () => {
  it('a self-signed certificate fails the tls step and shows subject, issuer and dates', async () => {
    const port = await tlsServer(certificates.selfSigned);
    const report = await probe(`wss://127.0.0.1:${port}/`);
    expect(report.exitCode).toBe(1);
    expect(report.diagnosis?.code).toBe('WSG_TLS_FAILED');
    expect(report.diagnosis?.step).toBe('tls');
    expect(report.diagnosis?.summary).toMatch(/self-signed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    const observed = report.diagnosis?.observed.join('\n') ?? '';
    expect(observed).toMatch(/subject: +CN=127\.0\.0\.1/);
    expect(observed).toMatch(/issuer: +CN=127\.0\.0\.1 \(self-signed\)/);
    expect(observed).toMatch(/valid: +.+ → .+/);
    expect(report.certificate?.selfSigned).toBe(true);
    expect(report.diagnosis?.fix.join('\n')).toMatch(/--ca FILE/);
    expect(report.exchange.some((entry) => entry.direction === 'sent')).toBe(false);
  });

  it('an expired certificate fails with its validity dates', async () => {
    const port = await tlsServer(certificates.expired);
    const report = await probe(
      `wss://127.0.0.1:${port}/`,
      { ca: certificates.ca },
      { caFile: certificates.caFile },
    );
    expect(report.diagnosis?.code).toBe('WSG_TLS_FAILED');
    expect(report.diagnosis?.summary).toMatch(/expired \(CERT_HAS_EXPIRED\)/);
    expect(report.certificate?.validTo).toBe('Feb  1 00:00:00 2020 GMT');
    expect(report.diagnosis?.observed.join('\n')).toMatch(
      /valid: +Jan {2}1 00:00:00 2020 GMT → Feb {2}1 00:00:00 2020 GMT/,
    );
    expect(report.diagnosis?.observed.join('\n')).toMatch(/issuer: +CN=wsgate test CA/);
  });

  it('a certificate for another host name fails with the names it lists', async () => {
    const port = await tlsServer(certificates.otherHost);
    const report = await probe(
      `wss://127.0.0.1:${port}/`,
      { ca: certificates.ca },
      { caFile: certificates.caFile },
    );
    expect(report.diagnosis?.code).toBe('WSG_TLS_FAILED');
    expect(report.diagnosis?.summary).toMatch(/another host name \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    expect(report.diagnosis?.observed.join('\n')).toMatch(/names: +DNS:other\.example/);
  });

  it('a chain from an authority that is not trusted fails as untrusted', async () => {
    const port = await tlsServer(certificates.untrusted);
    const report = await probe(
      `wss://127.0.0.1:${port}/`,
      { ca: certificates.ca },
      { caFile: certificates.caFile },
    );
    expect(report.diagnosis?.code).toBe('WSG_TLS_FAILED');
    expect(report.diagnosis?.summary).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(report.diagnosis?.observed.join('\n')).toMatch(/issuer: +CN=wsgate untrusted CA/);
  });

  it('a chain that ends at a private root not trusted here: SELF_SIGNED_CERT_IN_CHAIN, subject, issuer and dates, and --ca as the fix', async () => {
    const port = await tlsServer({
      key: certificates.leaf.key,
      cert: `${certificates.leaf.cert}${certificates.ca}`,
    });
    const report = await probe(`wss://127.0.0.1:${port}/`);
    expect(report.diagnosis?.code).toBe('WSG_TLS_FAILED');
    expect(report.diagnosis?.step).toBe('tls');
    expect(report.diagnosis?.summary).toMatch(
      /chain ends at a self-signed root that is not trusted here \(SELF_SIGNED_CERT_IN_CHAIN\)/,
    );
    const observed = report.diagnosis?.observed.join('\n') ?? '';
    expect(observed).toMatch(/subject: +CN=127\.0\.0\.1\n/);
    expect(observed).toMatch(/issuer: +CN=wsgate test CA\n/);
    expect(observed).toMatch(
      /valid: +\w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT → \w{3} [ \d]\d .* GMT/,
    );
    expect(report.diagnosis?.fix[0]).toMatch(/--ca FILE/);
  });

  it('a leaf from an authority outside the default trust store, without its chain: untrusted, fixed by --ca', async () => {
    const port = await wssEcho(certificates.leaf);
    const report = await probe(`wss://127.0.0.1:${port}/echo`);
    expect(report.diagnosis?.code).toBe('WSG_TLS_FAILED');
    expect(report.diagnosis?.summary).toMatch(/issuer is unknown.*UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(report.diagnosis?.fix.join('\n')).toMatch(/full chain[\s\S]*--ca FILE/);
    const trusted = await runCli([
      'doctor',
      `wss://127.0.0.1:${port}/echo`,
      '--ca',
      certificates.caFile,
      '--send',
      'hi',
    ]);
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toMatch(/✔ tls +TLSv1\.3 .*issued by CN=wsgate test CA/);
  });

  it('with --ca for its authority, a wss:// echo endpoint is healthy', async () => {
    const port = await wssEcho(certificates.leaf);
    const report = await probe(
      `wss://127.0.0.1:${port}/echo`,
      { ca: certificates.ca, send: 'over tls' },
      { caFile: certificates.caFile },
    );
    expect(report.diagnosis).toBeUndefined();
    expect(report.exitCode).toBe(0);
    expect(report.steps.find((step) => step.name === 'tls')?.summary).toMatch(
      /TLSv1\.3 .*certificate CN=127\.0\.0\.1, issued by CN=wsgate test CA/,
    );
    expect(report.roundTrip?.received).toBe('"over tls"');
  });

  it('wss:// to a plain HTTP port says: this port speaks plain HTTP, use ws://', async () => {
    const server = createHttpServer((_request, response) => response.end('plain'));
    const port = await listen(server);
    cleanup.add(() => stop(server));
    const report = await probe(`wss://127.0.0.1:${port}/chat`);
    expect(report.diagnosis?.code).toBe('WSG_TLS_FAILED');
    expect(report.diagnosis?.summary).toMatch(/This port speaks plain HTTP, use ws:\/\//);
    expect(report.diagnosis?.observed.join('\n')).toMatch(
      /wrong version number|WRONG_VERSION_NUMBER/,
    );
    expect(report.diagnosis?.observed.join('\n')).toMatch(
      /the same port answers plain HTTP: HTTP\/1\.1 200 OK/,
    );
    expect(report.diagnosis?.fix[0]).toBe(
      `Use ws:// for this port: wsgate doctor ws://127.0.0.1:${port}/chat`,
    );
  });

  it('ws:// to a TLS port says: this port speaks TLS, use wss://', async () => {
    const port = await tlsServer(certificates.leaf);
    const report = await probe(`ws://127.0.0.1:${port}/chat`);
    expect(report.exitCode).toBe(1);
    expect(report.diagnosis?.step).toBe('upgrade');
    expect(report.diagnosis?.summary).toMatch(/This port speaks TLS, use wss:\/\//);
    expect(report.diagnosis?.fix[0]).toBe(
      `Use wss:// for this port: wsgate doctor wss://127.0.0.1:${port}/chat`,
    );
  });
});
