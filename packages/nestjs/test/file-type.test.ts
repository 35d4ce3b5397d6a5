import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FileTypeValidator } from '@nestjs/common';
import { describe, expect, it } from 'vitest';

// Nest 12's @nestjs/common asks for file-type 22, which declares Node 22 or later; the repo (and
// the README, for Node 20 users) overrides it with file-type 21, which supports Node 20. Nest uses
// it only to detect an uploaded file's type from its content (FileTypeValidator).

/** A complete 1×1 PNG. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082',
  'hex',
);
/** The first bytes of a GIF. */
const GIF = Buffer.from('474946383961010001000000002c00000000010001000002024401003b', 'hex');

function upload(buffer: Buffer, mimetype: string) {
  return { fieldname: 'file', originalname: 'upload', mimetype, size: buffer.length, buffer };
}

describe("Nest 12's FileTypeValidator with the file-type that supports Node 20", () => {
  it('resolves file-type 21 from @nestjs/common, a major that declares Node 20', () => {
    const fromCommon = createRequire(
      join(dirname(createRequire(import.meta.url).resolve('@nestjs/common')), 'index.js'),
    );
    const manifestPath = join(dirname(fromCommon.resolve('file-type')), 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(manifest.version).toMatch(/^21\./);
    expect(manifest.engines.node).toBe('>=20');
  });

  it('accepts a PNG by its content and refuses a GIF sent as image/png', async () => {
    const validator = new FileTypeValidator({ fileType: 'image/png' });
    expect(await validator.isValid(upload(PNG, 'image/png'))).toBe(true);
    const gif = upload(GIF, 'image/png');
    expect(await validator.isValid(gif)).toBe(false);
    expect(validator.buildErrorMessage(gif)).toBe(
      'Validation failed (current file type is image/gif, expected type is image/png)',
    );
  });
});
