import type { BackplaneEvent, TopicMessage } from '@wsgate/core';

/** Records a backplane's events and waits for the ones a test expects, with a deadline. */
export class BackplaneEvents {
  readonly events: BackplaneEvent[] = [];
  readonly #waiters = new Set<() => void>();

  /** Pass this to Backplane.start(). */
  readonly listener = (event: BackplaneEvent): void => {
    this.events.push(event);
    for (const wake of [...this.#waiters]) wake();
  };

  /** The messages received, of one topic or of all. */
  messages(topic?: string): TopicMessage[] {
    return this.events.flatMap((event) =>
      event.type === 'message' && (topic === undefined || event.message.topic === topic)
        ? [event.message]
        : [],
    );
  }

  /** Resolves with the first recorded event (from index `from` on) that matches; rejects after `timeoutMs`. */
  next(
    matches: (event: BackplaneEvent) => boolean,
    what: string,
    options: { readonly from?: number; readonly timeoutMs?: number } = {},
  ): Promise<BackplaneEvent> {
    return this.until(() => this.events.slice(options.from ?? 0).find(matches), what, options);
  }

  /** Resolves once `check` returns a value (checked after every event); rejects after `timeoutMs`. */
  until<T>(
    check: () => T | undefined | false,
    what: string,
    options: { readonly timeoutMs?: number } = {},
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const settle = () => {
        const found = check();
        if (found === undefined || found === false) return false;
        this.#waiters.delete(settle);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(settle);
        reject(new Error(`timed out waiting for ${what}; events: ${summary(this.events)}`));
      }, options.timeoutMs ?? 5_000);
      if (!settle()) this.#waiters.add(settle);
    });
  }
}

function summary(events: readonly BackplaneEvent[]): string {
  return (
    events
      .slice(-10)
      .map((event) => {
        if (event.type === 'message')
          return `message ${event.message.topic}#${event.message.offset}`;
        if (event.type === 'presence') return `${event.action} ${event.member.clientId}`;
        if (event.type === 'error') return `error ${event.error.message}`;
        return event.type;
      })
      .join(', ') || 'none'
  );
}
