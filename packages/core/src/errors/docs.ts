import { catalogue, type ErrorKind, errorCodes } from './catalogue.js';
import { statusText } from './http-refusal.js';

const sections: ReadonlyArray<readonly [ErrorKind, string, string]> = [
  [
    'handshake',
    'Handshake refusals',
    'The server answers the opening handshake with this HTTP status and closes the socket. The body names the code, the cause and the fix (JSON when the request accepts `application/json`); the `X-WSGate-Error` header carries the code.',
  ],
  [
    'protocol',
    'Protocol violations after the upgrade',
    'The connection is closed with this close code; the close reason starts with the code.',
  ],
  ['lifecycle', 'How connections end', "Reported on the connection's close event and in the log."],
  [
    'client',
    'Client connection failures',
    'Raised by `connect()` as a `WsgateError` with this code.',
  ],
  [
    'server',
    'Server start failures',
    'Raised while a server or a framework adapter starts, as a `WsgateError` with this code.',
  ],
  [
    'topic',
    'Topics and backplanes',
    "A `WsgateError` with this code rejects the topic operation (or arrives as the backplane's `error` event); no status or close code: the connection stays open.",
  ],
];

function answerOf(code: (typeof errorCodes)[number]): string {
  const entry = catalogue[code];
  switch (entry.kind) {
    case 'handshake': {
      const headers = Object.entries(entry.headers ?? {})
        .map(([name, value]) => `\`${name}: ${value}\``)
        .join(', ');
      return `${entry.status} ${statusText[entry.status]}${headers ? ` + ${headers}` : ''}`;
    }
    case 'protocol':
    case 'lifecycle':
      return `close ${entry.closeCode}`;
    case 'client':
    case 'server':
    case 'topic':
      return `${entry.kind} error`;
  }
}

/** Renders docs/errors.md from the catalogue; a test keeps the committed file identical. */
export function renderErrorDocs(): string {
  const lines = [
    '# wsgate error codes',
    '',
    '<!-- Generated from packages/core/src/errors/catalogue.ts by `npm run docs:errors`. Do not edit. -->',
    '',
    'Every refusal and failure in wsgate has a stable code. This page is generated from the catalogue that also writes the HTTP bodies, the close reasons and the log events, so it cannot drift from what the code does. Each entry says what `wsgate doctor <url>` checks that finds it (see [packages/cli](../packages/cli/README.md)) and how to fix it on common setups: nginx and other proxies, TLS, Origin, clients and versions.',
    '',
  ];
  for (const [kind, heading, intro] of sections) {
    const codes = errorCodes.filter((code) => catalogue[code].kind === kind);
    lines.push(`## ${heading}`, '', intro, '', '| code | answer | title |', '| --- | --- | --- |');
    for (const code of codes) {
      lines.push(
        `| [\`${code}\`](#${code.toLowerCase()}) | ${answerOf(code)} | ${catalogue[code].title} |`,
      );
    }
    lines.push('');
    for (const code of codes) {
      const entry = catalogue[code];
      lines.push(
        `### ${code}`,
        '',
        `**${entry.title}** — ${answerOf(code)}`,
        '',
        `- Cause: ${entry.cause}`,
        `- Fix: ${entry.fix}`,
        `- What \`wsgate doctor\` checks: ${entry.doctor}`,
      );
      const setups = Object.entries(entry.setups ?? {});
      if (setups.length > 0) {
        lines.push('- Fix on common setups:');
        for (const [setup, fix] of setups) lines.push(`  - **${setup}**: ${fix}`);
      }
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
