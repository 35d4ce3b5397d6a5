import 'reflect-metadata';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { describeNestAdapter } from './contract.js';
import { nest12 } from './nest12.js';

describeNestAdapter(nest12, [
  { name: 'express', createHttpAdapter: () => new ExpressAdapter() },
  { name: 'fastify', createHttpAdapter: () => new FastifyAdapter() },
]);
