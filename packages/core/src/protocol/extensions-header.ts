/** One extension offer or acceptance: `name; param; param=value` (RFC 6455 §9.1). */
export interface ExtensionOffer {
  readonly name: string;
  /** Parameters in order; a parameter without a value is `true`. */
  readonly params: ReadonlyArray<readonly [string, string | true]>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Splits on `separator` outside quoted strings. */
function splitOutsideQuotes(text: string, separator: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '\\') {
        current += char + (text[i + 1] ?? '');
        i++;
        continue;
      }
      if (char === '"') quoted = false;
      current += char;
    } else if (char === '"') {
      quoted = true;
      current += char;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (quoted) return undefined;
  parts.push(current);
  return parts;
}

/**
 * Parses a Sec-WebSocket-Extensions value. Returns undefined when it breaks the grammar of
 * RFC 6455 §9.1 (quoted values must unquote to a token).
 */
export function parseExtensionsHeader(value: string): ExtensionOffer[] | undefined {
  const extensions = splitOutsideQuotes(value, ',');
  if (extensions === undefined) return undefined;
  const offers: ExtensionOffer[] = [];
  for (const extension of extensions) {
    if (extension.trim() === '') continue; // RFC 9110 §5.6.1: empty list elements are ignored
    const pieces = splitOutsideQuotes(extension, ';');
    if (pieces === undefined) return undefined;
    const name = (pieces[0] as string).trim();
    if (!TOKEN.test(name)) return undefined;
    const params: [string, string | true][] = [];
    for (const piece of pieces.slice(1)) {
      const eq = piece.indexOf('=');
      const paramName = (eq === -1 ? piece : piece.slice(0, eq)).trim();
      if (!TOKEN.test(paramName)) return undefined;
      if (eq === -1) {
        params.push([paramName, true]);
        continue;
      }
      let paramValue = piece.slice(eq + 1).trim();
      if (paramValue.startsWith('"')) {
        if (paramValue.length < 2 || !paramValue.endsWith('"')) return undefined;
        paramValue = paramValue.slice(1, -1).replace(/\\(.)/g, '$1');
      }
      if (!TOKEN.test(paramValue)) return undefined;
      params.push([paramName, paramValue]);
    }
    offers.push({ name, params });
  }
  return offers;
}

export function formatExtension(extension: ExtensionOffer): string {
  return [
    extension.name,
    ...extension.params.map(([name, value]) => (value === true ? name : `${name}=${value}`)),
  ].join('; ');
}

/** Parses Sec-WebSocket-Protocol: a list of tokens (RFC 6455 §4.1). Undefined when malformed. */
export function parseSubprotocolsHeader(value: string | undefined): string[] | undefined {
  if (value === undefined) return [];
  const protocols: string[] = [];
  for (const part of value.split(',')) {
    const protocol = part.trim();
    if (protocol === '') continue;
    if (!TOKEN.test(protocol)) return undefined;
    protocols.push(protocol);
  }
  return protocols;
}

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}
