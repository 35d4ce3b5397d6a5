import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface RunningDemo {
  readonly port: number;
  /** `http://127.0.0.1:PORT`, or `https://` with TLS=1. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the app printed so far. */
  output(): string;
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

/**
 * Starts a built demo app as a user would (`node dist/main.js`, what `npm start` runs) on
 * 127.0.0.1 with PORT=0, and reads the port from the URL it prints.
 */
export function startDemo(
  appDir: string,
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 15_000,
): Promise<RunningDemo> {
  const child = spawn(process.execPath, [join(appDir, 'dist/main.js')], {
    cwd: appDir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${appDir} printed no URL within ${timeoutMs} ms. Output:\n${output}`));
    }, timeoutMs);
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /(https?):\/\/127\.0\.0\.1:(\d+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onOutput);
        child.stdout?.on('data', (more: Buffer) => {
          output += more.toString();
        });
        const port = Number(match[2]);
        const url = `${match[1]}://127.0.0.1:${port}`;
        resolve({ port, url, child, output: () => output, stop });
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${appDir} exited with ${code} before listening. Output:\n${output}`));
    });
  });
}
