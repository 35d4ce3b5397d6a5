import { BackplaneEvents, describeBackplane } from '@wsgate/test-kit';
import { describe, expect, it } from 'vitest';
import { MemoryBackplane, MemoryHub } from '../../src/topics/memory-backplane.js';

const hub = new MemoryHub();
describeBackplane('MemoryBackplane', () => ({
  node: (options) => new MemoryBackplane({ hub, ...options }),
}));

const text = (value: string) => new TextEncoder().encode(value);

describe('MemoryBackplane on its own', () => {
  it('delivers events after publish resolves, not during the call', async () => {
    const backplane = new MemoryBackplane();
    const events = new BackplaneEvents();
    await backplane.start(events.listener);
    await backplane.subscribe('news');
    const sent = backplane.publish('news', text('hello'), false);
    expect(events.events).toEqual([]);
    await sent;
    await events.until(() => events.messages('news').length === 1, 'the message');
    await backplane.close();
  });

  it('keeps a copy of the payload, so the caller may reuse its buffer', async () => {
    const backplane = new MemoryBackplane();
    await backplane.start(() => {});
    const buffer = text('first');
    const { epoch } = await backplane.publish('reuse', buffer, false);
    buffer.set(text('later'));
    const { messages } = await backplane.history('reuse', { offset: 0, epoch });
    expect(new TextDecoder().decode(messages[0]?.data)).toBe('first');
    await backplane.close();
  });

  it('gives a topic a new epoch once its history is gone and nobody uses it', async () => {
    let now = 0;
    const backplane = new MemoryBackplane({ history: { maxAgeMs: 1000 }, now: () => now });
    await backplane.start(() => {});
    const before = await backplane.publish('idle', text('x'), false);
    now += 2000;
    const lost = await backplane.history('idle', before);
    expect(lost.recovered).toBe(true);
    await backplane.subscribe('idle');
    await backplane.unsubscribe('idle');
    const after = await backplane.position('idle');
    expect(after.offset).toBe(0);
    expect(after.epoch).not.toBe(before.epoch);
    expect((await backplane.history('idle', before)).recovered).toBe(false);
    await backplane.close();
  });

  it('does not share topics between backplanes without a common hub', async () => {
    const one = new MemoryBackplane();
    const two = new MemoryBackplane();
    await one.start(() => {});
    await two.start(() => {});
    await one.publish('solo', text('x'), false);
    expect((await two.position('solo')).offset).toBe(0);
    await Promise.all([one.close(), two.close()]);
  });

  it('refuses history bounds that are not positive integers', () => {
    expect(() => new MemoryBackplane({ history: { maxMessages: 0 } })).toThrow(RangeError);
    expect(() => new MemoryBackplane({ history: { maxAgeMs: 1.5 } })).toThrow(/maxAgeMs/);
  });
});
