import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

// A self-signed certificate made in Node alone (no openssl at run time), for a demo served with
// TLS=1 and no TLS_CERT/TLS_KEY: ECDSA P-256, SHA-256, valid for localhost and 127.0.0.1. Just
// enough DER (ITU-T X.690) to write one X.509 v3 certificate (RFC 5280 §4.1).

function der(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content]);
}

const sequence = (...parts: Buffer[]): Buffer => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => der(0x31, Buffer.concat(parts));
const explicit = (tag: number, content: Buffer): Buffer => der(0xa0 + tag, content);

function integer(bytes: Buffer): Buffer {
  // A positive INTEGER whose first bit is set needs a leading zero byte (X.690 §8.3).
  return der(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function objectId(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const groups: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      groups.unshift((value & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime (RFC 5280 §4.1.2.5.1: dates before 2050). */
function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return der(0x17, Buffer.from(`${text}Z`, 'latin1'));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const SUBJECT_ALT_NAME = '2.5.29.17';
const BASIC_CONSTRAINTS = '2.5.29.19';
const DAY_MS = 86_400_000;

function pem(label: string, bytes: Buffer): string {
  const lines = bytes.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * A new key and a self-signed certificate for `localhost` and `127.0.0.1`, valid from a day ago
 * for `days` days, both in PEM.
 */
export function selfSignedCertificate(days = 30): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = sequence(set(sequence(objectId(COMMON_NAME), der(0x0c, Buffer.from('localhost')))));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const now = Date.now();
  const algorithm = sequence(objectId(ECDSA_WITH_SHA256));
  // dNSName [2] and iPAddress [7] (RFC 5280 §4.2.1.6).
  const altNames = sequence(
    der(0x82, Buffer.from('localhost', 'latin1')),
    der(0x87, Buffer.from([127, 0, 0, 1])),
  );
  const toBeSigned = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name,
    sequence(utcTime(new Date(now - DAY_MS)), utcTime(new Date(now + days * DAY_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        sequence(objectId(SUBJECT_ALT_NAME), der(0x04, altNames)),
        // Not a CA (an empty BasicConstraints).
        sequence(objectId(BASIC_CONSTRAINTS), der(0x04, sequence())),
      ),
    ),
  );
  const signature = sign('sha256', toBeSigned, privateKey);
  const certificate = sequence(
    toBeSigned,
    algorithm,
    der(0x03, Buffer.concat([Buffer.from([0]), signature])),
  );
  return {
    cert: pem('CERTIFICATE', certificate),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
