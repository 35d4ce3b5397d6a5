import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Debian's python3, which sees python3-websockets (a pyenv or venv python on PATH would not). */
export const PYTHON = process.env.WSGATE_PYTHON ?? '/usr/bin/python3';

/** The installed Python `websockets` version; throws a message saying how to install it. */
export function pythonWebsocketsVersion(): string {
  try {
    return execFileSync(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    throw new Error(
      `Python websockets is not installed for ${PYTHON}: the interop tests run it as a client. ` +
        'Install it: apt-get install -y python3-websockets (.ci/run does this); ' +
        `set WSGATE_PYTHON to use another interpreter. (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/**
 * Runs a Python script that prints one JSON object as its last line of output, and resolves
 * with it; rejects with the script's output when it fails or reports `error`.
 */
export function runPythonScript(
  script: string,
  args: readonly string[],
  timeoutMs = 120_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [script, ...args],
      {
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1) ?? '';
        let parsed: Record<string, unknown> | undefined;
        try {
          parsed = JSON.parse(last) as Record<string, unknown>;
        } catch {
          parsed = undefined;
        }
        if (error !== null || parsed === undefined || 'error' in parsed) {
          reject(
            new Error(
              `the python client failed (${error?.message ?? 'no error'}):\n${stdout}\n${stderr}`,
            ),
          );
          return;
        }
        resolve(parsed);
      },
    );
  });
}

/** What Python `websockets` saw at a message limit, compressed or not (message_limit_client.py). */
export interface PythonLimitProbe {
  readonly at_limit: { readonly length: number; readonly equal: boolean };
  readonly over_limit: {
    readonly code?: number;
    readonly reason?: string;
    readonly error?: string;
  };
}

/**
 * Python `websockets` sends `limitBytes` of random bytes to the echo endpoint at `url`, with
 * permessage-deflate (its defaults) and without, then one byte more each time.
 */
export async function pythonMessageLimitProbe(
  url: string,
  limitBytes: number,
): Promise<{ compressed: PythonLimitProbe; uncompressed: PythonLimitProbe }> {
  pythonWebsocketsVersion();
  const script = fileURLToPath(new URL('../python/message_limit_client.py', import.meta.url));
  const result = await runPythonScript(script, [url, String(limitBytes)]);
  return result as unknown as { compressed: PythonLimitProbe; uncompressed: PythonLimitProbe };
}
