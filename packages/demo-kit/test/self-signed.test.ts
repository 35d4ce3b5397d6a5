import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../src/self-signed.js';

describe('selfSignedCertificate', () => {
  it('makes a certificate for localhost and 127.0.0.1, signed by its own key and valid now', () => {
    const { cert, key } = selfSignedCertificate(2);
    const certificate = new X509Certificate(cert);
    expect(certificate.subject).toBe('CN=localhost');
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkHost('example.com')).toBeUndefined();
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(certificate.ca).toBe(false);
    const now = Date.now();
    expect(Date.parse(certificate.validFrom)).toBeLessThan(now);
    expect(Date.parse(certificate.validTo)).toBeGreaterThan(now + 86_400_000);
  });
});
