import { describeNestTopics } from '../../nestjs/test/topics-suite.js';
import { nest11, require } from './nest11.js';

describeNestTopics(nest11, [
  {
    name: 'express',
    createHttpAdapter: () => new (require('@nestjs/platform-express').ExpressAdapter)(),
  },
  {
    name: 'fastify',
    createHttpAdapter: () => new (require('@nestjs/platform-fastify').FastifyAdapter)(),
  },
]);
