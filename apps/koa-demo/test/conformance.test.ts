import { fileURLToPath } from 'node:url';
import { demoConformanceSuite } from '@wsgate/conformance';

demoConformanceSuite('koa-demo', fileURLToPath(new URL('..', import.meta.url)));
