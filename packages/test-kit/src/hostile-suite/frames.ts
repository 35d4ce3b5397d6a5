import { expect, it } from 'vitest';
import { clientFrame, clientFrameHeader, closePayload } from '../wire/index.js';
import { ENDPOINTS, type HostileDemo } from './hostile-demo.js';
import { closeOf } from './raw-clients.js';

/** Frames after the handshake that break RFC 6455, and a message in 10,000 fragments. */
export function frameChecks(demo: HostileDemo): void {
  const { raw, expectStillServing } = demo;

  it.each(ENDPOINTS)(
    '%s: closes with 1002 on an HTTP request pipelined after the handshake in the same TCP write',
    async (path) => {
      // "GE" read as a frame header: opcode 7 with RSV1, and no mask (RFC 6455 §5.1).
      const client = await raw(path, { after: Buffer.from('GET / HTTP/1.1\r\n\r\n') });
      expect(client.response.status).toBe(101);
      expect(await closeOf(client)).toMatchObject({ code: 1002 });
      expect(client.closed).toBe(true);
      await expectStillServing();
    },
  );

  it.each(ENDPOINTS)(
    '%s: closes a frame announcing 2^63 bytes with 1002 WSG_FRAME_LENGTH_INVALID',
    async (path) => {
      const client = await raw(path);
      client.sendRaw(clientFrameHeader(2, 2 ** 63));
      const close = await closeOf(client);
      expect(close?.code).toBe(1002);
      expect(close?.reason).toMatch(/^WSG_FRAME_LENGTH_INVALID/);
      await expectStillServing();
    },
  );

  it.each(ENDPOINTS)(
    '%s: closes a frame announcing 2^62 bytes with 1009 WSG_MESSAGE_TOO_BIG from its header alone',
    async (path) => {
      const client = await raw(path);
      client.sendRaw(clientFrameHeader(2, 2 ** 62));
      const close = await closeOf(client);
      expect(close?.code).toBe(1009);
      expect(close?.reason).toMatch(/^WSG_MESSAGE_TOO_BIG/);
      await expectStillServing();
    },
  );

  it.each(ENDPOINTS)(
    '%s: closes a text message whose invalid UTF-8 is split over fragments with 1007',
    async (path) => {
      const client = await raw(path);
      // "h" and the first two bytes of "€" (e2 82 ac), then a fragment that does not go on
      // with its third: only the two fragments together are invalid (RFC 6455 §8.1).
      client.sendRaw(
        Buffer.concat([
          clientFrame(1, Buffer.from('68e282', 'hex'), { fin: false }),
          clientFrame(0, Buffer.from('2841', 'hex')),
        ]),
      );
      const close = await closeOf(client);
      expect(close?.code).toBe(1007);
      expect(close?.reason).toMatch(/^WSG_TEXT_INVALID_UTF8/);
      await expectStillServing();
    },
  );

  it.each(ENDPOINTS)(
    '%s: closes an RSV1 frame on a connection without permessage-deflate with 1002',
    async (path) => {
      const client = await raw(path);
      expect(client.response.headers['sec-websocket-extensions']).toBeUndefined();
      client.sendFrame(1, 'compressed?', { rsv1: true });
      const close = await closeOf(client);
      expect(close?.code).toBe(1002);
      expect(close?.reason).toMatch(/^WSG_FRAME_RSV_BITS/);
      await expectStillServing();
    },
  );

  it.each([1005, 999, 5000])(
    'closes a close frame with the invalid code %i with 1002 WSG_CLOSE_CODE_INVALID',
    async (code) => {
      for (const path of ENDPOINTS) {
        const client = await raw(path);
        client.sendFrame(8, closePayload(code));
        const close = await closeOf(client);
        expect(close?.code).toBe(1002);
        expect(close?.reason).toMatch(/^WSG_CLOSE_CODE_INVALID/);
      }
      await expectStillServing();
    },
  );

  it('echoes a text message sent as 10,000 fragments of one byte', async () => {
    const client = await raw('/echo');
    const count = 10_000;
    const frames: Buffer[] = [clientFrame(1, 'a', { fin: false })];
    for (let i = 1; i < count - 1; i++) frames.push(clientFrame(0, 'b', { fin: false }));
    frames.push(clientFrame(0, 'c'));
    client.sendRaw(Buffer.concat(frames));
    const [echo] = await client.waitForFrames(1, 5_000);
    expect(echo?.opcode).toBe(1);
    expect(echo?.payload.toString()).toBe(`a${'b'.repeat(count - 2)}c`);
    await expectStillServing();
  });
}
