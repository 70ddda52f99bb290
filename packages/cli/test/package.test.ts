import { join } from 'node:path';
import { publint } from 'publint';
import { describe, expect, it } from 'vitest';

describe('@auditready/cli as published', () => {
  it('passes publint (bin, exports, types)', async () => {
    const { messages } = await publint({ pkgDir: join(import.meta.dirname, '..'), level: 'suggestion', strict: true });
    expect(messages).toEqual([]);
  });
});
