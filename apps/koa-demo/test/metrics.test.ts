import { fileURLToPath } from 'node:url';
import { demoMetricsSuite } from '@wsgate/test-kit';

demoMetricsSuite('koa-demo', fileURLToPath(new URL('..', import.meta.url)));
