import { describe, expect, it } from 'vitest';
import { toJobMeta } from '../../src/scanners/worker-scan/parse-jobs.js';

const base = { id: '12-fix', kind: 'fix', params: { pr: '12' }, command: ['fix', '12'], session: 'mc-12-fix', createdAt: '2026-12-01T00:00:00.000Z' };

describe('meta.json baseCommit', () => {
  it('keeps a commit id (SHA-1 or SHA-256)', () => {
    for (const commit of ['a'.repeat(40), '0123456789abcdef'.repeat(4)]) expect(toJobMeta({ ...base, baseCommit: commit })).toEqual({ ...base, baseCommit: commit });
  });

  it('drops anything else, so it never reaches git as an option or a revision expression', () => {
    for (const commit of ['--output=/tmp/x', 'HEAD~1', 'a'.repeat(39), 'A'.repeat(40), 40]) {
      expect(toJobMeta({ ...base, baseCommit: commit })).toEqual(base);
    }
  });
});
