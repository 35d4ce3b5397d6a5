import type { ConformanceCase } from '../types.js';
import { binaryNoise, CLEAN, defineCase, echo, message, script, utf8Text } from './helpers.js';

// 10.x Auto-fragmentation: a message the client fragments at an arbitrary size (as a client
// library's auto-fragmentation does) is reassembled and echoed whole, whatever the server's own
// framing of the answer.

export const autoFragmentationCases: ConformanceCase[] = [
  defineCase(
    '10',
    '10.1.1',
    'Send a 64 KiB text message auto-fragmented into 1300-byte frames; it is echoed.',
    () => {
      const payload = Buffer.alloc(65_536, '*');
      return script(
        [message({ type: 'text', payload, fragmentBytes: 1300 })],
        [echo('text', payload)],
        CLEAN,
      );
    },
  ),
  defineCase(
    '10',
    '10.1.2',
    'Send a 64 KiB binary message auto-fragmented into 1300-byte frames; it is echoed.',
    () => {
      const payload = binaryNoise(65_536);
      return script(
        [message({ type: 'binary', payload, fragmentBytes: 1300 })],
        [echo('binary', payload)],
        CLEAN,
      );
    },
  ),
  defineCase(
    '10',
    '10.1.3',
    'Send a 64 KiB multi-byte text message in 1301-byte frames (cutting inside characters); it is echoed.',
    () => {
      const payload = utf8Text(65_536);
      return script(
        [message({ type: 'text', payload, fragmentBytes: 1301 })],
        [echo('text', payload)],
        CLEAN,
      );
    },
  ),
  defineCase(
    '10',
    '10.1.4',
    'Send a 4 KiB multi-byte text message in 1-byte frames; it is echoed.',
    () => {
      const payload = utf8Text(4096);
      return script(
        [message({ type: 'text', payload, fragmentBytes: 1 })],
        [echo('text', payload)],
        CLEAN,
      );
    },
  ),
];
