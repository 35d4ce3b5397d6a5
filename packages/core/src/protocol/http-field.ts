import { isToken } from './extensions-header.js';

/**
 * Checks of the header fields wsgate writes itself on raw sockets (refusals, the 101, framework
 * answers), where Node's `setHeader` checks do not run. A name must be a token and a value must
 * hold no line break nor other control character: written as given, a CR LF in a value would
 * start a header line (or a body) of the value's choosing, which is response splitting.
 */

/** RFC 9110 §5.1: a field name is a token (§5.6.2). */
export function isFieldName(name: string): boolean {
  return isToken(name);
}

/**
 * The first character of `value` that a field value may not hold (RFC 9110 §5.5: visible
 * characters, obs-text, spaces and tabs; the same set as Node's `setHeader`), or -1. Characters
 * above U+00FF count as invalid too: they have no single byte on the wire.
 */
export function invalidFieldValueAt(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) return i;
  }
  return -1;
}

/** RFC 9110 §5.5: whether `value` may be written as a field value. */
export function isFieldValue(value: string): boolean {
  return invalidFieldValueAt(value) === -1;
}

/** A field's value as applications give it: one value, a number, or one value per line. */
export type FieldValue = string | number | readonly (string | number)[];

function describeCharacter(value: string, at: number): string {
  const code = value.charCodeAt(at);
  if (code === 0x0d || code === 0x0a) return 'a line break (CR or LF)';
  return `the character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * What is wrong with the first field of `headers` that cannot be written, for a log and a 500
 * (the name quoted, at most 60 characters of it; never the value, which may be anything), or
 * undefined when every field can be written.
 */
export function invalidFieldReason(
  headers: Readonly<Record<string, FieldValue | undefined>>,
): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (!isFieldName(name)) {
      return `the header name ${JSON.stringify(name.slice(0, 60))} is not an HTTP token`;
    }
    if (value === undefined) continue;
    const items = typeof value === 'string' || typeof value === 'number' ? [value] : value;
    for (const item of items) {
      const text = String(item);
      const at = invalidFieldValueAt(text);
      if (at !== -1) return `the value of header ${name} has ${describeCharacter(text, at)}`;
    }
  }
  return undefined;
}
