/**
 * On SIGTERM or SIGINT: run `close` (which closes every WebSocket with 1001), then exit. The
 * process exits within `deadlineMs` even if closing hangs (DEMO-CONTRACT: within 5 s).
 */
export function exitOnSignals(close: () => Promise<unknown>, deadlineMs = 4_000): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing WebSocket connections with 1001`);
    const deadline = setTimeout(() => process.exit(0), deadlineMs);
    deadline.unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/**
 * For an app whose framework closes itself on SIGTERM or SIGINT (Nest's enableShutdownHooks):
 * exits after `deadlineMs` if that close hangs (DEMO-CONTRACT: within 5 s).
 */
export function exitDeadlineOnSignals(deadlineMs = 4_000): void {
  const arm = (): void => {
    setTimeout(() => process.exit(0), deadlineMs).unref();
  };
  process.once('SIGTERM', arm);
  process.once('SIGINT', arm);
}
