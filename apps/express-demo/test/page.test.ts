import { fileURLToPath } from 'node:url';
import { demoPageSuite } from '@wsgate/test-kit';

demoPageSuite('express-demo', fileURLToPath(new URL('..', import.meta.url)));
