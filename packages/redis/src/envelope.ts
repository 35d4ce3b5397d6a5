import type { BackplaneEvent } from '@wsgate/core';

const COLON = 0x3a;

/**
 * Reads a live message of a topic's channel, as the scripts write it (see scripts.ts):
 * `m:<offset>:<epoch>:<binary>:<publishedAt>:<data>` or `j|l:<id length>:<id><data JSON>`.
 * Returns undefined for anything else, which no wsgate node sends.
 */
export function decodeLive(topic: string, raw: Buffer): BackplaneEvent | undefined {
  const kind = raw.subarray(0, 2).toString('latin1');
  if (kind === 'm:') {
    const fields: string[] = [];
    let start = 2;
    for (let i = 0; i < 4; i++) {
      const end = raw.indexOf(COLON, start);
      if (end === -1) return undefined;
      fields.push(raw.subarray(start, end).toString('latin1'));
      start = end + 1;
    }
    const [offset, epoch, binary, publishedAt] = fields;
    return {
      type: 'message',
      message: {
        topic,
        offset: Number(offset),
        epoch: epoch ?? '',
        data: new Uint8Array(raw.subarray(start)),
        binary: binary === '1',
        publishedAt: Number(publishedAt),
      },
    };
  }
  if (kind === 'j:' || kind === 'l:') {
    const end = raw.indexOf(COLON, 2);
    if (end === -1) return undefined;
    const idEnd = end + 1 + Number(raw.subarray(2, end).toString('latin1'));
    const clientId = raw.subarray(end + 1, idEnd).toString('utf8');
    const data = parseData(raw.subarray(idEnd).toString('utf8'));
    const action = kind === 'j:' ? 'join' : 'leave';
    return { type: 'presence', topic, action, member: { clientId, data } };
  }
  return undefined;
}

export function parseData(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}
