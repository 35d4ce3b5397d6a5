// Writes docs/errors.md from the error catalogue (run after the build).
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '@wsgate/core/adapter';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
console.log('wrote docs/errors.md');
