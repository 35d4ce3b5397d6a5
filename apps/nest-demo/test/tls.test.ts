import { fileURLToPath } from 'node:url';
import { demoTlsSuite } from '@wsgate/test-kit';

demoTlsSuite('nest-demo', fileURLToPath(new URL('..', import.meta.url)));
