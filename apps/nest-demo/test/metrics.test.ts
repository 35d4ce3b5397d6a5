import { fileURLToPath } from 'node:url';
import { demoMetricsSuite } from '@wsgate/test-kit';

demoMetricsSuite('nest-demo', fileURLToPath(new URL('..', import.meta.url)));
