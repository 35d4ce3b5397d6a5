import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

// When the doctor got something other than what it asked for, these find out what the port
// speaks instead: TLS on a ws:// port, plain HTTP on a wss:// port.

/** Whether a TLS error means the port answered in plain text (HTTP) rather than TLS. */
export function isPlainTextAnswer(error: NodeJS.ErrnoException | undefined): boolean {
  if (error === undefined) return false;
  return (
    /WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|RECORD_LAYER_FAILURE/i.test(
      error.code ?? '',
    ) ||
    /wrong version number|packet length too long|unknown protocol|http request/i.test(error.message)
  );
}

/** Whether these bytes start a TLS record (RFC 8446 §5.1): handshake or alert, version 3.x. */
export function looksLikeTls(bytes: Uint8Array): boolean {
  const type = bytes[0];
  return (type === 0x15 || type === 0x16) && bytes[1] === 0x03 && (bytes[2] ?? 0xff) <= 0x04;
}

/**
 * Whether a port completes a TLS handshake (any certificate): used when a ws:// request got no
 * answer, to tell "this port speaks TLS" from a server that closes connections.
 */
export function speaksTls(
  address: string,
  port: number,
  timeoutMs: number,
): Promise<{ tls: boolean; protocol?: string | null }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: address,
      port,
      rejectUnauthorized: false,
      servername: '',
    });
    const finish = (result: { tls: boolean; protocol?: string | null }): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ tls: false }), timeoutMs);
    socket.once('secureConnect', () => finish({ tls: true, protocol: socket.getProtocol() }));
    socket.once('error', () => finish({ tls: false }));
  });
}

/** Sends a plain-text upgrade request and returns the first line of the answer, if it is HTTP. */
export function plainHttpStatusLine(
  address: string,
  port: number,
  request: string,
  timeoutMs: number,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: address, port });
    let received = '';
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const line = received.split('\r\n')[0] ?? '';
      resolve(/^HTTP\/\d(?:\.\d)? \d{3}/.test(line) ? line : undefined);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) finish();
    });
    socket.once('error', finish);
    socket.once('close', finish);
  });
}
