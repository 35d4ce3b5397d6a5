import { describe, expect, it } from 'vitest';
import { encodeEventMessage, parseEventMessage } from '../../src/adapter/index.js';

describe('the event protocol: JSON { event, data }', () => {
  it('reads the event and its data from text and from UTF-8 bytes', () => {
    expect(parseEventMessage('{"event":"join","data":{"room":7}}')).toEqual({
      event: 'join',
      data: { room: 7 },
    });
    expect(parseEventMessage(new TextEncoder().encode('{"event":"héllo"}'))).toEqual({
      event: 'héllo',
      data: undefined,
    });
  });

  it('says precisely what does not fit: not JSON, not an object, no event', () => {
    expect(() => parseEventMessage('hello there')).toThrow(/^the message is not JSON \(/);
    expect(() => parseEventMessage('[1,2]')).toThrow('the message is JSON but not an object');
    expect(() => parseEventMessage('null')).toThrow('the message is JSON but not an object');
    expect(() => parseEventMessage('{"data":1}')).toThrow('the message has no "event" string');
    expect(() => parseEventMessage('{"event":""}')).toThrow('the message has no "event" string');
    expect(() => parseEventMessage('{"event":3}')).toThrow('the message has no "event" string');
  });

  it('encodes { event, data } as JSON', () => {
    expect(encodeEventMessage('sent', true)).toBe('{"event":"sent","data":true}');
    expect(encodeEventMessage('ready')).toBe('{"event":"ready"}');
  });
});
