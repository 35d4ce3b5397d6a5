import { fileURLToPath } from 'node:url';
import { demoConformanceSuite } from '@wsgate/conformance';

demoConformanceSuite('nest-demo', fileURLToPath(new URL('..', import.meta.url)));
