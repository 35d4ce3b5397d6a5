import { fileURLToPath } from 'node:url';
import { demoBrowserH2Suite, demoTlsSuite } from '@wsgate/test-kit';

const appDir = fileURLToPath(new URL('..', import.meta.url));

demoTlsSuite('express-demo', appDir);
demoBrowserH2Suite('express-demo', appDir);
