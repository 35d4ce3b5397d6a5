import { describe, expect, it } from 'vitest';
import { isWsgateError } from '../../src/errors/wsgate-error.js';
import { assertTopicName, checkTopicName, MAX_TOPIC_LENGTH } from '../../src/topics/topic-name.js';

describe('topic names', () => {
  it('accepts 1 to 128 characters, exactly as given', () => {
    expect(MAX_TOPIC_LENGTH).toBe(128);
    for (const topic of ['a', 'rooms.42', 'a.*', ' spaced ', '{}:', 'é'.repeat(128)])
      expect(checkTopicName(topic)).toEqual({ valid: true, topic });
  });

  it.each([
    ['', 'topic is empty'],
    ['x'.repeat(129), 'topic has 129 characters, more than 128'],
    [null, 'topic is null'],
    [undefined, 'topic is of type undefined'],
    [42, 'topic is of type number'],
    [['a'], 'topic is an array'],
    [{ topic: 'a' }, 'topic is of type object'],
  ])('refuses %j with WSG_TOPIC_INVALID: %s', (value, detail) => {
    expect(checkTopicName(value)).toEqual({ valid: false, code: 'WSG_TOPIC_INVALID', detail });
  });

  it('throws a WsgateError with the code and the detail from assertTopicName', () => {
    expect(assertTopicName('ok')).toBe('ok');
    let thrown: unknown;
    try {
      assertTopicName('');
    } catch (error) {
      thrown = error;
    }
    expect(isWsgateError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'WSG_TOPIC_INVALID', detail: 'topic is empty' });
  });
});
