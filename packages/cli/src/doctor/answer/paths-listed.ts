/** A path as servers write them in a list: "/chat", "/api/ws", "/v1/socket.io/". */
const LISTED_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/**
 * The paths a 404 says the server serves, where it says so: strings that are paths in a JSON
 * body's arrays ({"paths": ["/chat"]}), or the paths on a line that introduces them ("Available
 * endpoints: /chat, /echo", "served: /chat"). The path probed is left out.
 */
export function pathsListed(body: string, probed: string): string[] {
  const found = new Set<string>();
  const probedPath = probed.split('?')[0] ?? probed;
  const keep = (candidate: string): void => {
    const path = candidate.replace(/[.,;:)]+$/, '');
    if (LISTED_PATH.test(path) && path !== probedPath) found.add(path);
  };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  if (json !== undefined) {
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) {
        for (const item of value) {
          if (typeof item === 'string') keep(item);
          else visit(item);
        }
      } else if (value !== null && typeof value === 'object') {
        for (const item of Object.values(value)) visit(item);
      }
    };
    visit(json);
    return [...found];
  }
  const text = body.replace(/<[^>]*>/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    const intro =
      /\b(?:paths?|routes?|endpoints?|served|serves|available|supported|valid|try)\b[^:\n]*:(.*)$/i.exec(
        line,
      );
    if (intro === null) continue;
    for (const token of (intro[1] as string).split(/[\s,]+/))
      if (token.startsWith('/')) keep(token);
  }
  return [...found];
}
