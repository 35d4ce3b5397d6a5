import type { ConformanceCase } from '../types.js';
import { autoFragmentationCases } from './auto-fragmentation.js';
import { closingCases } from './closing.js';
import { compressionCases } from './compression.js';
import { deflateParameterCases } from './deflate-parameters.js';
import { fragmentationCases } from './fragmentation.js';
import { framingCases } from './framing.js';
import { limitsCases } from './limits.js';
import { opcodeCases } from './opcodes.js';
import { pingCases } from './pings.js';
import { reservedBitCases } from './reserved-bits.js';
import { utf8Cases } from './utf8.js';

/** Every case, in Autobahn's order (1.x to 13.x). */
export function allCases(): readonly ConformanceCase[] {
  return [
    ...framingCases,
    ...pingCases,
    ...reservedBitCases,
    ...opcodeCases,
    ...fragmentationCases,
    ...utf8Cases,
    ...closingCases,
    ...limitsCases,
    ...autoFragmentationCases,
    ...compressionCases,
    ...deflateParameterCases,
  ];
}
