import { Capture } from '@wsgate/core';
import { ExchangeLog, roundMs } from './exchange-log.js';
import { ProbeContext } from './probe-context.js';
import { runCloseStep } from './steps/close.js';
import { runDnsStep } from './steps/dns.js';
import { runHttp2Step } from './steps/http2.js';
import { runRoundTripStep } from './steps/round-trip.js';
import { runSwitchSteps } from './steps/switch.js';
import { runTcpStep } from './steps/tcp.js';
import { runTlsStep } from './steps/tls.js';
import { runUpgradeStep } from './steps/upgrade.js';
import { runUrlStep } from './steps/url.js';
import { type DoctorOptions, type DoctorReport, stepNames } from './types.js';

/**
 * The steps in the order they run; each returns false when it failed (its diagnosis is in the
 * report), and the probe stops there. The switch steps are version, subprotocol and extensions.
 */
const probeSteps: ReadonlyArray<(probe: ProbeContext) => boolean | Promise<boolean>> = [
  runUrlStep,
  runDnsStep,
  runTcpStep,
  runTlsStep,
  runUpgradeStep,
  runSwitchSteps,
  runRoundTripStep,
  runCloseStep,
  // Never fails: a note on RFC 8441 support.
  runHttp2Step,
];

/**
 * Probes a WebSocket endpoint step by step (URL, DNS, TCP, TLS, HTTP upgrade, version,
 * subprotocol, extensions, echo, close) over raw sockets, and stops at the first failing step
 * with a diagnosis: the catalogue code, what was observed, the likely causes and the fix.
 * Works against any RFC 6455 server, not only wsgate. Never throws for a failing endpoint: the
 * report says what failed. Throws only when `capture` names a file that cannot be created.
 */
export async function doctor(
  input: string | URL,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const log = new ExchangeLog();
  const report: DoctorReport = {
    input: String(input),
    url: undefined,
    healthy: false,
    exitCode: 1,
    steps: stepNames.map((name) => ({ name, status: 'not-run', summary: '' })),
    diagnosis: undefined,
    notes: [],
    exchange: log.entries,
    durationMs: 0,
  };
  const given = options.capture;
  // A capture passed in is shared with other connections: the caller closes it.
  const ownCapture = given !== undefined && !(given instanceof Capture);
  const capture =
    given === undefined || given instanceof Capture
      ? given
      : new Capture(typeof given === 'string' ? { file: given } : given);
  const probe = new ProbeContext(report, log, options, capture);
  try {
    let healthy = true;
    for (const step of probeSteps) {
      if (!(await step(probe))) {
        healthy = false;
        break;
      }
    }
    if (healthy) {
      report.healthy = true;
      report.exitCode = 0;
    }
  } finally {
    probe.dispose();
    if (capture !== undefined) {
      if (ownCapture) await capture.close();
      report.capture = {
        file: capture.file,
        bytesWritten: capture.bytesWritten,
        truncated: capture.truncated,
        ...(capture.note === undefined ? {} : { note: capture.note }),
      };
    }
    report.durationMs = roundMs(log.now());
  }
  return report;
}
