import { describeDirectHandlers } from '../../nestjs/test/direct-handlers-suite.js';
import { nest11 } from './nest11.js';

describeDirectHandlers(nest11);
