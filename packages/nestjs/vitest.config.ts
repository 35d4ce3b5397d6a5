import ts from 'typescript';
import type { Plugin } from 'vite';
import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

/**
 * Nest reads constructor and parameter types from decorator metadata, which Vite's own
 * TypeScript transform (oxc) does not emit. TypeScript's transpileModule does, in plain
 * JavaScript with no native binary; it replaces the default transform for .ts files.
 */
export function decoratorMetadata(): Plugin {
  return {
    name: 'wsgate:decorator-metadata',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0] ?? id;
      if (!file.endsWith('.ts') || file.endsWith('.d.ts') || file.includes('/node_modules/'))
        return null;
      const output = ts.transpileModule(code, {
        fileName: file,
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          sourceMap: true,
          inlineSources: true,
        },
      });
      return { code: output.outputText, map: output.sourceMapText ?? null };
    },
  };
}

export default mergeConfig(
  shared,
  defineProject({
    plugins: [decoratorMetadata()],
    oxc: false,
    test: { name: 'packages/nestjs' },
  }),
);
