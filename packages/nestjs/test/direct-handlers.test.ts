import 'reflect-metadata';
import { describeDirectHandlers } from './direct-handlers-suite.js';
import { nest12 } from './nest12.js';

describeDirectHandlers(nest12);
