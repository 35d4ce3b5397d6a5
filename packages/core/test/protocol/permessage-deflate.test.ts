import { describe, expect, test } from 'vitest';
import { parseExtensionsHeader } from '../../src/protocol/extensions-header.js';
import {
  acceptDeflateResponse,
  createDeflateNegotiator,
  type DeflateOptions,
  formatDeflateOffer,
  negotiateDeflate,
  parseDeflateParams,
} from '../../src/protocol/permessage-deflate.js';

/** Offers as a client writes them in Sec-WebSocket-Extensions. */
function offers(header: string) {
  const parsed = parseExtensionsHeader(header);
  if (parsed === undefined) throw new Error(`fixture does not parse: ${header}`);
  return parsed;
}

function one(header: string) {
  const [extension] = offers(header);
  if (extension === undefined) throw new Error('no extension');
  return extension;
}

/** The Sec-WebSocket-Extensions answer for `header`, or undefined when every offer is declined. */
function answer(header: string, options: DeflateOptions = {}): string | undefined {
  const result = negotiateDeflate(offers(header), options);
  if (result === undefined) return undefined;
  return [
    result.response.name,
    ...result.response.params.map(([name, value]) => (value === true ? name : `${name}=${value}`)),
  ].join('; ');
}

const defaults = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

describe('RFC 7692 §7.1 extension parameters', () => {
  test('an offer without parameters parses to the defaults', () => {
    expect(parseDeflateParams(one('permessage-deflate'))).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: undefined,
      clientMaxWindowBits: undefined,
    });
  });

  test('all four parameters are read', () => {
    expect(
      parseDeflateParams(
        one(
          'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
        ),
      ),
    ).toEqual({
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 9,
    });
  });

  test('client_max_window_bits without a value is allowed in an offer (§7.1.2.2)', () => {
    expect(
      parseDeflateParams(one('permessage-deflate; client_max_window_bits'))?.clientMaxWindowBits,
    ).toBe(true);
  });

  test.each(['8', '9', '10', '11', '12', '13', '14', '15'])('window bits %s are valid', (bits) => {
    expect(
      parseDeflateParams(one(`permessage-deflate; server_max_window_bits=${bits}`))
        ?.serverMaxWindowBits,
    ).toBe(Number(bits));
  });

  test.each([
    ['an unknown parameter', 'permessage-deflate; mux'],
    [
      'a repeated parameter',
      'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    ],
    [
      'a repeated window size',
      'permessage-deflate; server_max_window_bits=10; server_max_window_bits=10',
    ],
    ['a value on server_no_context_takeover', 'permessage-deflate; server_no_context_takeover=1'],
    [
      'a value on client_no_context_takeover',
      'permessage-deflate; client_no_context_takeover=true',
    ],
    ['server_max_window_bits without a value', 'permessage-deflate; server_max_window_bits'],
    ['server_max_window_bits=7', 'permessage-deflate; server_max_window_bits=7'],
    ['server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=16'],
    ['a leading zero', 'permessage-deflate; server_max_window_bits=09'],
    ['a quoted leading zero', 'permessage-deflate; client_max_window_bits="010"'],
    ['a non-number', 'permessage-deflate; client_max_window_bits=max'],
  ])('%s makes the parameters invalid', (_name, header) => {
    expect(parseDeflateParams(one(header))).toBeUndefined();
  });

  test('a quoted window size is read like a plain one (§7.1: quoted-string values)', () => {
    expect(
      parseDeflateParams(one('permessage-deflate; server_max_window_bits="10"'))
        ?.serverMaxWindowBits,
    ).toBe(10);
  });
});

