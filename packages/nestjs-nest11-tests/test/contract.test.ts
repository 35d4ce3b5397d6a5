import { describeNestAdapter } from '../../nestjs/test/contract.js';
import { nest11, require } from './nest11.js';

describeNestAdapter(nest11, [
  {
    name: 'express',
    createHttpAdapter: () => new (require('@nestjs/platform-express').ExpressAdapter)(),
  },
  {
    name: 'fastify',
    createHttpAdapter: () => new (require('@nestjs/platform-fastify').FastifyAdapter)(),
  },
]);
