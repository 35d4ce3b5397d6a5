import { fileURLToPath } from 'node:url';
import { demoTlsSuite } from '@wsgate/test-kit';

demoTlsSuite('koa-demo', fileURLToPath(new URL('..', import.meta.url)));