describe('RFC 7692 §5 / §7.1 server negotiation', () => {
  test('a plain offer is accepted with a plain answer and the default agreement', () => {
    expect(answer('permessage-deflate')).toBe('permessage-deflate');
    expect(negotiateDeflate(offers('permessage-deflate'))?.agreement).toEqual(defaults);
  });

  test('offers of other extensions are skipped', () => {
    expect(answer('x-webkit-deflate-frame, permessage-deflate; client_max_window_bits')).toBe(
      'permessage-deflate',
    );
    expect(answer('x-webkit-deflate-frame')).toBeUndefined();
  });

  test('of several acceptable offers, the first is accepted', () => {
    expect(
      answer(
        'permessage-deflate; server_max_window_bits=10, permessage-deflate; server_max_window_bits=12',
      ),
    ).toBe('permessage-deflate; server_max_window_bits=10');
  });

  test.each([
    ['an unknown parameter', 'permessage-deflate; mux'],
    [
      'a duplicate parameter',
      'permessage-deflate; client_no_context_takeover; client_no_context_takeover',
    ],
    ['an invalid value', 'permessage-deflate; server_max_window_bits=20'],
  ])('an offer with %s is declined and the next offer is considered', (_name, first) => {
    expect(answer(`${first}, permessage-deflate; client_no_context_takeover`)).toBe(
      'permessage-deflate; client_no_context_takeover',
    );
    expect(answer(first)).toBeUndefined();
  });

  test('server_max_window_bits is answered with the offered value when ours is larger (§7.1.2.1)', () => {
    expect(
      answer('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 12 }),
    ).toBe('permessage-deflate; server_max_window_bits=10');
  });

  test('server_max_window_bits is answered with our smaller value', () => {
    const result = negotiateDeflate(offers('permessage-deflate; server_max_window_bits=12'), {
      serverMaxWindowBits: 10,
    });
    expect(result?.response.params).toEqual([['server_max_window_bits', '10']]);
    expect(result?.agreement.serverMaxWindowBits).toBe(10);
  });

  test('the server may announce a smaller window it will use even when the client did not ask', () => {
    expect(answer('permessage-deflate', { serverMaxWindowBits: 9 })).toBe(
      'permessage-deflate; server_max_window_bits=9',
    );
  });

  test('our window options are clamped to 8-15', () => {
    expect(answer('permessage-deflate', { serverMaxWindowBits: 3 })).toBe(
      'permessage-deflate; server_max_window_bits=8',
    );
    expect(answer('permessage-deflate', { serverMaxWindowBits: 99 })).toBe('permessage-deflate');
  });

  test('the answered server_max_window_bits never exceeds the offer (all combinations)', () => {
    for (let offered = 8; offered <= 15; offered++) {
      for (let ours = 8; ours <= 15; ours++) {
        const result = negotiateDeflate(
          offers(`permessage-deflate; server_max_window_bits=${offered}`),
          {
            serverMaxWindowBits: ours,
          },
        );
        const param = result?.response.params.find(([name]) => name === 'server_max_window_bits');
        expect(param?.[1]).toBe(String(Math.min(offered, ours)));
        expect(result?.agreement.serverMaxWindowBits).toBe(Math.min(offered, ours));
      }
    }
  });

  test('client_max_window_bits is not answered when the client did not offer it (§7.1.2.2)', () => {
    const result = negotiateDeflate(offers('permessage-deflate'), { clientMaxWindowBits: 10 });
    expect(result?.response.params).toEqual([]);
    expect(result?.agreement.clientMaxWindowBits).toBe(15);
  });

  test('client_max_window_bits offered without a value is answered with our limit', () => {
    expect(answer('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })).toBe(
      'permessage-deflate; client_max_window_bits=10',
    );
  });

  test('client_max_window_bits offered with a value is answered with the smaller of the two', () => {
    expect(
      answer('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 12 }),
    ).toBe('permessage-deflate; client_max_window_bits=9');
    expect(
      answer('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }),
    ).toBe('permessage-deflate; client_max_window_bits=10');
    expect(
      negotiateDeflate(offers('permessage-deflate; client_max_window_bits=9'))?.agreement
        .clientMaxWindowBits,
    ).toBe(9);
  });

  test('client_max_window_bits offered without a value and no limit of ours needs no answer', () => {
    expect(answer('permessage-deflate; client_max_window_bits')).toBe('permessage-deflate');
  });

  test('client_no_context_takeover and server_no_context_takeover offered are accepted in the answer (§7.1.1)', () => {
    const result = negotiateDeflate(
      offers('permessage-deflate; server_no_context_takeover; client_no_context_takeover'),
    );
    expect(result?.response.params).toEqual([
      ['server_no_context_takeover', true],
      ['client_no_context_takeover', true],
    ]);
    expect(result?.agreement).toEqual({
      ...defaults,
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
    });
  });

  test('the server may add no_context_takeover parameters the client did not offer', () => {
    expect(
      answer('permessage-deflate', {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
      }),
    ).toBe('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
  });

  test('createDeflateNegotiator applies its options', () => {
    const negotiator = createDeflateNegotiator({ serverNoContextTakeover: true });
    expect(
      negotiator.negotiate(offers('permessage-deflate'))?.agreement.serverNoContextTakeover,
    ).toBe(true);
    expect(negotiator.negotiate(offers('x-other'))).toBeUndefined();
  });
});

describe('RFC 7692 §7.1 the client offer', () => {
  test('the default offer declares that the client accepts client_max_window_bits', () => {
    expect(formatDeflateOffer()).toBe('permessage-deflate; client_max_window_bits');
  });

  test('the offer carries every requested parameter, with clamped window sizes', () => {
    expect(
      formatDeflateOffer({
        clientNoContextTakeover: true,
        serverNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 20,
      }),
    ).toBe(
      'permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=15',
    );
  });

  test('every offer the client writes is accepted by our own server', () => {
    for (const options of [
      {},
      { serverNoContextTakeover: true },
      { serverMaxWindowBits: 9, clientMaxWindowBits: 11 },
      { clientNoContextTakeover: true, serverMaxWindowBits: 8 },
    ] satisfies DeflateOptions[]) {
      const result = negotiateDeflate(offers(formatDeflateOffer(options)));
      expect(result, JSON.stringify(options)).toBeDefined();
      if (result === undefined) continue;
      expect(acceptDeflateResponse(result.response, options), JSON.stringify(options)).toEqual(
        result.agreement,
      );
    }
  });
});

describe('RFC 7692 §7.1 the client checks the answer', () => {
  test('a plain answer gives the default agreement', () => {
    expect(acceptDeflateResponse(one('permessage-deflate'))).toEqual(defaults);
  });

  test('an answer with client_max_window_bits without a value is refused (§7.1.2.2)', () => {
    expect(
      acceptDeflateResponse(one('permessage-deflate; client_max_window_bits')),
    ).toBeUndefined();
  });

  test.each([
    ['an unknown parameter', 'permessage-deflate; mux'],
    [
      'a repeated parameter',
      'permessage-deflate; server_max_window_bits=10; server_max_window_bits=10',
    ],
    ['an invalid window size', 'permessage-deflate; server_max_window_bits=7'],
  ])('an answer with %s is refused', (_name, header) => {
    expect(acceptDeflateResponse(one(header))).toBeUndefined();
  });

  test('server_max_window_bits above what the client asked for is refused (§7.1.2.1)', () => {
    expect(
      acceptDeflateResponse(one('permessage-deflate; server_max_window_bits=12'), {
        serverMaxWindowBits: 10,
      }),
    ).toBeUndefined();
  });

  test('server_max_window_bits at or below what the client asked for is accepted', () => {
    expect(
      acceptDeflateResponse(one('permessage-deflate; server_max_window_bits=9'), {
        serverMaxWindowBits: 10,
      })?.serverMaxWindowBits,
    ).toBe(9);
    expect(
      acceptDeflateResponse(one('permessage-deflate; server_max_window_bits=10'), {
        serverMaxWindowBits: 10,
      })?.serverMaxWindowBits,
    ).toBe(10);
  });

  test('server_max_window_bits is accepted when the client did not limit it', () => {
    expect(
      acceptDeflateResponse(one('permessage-deflate; server_max_window_bits=11'))
        ?.serverMaxWindowBits,
    ).toBe(11);
  });

  test('an answer that drops a server_no_context_takeover the client required is refused (§7.1.1.1)', () => {
    expect(
      acceptDeflateResponse(one('permessage-deflate'), { serverNoContextTakeover: true }),
    ).toBeUndefined();
    expect(
      acceptDeflateResponse(one('permessage-deflate; server_no_context_takeover'), {
        serverNoContextTakeover: true,
      })?.serverNoContextTakeover,
    ).toBe(true);
  });

  test('client_max_window_bits in the answer limits the client, within what it offered', () => {
    expect(
      acceptDeflateResponse(one('permessage-deflate; client_max_window_bits=10'))
        ?.clientMaxWindowBits,
    ).toBe(10);
    expect(
      acceptDeflateResponse(one('permessage-deflate; client_max_window_bits=12'), {
        clientMaxWindowBits: 10,
      }),
    ).toBeUndefined();
  });

  test('a client limit of its own window holds when the answer does not mention it', () => {
    expect(
      acceptDeflateResponse(one('permessage-deflate'), { clientMaxWindowBits: 10 })
        ?.clientMaxWindowBits,
    ).toBe(10);
  });

  test("client_no_context_takeover comes from the answer or from the client's own choice", () => {
    expect(
      acceptDeflateResponse(one('permessage-deflate; client_no_context_takeover'))
        ?.clientNoContextTakeover,
    ).toBe(true);
    expect(
      acceptDeflateResponse(one('permessage-deflate'), { clientNoContextTakeover: true })
        ?.clientNoContextTakeover,
    ).toBe(true);
  });
});
