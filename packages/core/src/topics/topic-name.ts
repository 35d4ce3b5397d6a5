import { WsgateError } from '../errors/wsgate-error.js';

/** Longest topic name, in characters (UTF-16 code units, as JavaScript counts a string). */
export const MAX_TOPIC_LENGTH = 128;

export type TopicNameCheck =
  | { readonly valid: true; readonly topic: string }
  | { readonly valid: false; readonly code: 'WSG_TOPIC_INVALID'; readonly detail: string };

/**
 * Checks a topic name as it arrives from anywhere (a JSON message, an application call): a string
 * of 1 to MAX_TOPIC_LENGTH characters. Topics are exact strings, so nothing else is forbidden or
 * rewritten: "a.b" and "a.*" are two topics, never a pattern.
 */
export function checkTopicName(value: unknown): TopicNameCheck {
  if (typeof value !== 'string')
    return { valid: false, code: 'WSG_TOPIC_INVALID', detail: `topic is ${describe(value)}` };
  if (value.length === 0)
    return { valid: false, code: 'WSG_TOPIC_INVALID', detail: 'topic is empty' };
  if (value.length > MAX_TOPIC_LENGTH)
    return {
      valid: false,
      code: 'WSG_TOPIC_INVALID',
      detail: `topic has ${value.length} characters, more than ${MAX_TOPIC_LENGTH}`,
    };
  return { valid: true, topic: value };
}

/** The topic name itself, or a WsgateError WSG_TOPIC_INVALID saying what is wrong with it. */
export function assertTopicName(value: unknown): string {
  const check = checkTopicName(value);
  if (!check.valid) throw new WsgateError(check.code, { detail: check.detail });
  return check.topic;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `of type ${typeof value}`;
}
