/** What each close code means (RFC 6455 §7.4.1 and the IANA registry), for a person. */
const closeCodeMeanings: Readonly<Record<number, string>> = {
  1000: 'normal closure',
  1001: 'going away (the server is shutting down or the endpoint is leaving)',
  1002: 'protocol error: the server received a frame that breaks RFC 6455',
  1003: 'unsupported data: the server does not accept this type of message (text or binary)',
  1005: 'no status code: the close frame carried no code',
  1006: 'abnormal closure: the connection closed without a close frame',
  1007: 'invalid payload data: a message was not valid for its type (e.g. text that is not UTF-8)',
  1008: 'policy violation: a message or the connection broke a rule of the application',
  1009: 'message too big: a message is larger than the server accepts',
  1010: 'mandatory extension: the client required an extension the server did not accept',
  1011: 'internal error: the server failed while handling a message',
  1012: 'service restart: the server is restarting',
  1013: 'try again later: the server is overloaded or a peer is too slow',
  1014: 'bad gateway: a proxy got an invalid answer from the server behind it',
  1015: 'TLS handshake failure (never sent on the wire)',
};

export function closeCodeMeaning(code: number): string {
  const known = closeCodeMeanings[code];
  if (known !== undefined) return known;
  if (code >= 3000 && code <= 3999) return 'a code registered by a library or framework';
  if (code >= 4000 && code <= 4999)
    return "an application's own code: its meaning is the application's";
  return 'not a valid close code (RFC 6455 §7.4)';
}

/** What the doctor knows when a server closes on it without naming a wsgate code. */
export interface CloseContext {
  readonly code: number;
  /** The doctor's last frame before the close ("text frame (FIN, masked), 5 bytes of payload"). */
  readonly frame: string;
  readonly deflate: boolean;
  /** The --send text, if any. */
  readonly send: string | undefined;
}

export interface CloseAdvice {
  readonly causes: readonly string[];
  readonly fix: readonly string[];
}

const LOG_FIX = 'Look at the server log at the time of this close.';

function endedInsteadOfAnswering({ code }: CloseContext): CloseAdvice {
  return {
    causes: [
      `The server ended the connection (${closeCodeMeaning(code)}) instead of answering: it may close connections it does not expect (authentication, a missing first message).`,
      ...(code === 1001 ? ['The server is restarting or shutting down.'] : []),
    ],
    fix: [
      'Send what the endpoint expects first (--send), with the credentials it needs (--header); retry if it was restarting.',
    ],
  };
}

function retryLater({ code }: CloseContext): CloseAdvice {
  return {
    causes: [
      code === 1012
        ? 'The server is restarting.'
        : 'The server is overloaded, or finds this client too slow.',
    ],
    fix: ['Retry later, with backoff.'],
  };
}

/**
 * Per close code: what it likely means here, and what to do. The doctor knows the frame it sent
 * just before, which is what a bare code is most often about (RFC 6455 §7.4.1 for the codes).
 */
const closeAdviceByCode: Readonly<Record<number, (context: CloseContext) => CloseAdvice>> = {
  1000: endedInsteadOfAnswering,
  1001: endedInsteadOfAnswering,
  1002: ({ frame, deflate }) => ({
    causes: [
      `The server rejected the doctor's ${frame}, which is valid RFC 6455: a bug in the server's parser, or a proxy that alters frames.`,
      ...(deflate
        ? [
            'The server and the doctor disagree about permessage-deflate (RSV1): the server accepted it but does not handle it.',
          ]
        : []),
    ],
    fix: [
      'Check the server log for the frame it refused; compare with the bytes above (--capture FILE shows them in Wireshark).',
      ...(deflate ? ['Retry with --no-deflate to see whether compression is the trouble.'] : []),
    ],
  }),
  1003: ({ frame, send }) => ({
    causes: [
      `The endpoint does not accept this type of message (the doctor sent a ${frame}): it expects ${send === undefined ? 'other messages' : 'binary rather than text, or the reverse'}.`,
    ],
    fix: ["Send the message type the endpoint expects; check the application's protocol."],
  }),
  1007: ({ frame }) => ({
    causes: [
      `The server found the doctor's ${frame} invalid for its type: the application could not decode it (it expects another format or encoding).`,
    ],
    fix: ['Send a message in the format the endpoint expects (--send).', LOG_FIX],
  }),
  1008: ({ send }) => ({
    causes: [
      'The application refused the message or the connection by its own rules: credentials it expects (in the URL, a cookie or the first message), a message format it does not accept, or a rate limit.',
      ...(send === undefined
        ? []
        : [`The message sent (--send ${JSON.stringify(send)}) is not one the endpoint accepts.`]),
    ],
    fix: [
      "Send the message the application expects (--send '…'), with the credentials it needs (--header 'Cookie: …', --header 'Authorization: …', or a token in the URL).",
      "Check the application's rules for this endpoint; the close reason, when there is one, says which.",
    ],
  }),
  1009: ({ frame }) => ({
    causes: [`The doctor's ${frame} is larger than this server accepts for one message.`],
    fix: [
      "Send smaller messages, or raise the server's message size limit (ws: maxPayload; wsgate: maxMessageBytes).",
    ],
  }),
  1011: ({ frame }) => ({
    causes: [
      `The server failed while handling the doctor's ${frame}: an exception in its message handler.`,
    ],
    fix: [`${LOG_FIX} The exception and its stack trace are usually there.`],
  }),
  1012: retryLater,
  1013: retryLater,
  1014: () => ({
    causes: ['A gateway in front of the server got an invalid answer from the server behind it.'],
    fix: ["Check the upstream's health and the gateway's log."],
  }),
};

/** The advice for a close code from a server that does not name a wsgate code. */
export function closeAdvice(context: CloseContext): CloseAdvice {
  const known = closeAdviceByCode[context.code];
  if (known !== undefined) return known(context);
  const { code } = context;
  if (code >= 4000 && code <= 4999) {
    return {
      causes: [
        `${code} is the application's own code: its meaning is the application's, and the reason (if any) is its explanation.`,
      ],
      fix: [`Look up close code ${code} in the application's documentation or source.`],
    };
  }
  return {
    causes: [`The server closed with ${code}: ${closeCodeMeaning(code)}.`],
    fix: ["Check the server log and the application's rules for this close code."],
  };
}
