// The public API, as npm users get it: the runtime names of each entry point, loaded from the
// build by a separate Node process with `import` and with `require`, against the lists below.
// A name added to or removed from an entry point fails here until the list says so: growing the
// API is a reviewed decision. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** What an application uses: servers, connections, the client, errors and their codes, capture. */
const APPLICATION = [
  'AttributeName',
  'Capture',
  'CloseCode',
  'DIAGNOSTIC_CHANNELS',
  'ErrorKind',
  'MetricName',
  'MemoryBackplane',
  'ReadyState',
  'RefusalJournal',
  'WebSocketConnection',
  'WebSocketServer',
  'WsgateError',
  'catalogue',
  'connect',
  'createCapture',
  'createServer',
  'errorCodes',
  'isErrorCode',
  'isWsgateError',
];

/** What framework adapters and tools built on wsgate use. */
const ADAPTER = [
  'ATTEMPT_PARAMETER',
  'DEFAULT_HISTORY_MAX_AGE_MS',
  'DEFAULT_HISTORY_MAX_MESSAGES',
  'ERROR_EVENT',
  'EventServer',
  'EventSocket',
  'MAX_CLOSE_REASON_BYTES',
  'MAX_TOPIC_LENGTH',
  'MemoryHub',
  'REFUSAL_LOOKUP_PATH',
  'ServerGroup',
  'UpgradeExchange',
  'UpgradeRouter',
  'ZlibMessageCodec',
  'answerForFrameworkError',
  'answerRefusalLookup',
  'assertTopicName',
  'bridgeUpgrades',
  'buildRefusal',
  'checkTopicName',
  'classifySocketError',
  'clientCodeForStatus',
  'closeCodeFor',
  'closeReasonFor',
  'closesOnError',
  'closingCodesWithCloseCode',
  'codeForFrameworkAnswer',
  'codeForFrameworkStatus',
  'codeFromCloseReason',
  'corsOriginPolicy',
  'createSessionCompression',
  'defaultRefusalJournal',
  'encodeEventMessage',
  'eventErrorMessage',
  'frameworkAnswerStatuses',
  'fromIncomingMessage',
  'handshakeCodesWithStatus',
  'handshakeErrorRefusal',
  'headersSetByFramework',
  'historyLimits',
  'http1AppOverHttp2',
  'isClosingCode',
  'isHandshakeCode',
  'isHttp2Server',
  'limitRequestHeads',
  'listenForUpgrades',
  'logEventFor',
  'logEventForException',
  'newEpoch',
  'objectionOf',
  'otelApi',
  'otelApiLoaded',
  'parseEventMessage',
  'parseWebSocketUrl',
  'plainRequestRefusal',
  'readHttpError',
  'refusalForPlainRequest',
  'refusalLookupAnswer',
  'refusePlainRequest',
  'renderErrorDocs',
  'requestHeadArrived',
  'sendRefusal',
  'serializeRefusal',
  'statusOf',
  'statusText',
  'wantsJson',
  'writeHttpResponse',
  'writeRefusal',
];

/** The Sans-I/O protocol, for people who bring their own I/O. */
const PROTOCOL = [
  'CloseCode',
  'DEFAULT_DEFLATE_THRESHOLD_BYTES',
  'DEFAULT_MAX_MESSAGE_BYTES',
  'FrameParser',
  'HttpRequestParser',
  'HttpResponseParser',
  'MAX_CONTROL_PAYLOAD_BYTES',
  'Opcode',
  'PERMESSAGE_DEFLATE',
  'SETTINGS_ENABLE_CONNECT_PROTOCOL',
  'SessionState',
  'Utf8Validator',
  'WEBSOCKET_GUID',
  'WebSocketSession',
  'acceptDeflateResponse',
  'applyMask',
  'computeAcceptKey',
  'createDeflateNegotiator',
  'defaultHeadLimits',
  'encodeClosePayload',
  'encodeFrame',
  'extendedConnectResponseHeaders',
  'formatDeflateOffer',
  'formatExtension',
  'generateClientKey',
  'headerHasToken',
  'invalidFieldReason',
  'invalidFieldValueAt',
  'isControlOpcode',
  'isFieldName',
  'isFieldValue',
  'isToken',
  'isValidClientKey',
  'isValidUtf8',
  'isValidWireCloseCode',
  'negotiateDeflate',
  'negotiateHandshake',
  'normalizeOrigin',
  'parseClosePayload',
  'parseDeflateParams',
  'parseExtensionsHeader',
  'parseSubprotocolsHeader',
  'serializeAcceptResponse',
  'serializeClientRequest',
  'validateExtendedConnect',
  'validateServerResponse',
  'validateUpgradeRequest',
];

const ENTRY_POINTS = [
  ['@wsgate/core', APPLICATION],
  ['@wsgate/core/adapter', ADAPTER],
  ['@wsgate/core/protocol', PROTOCOL],
] as const;

