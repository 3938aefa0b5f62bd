import { describe, expect, it } from 'vitest';
import { parseReadiness, readinessFailure } from '../../src/providers/gce/readiness.js';
import { RefusedLogins } from '../../src/providers/gce/stages.js';

describe('readiness answers', () => {
  it('reads the last line of the check', () => {
    expect(
      [
        ['noise\nready\n', 0],
        ['regroup\n', 0],
        ['waiting: container maintainer-worker is not running\n', 0],
        ['failed: boot script failed at line 12 (exit 1): docker pull x\n', 0],
        ['unusable: image i (container c) has no working tmux: exec: "tmux": not found\n', 0],
        ['', 255],
      ].map(([out, code]) => parseReadiness(out as string, code as number)),
    ).toEqual([
      { state: 'ready' },
      { state: 'regroup' },
      { state: 'waiting', detail: 'container maintainer-worker is not running' },
      { state: 'failed', detail: 'boot script failed at line 12 (exit 1): docker pull x' },
      { state: 'unusable', detail: 'image i (container c) has no working tmux: exec: "tmux": not found' },
      { state: 'waiting', detail: 'readiness check exited 255' },
    ]);
  });

  it('says what to do about a worker that cannot work', () => {
    const context = { worker: 'w', action: 'provisioning', kind: 'gce-cos', sudo: true } as const;
    expect(readinessFailure({ state: 'unusable', detail: 'image i (container c) has no working tmux' }, context).message).toMatch(/use an image that has tmux/);
    expect(readinessFailure({ state: 'unusable', detail: 'alice may not use docker' }, context).message).toMatch(/roles\/compute\.osAdminLogin/);
    expect(readinessFailure({ state: 'failed', detail: 'x' }, { ...context, kind: 'gce-linux' }).message).toMatch(/journalctl -u google-startup-scripts/);
  });

  it('gives up on refused logins only after enough of them over the grace time', () => {
    const refused = new RefusedLogins(3, 60_000);
    expect([refused.add(0), refused.add(1000), refused.add(2000), refused.add(59_999), refused.add(60_000)]).toEqual([false, false, false, false, true]);
    expect(refused.count).toBe(5);
  });
});
