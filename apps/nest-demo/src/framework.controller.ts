import { createRequire } from 'node:module';
import { Controller, Get, Header } from '@nestjs/common';

const { version } = createRequire(import.meta.url)('@nestjs/core/package.json') as {
  version: string;
};

/** What the page shows as the framework serving it. */
@Controller()
export class FrameworkController {
  @Get('framework')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  framework(): string {
    return `NestJS ${version}`;
  }
}
