import { fileURLToPath } from 'node:url';
import { demoConformanceSuite } from '@wsgate/conformance';

demoConformanceSuite('express-demo', fileURLToPath(new URL('..', import.meta.url)));
