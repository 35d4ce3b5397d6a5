import 'reflect-metadata';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { nest12 } from './nest12.js';
import { describeNestTopics } from './topics-suite.js';

describeNestTopics(nest12, [
  { name: 'express', createHttpAdapter: () => new ExpressAdapter() },
  { name: 'fastify', createHttpAdapter: () => new FastifyAdapter() },
]);