/** Names a Node process finds in `specifier`, loaded the way `how` says, from the package's own folder. */
function runtimeNames(specifier: string, how: 'import' | 'require'): string[] {
  const load =
    how === 'import'
      ? `const m = await import(${JSON.stringify(specifier)});`
      : `const m = (await import('node:module')).createRequire(process.cwd() + '/')(${JSON.stringify(specifier)});`;
  const script = `${load} console.log(JSON.stringify(Object.keys(m).filter((k) => k !== '__esModule' && k !== 'default')));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageDir,
    encoding: 'utf8',
  });
  return (JSON.parse(out) as string[]).sort();
}

describe('the entry points of @wsgate/core', () => {
  it('is built (run npm run build first)', () => {
    expect(existsSync(`${packageDir}/dist/esm/index.js`)).toBe(true);
    expect(existsSync(`${packageDir}/dist/cjs/index.js`)).toBe(true);
  });

  for (const [specifier, expected] of ENTRY_POINTS) {
    for (const how of ['import', 'require'] as const) {
      it(`${specifier} gives exactly its listed runtime names to ${how}`, () => {
        expect(runtimeNames(specifier, how)).toEqual([...expected].sort());
      });
    }
  }

  it('keeps the application entry small: at most 40 runtime names', () => {
    expect(APPLICATION.length).toBeLessThanOrEqual(40);
  });

  it('keeps hashing, encodings, pcapng and the adapter plumbing out of the application entry', () => {
    for (const name of [
      'sha1',
      'encodeBase64',
      'optionsKey',
      'encodeTcpPacket',
      'bridgeUpgrades',
    ]) {
      expect(APPLICATION, name).not.toContain(name);
    }
  });
});

/** The declaration of `className` in a .d.ts file, from `export declare class` to its closing brace. */
function classDeclaration(file: string, className: string): string {
  const text = readFileSync(`${packageDir}/${file}`, 'utf8');
  const start = text.indexOf(`export declare class ${className} `);
  expect(start, `${className} in ${file}`).toBeGreaterThanOrEqual(0);
  return text.slice(start, text.indexOf('\n}', start) + 2);
}

/** The names of the members a class declaration declares (its lines indented one level). */
function memberNames(declaration: string): string[] {
  const names: string[] = [];
  for (const line of declaration.split('\n')) {
    const member = /^ {4}(?:readonly |static |get |set |async )*([#\w$]+)[(<:?;]/.exec(line);
    if (member?.[1] !== undefined) names.push(member[1]);
  }
  return names;
}

/** Members the node layer and the protocol session call, which applications must not see. */
const INTERNAL_MEMBERS = {
  WebSocketConnection: [
    'receiveChunk',
    'onMessage',
    'onPing',
    'onPong',
    'onTransmit',
    'onCloseFrame',
    'onFailure',
    'flush',
    'socketEnded',
    'socketDrained',
    'socketFailed',
    'socketClosed',
    'idleTimedOut',
    'heartbeat',
    'abort',
    'alive',
    'session',
    'socket',
    'settings',
    'pending',
  ],
  WebSocketServer: [
    'handshakeData',
    'handshakeEnded',
    'expireHandshakes',
    'connectionClosed',
    'refuseUnhandled',
    'servesPath',
    'refuse',
    'upgrade',
    'policy',
    'pendingHandshakes',
    'heartbeatTimer',
  ],
} as const;

describe('the published declarations of the public classes', () => {
  for (const build of ['esm', 'cjs']) {
    for (const [className, file] of [
      ['WebSocketConnection', `dist/${build}/node/connection.d.ts`],
      ['WebSocketServer', `dist/${build}/node/server.d.ts`],
    ] as const) {
      it(`${className} (${build}) declares no internal member`, () => {
        const declaration = classDeclaration(file, className);
        const members = memberNames(declaration);
        expect(members).toContain('close');
        for (const member of INTERNAL_MEMBERS[className]) {
          expect(members, member).not.toContain(member);
        }
        expect(declaration).not.toContain('ConnectionSettings');
        // Private state stays private: one `#private;` stands for all of it.
        expect(declaration).not.toMatch(/\bprivate\s+\w/);
        expect(declaration).toContain('#private;');
      });
    }
  }

  it('still declares what applications call on a connection and a server', () => {
    const connection = classDeclaration('dist/esm/node/connection.d.ts', 'WebSocketConnection');
    for (const member of ['send(', 'close(', 'ping(', 'pause(', 'resume(', 'drained(', 'fail(']) {
      expect(connection, member).toContain(member);
    }
    const server = classDeclaration('dist/esm/node/server.d.ts', 'WebSocketServer');
    for (const member of ['handleUpgrade(', 'attach(', 'listen(', 'close(', 'clients']) {
      expect(server, member).toContain(member);
    }
  });
});
