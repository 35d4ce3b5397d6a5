import { fileURLToPath } from 'node:url';
import { demoTlsSuite } from '@wsgate/test-kit';

demoTlsSuite('express-demo', fileURLToPath(new URL('..', import.meta.url)));
