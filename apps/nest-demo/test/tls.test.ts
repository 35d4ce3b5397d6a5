import { fileURLToPath } from 'node:url';
import { demoBrowserH2Suite, demoTlsSuite } from '@wsgate/test-kit';

const appDir = fileURLToPath(new URL('..', import.meta.url));

demoTlsSuite('nest-demo', appDir);
demoBrowserH2Suite('nest-demo', appDir);
