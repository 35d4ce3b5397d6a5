import { describe, expect, it } from 'vitest';
import { chatTokenRefusal } from '../src/chat-token.js';

describe('the chat token check every demo runs at the handshake', () => {
  it('lets every handshake through when DEMO_TOKEN is unset', () => {
    expect(chatTokenRefusal(undefined, undefined)).toBeUndefined();
    expect(chatTokenRefusal(undefined, 'anything')).toBeUndefined();
  });

  it('answers 401 without a token, naming the query parameter', () => {
    for (const offered of [undefined, '', ['s3cret']]) {
      expect(chatTokenRefusal('s3cret', offered)).toEqual({
        status: 401,
        message: 'the chat needs ?token= (DEMO_TOKEN is set)',
      });
    }
  });

  it('answers 403 for a wrong token, of any length, and accepts the right one', () => {
    expect(chatTokenRefusal('s3cret', 'guess')?.status).toBe(403);
    expect(chatTokenRefusal('s3cret', 's3creT')?.status).toBe(403);
    expect(chatTokenRefusal('s3cret', 's3cret-and-more')?.status).toBe(403);
    expect(chatTokenRefusal('s3cret', 's3cret')).toBeUndefined();
  });
});
