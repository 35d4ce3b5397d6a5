/** What the doctor sent, for explaining what the server made of it. */
export interface RequestContext {
  /** The URL probed (ws:// or wss://). */
  readonly url: string;
  readonly secure: boolean;
  readonly resource: string;
  readonly key: string;
  readonly origin: string | undefined;
  readonly subprotocols: readonly string[];
  readonly extensionsOffer: string | undefined;
  readonly headerNames: readonly string[];
}

/** Whether the doctor's request carried this header (a name from `headerOfCode` or `HEADER_NAMES`). */
export function sentHeader(request: RequestContext, name: string): boolean {
  switch (name) {
    case 'Sec-WebSocket-Protocol':
      return request.subprotocols.length > 0;
    case 'Sec-WebSocket-Extensions':
      return request.extensionsOffer !== undefined;
    case 'Origin':
      return request.origin !== undefined;
    default:
      return (
        // "the request head (its syntax)": always sent.
        name.startsWith('the ') ||
        [
          'Host',
          'Upgrade',
          'Connection',
          'Sec-WebSocket-Key',
          'Sec-WebSocket-Version',
          ...request.headerNames,
        ].some((sentName) => sentName.toLowerCase() === name.toLowerCase())
      );
  }
}
