import { describe, expect, it } from 'vitest';
import { idleWindowMs } from '../../src/app/budget.js';
import { formatConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';

const load = (text: string) => parseConfig(text, 'config.yaml');
const workers = (text: string) => {
  const result = load(text);
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
  return result.config.workers;
};
const errors = (text: string) => {
  const result = load(text);
  if (result.ok) throw new Error('expected errors, got a config');
  return result.errors.map(formatConfigError);
};

const gce = (name: string, extra: string[] = []) => [`  - name: ${name}`, '    provider: gce-cos', '    project: my-project', '    zone: us-central1-a', ...extra];

describe('idle policy config', () => {
  it('GCE workers take defaults.idle field by field, suspending unless told to stop; false opts out', () => {
    const [a, b, c] = workers(
      [
        'defaults:',
        '  idle: { after: 10m }',
        'workers:',
        ...gce('a'),
        ...gce('b', ['    idle: { action: stop, waitingAfter: 45m }']),
        ...gce('c', ['    idle: off']),
      ].join('\n'),
    );
    expect(a?.idle).toEqual({ afterMs: 600_000, action: 'suspend', waitingAfterMs: 7_200_000 });
    expect(b?.idle).toEqual({ afterMs: 600_000, action: 'stop', waitingAfterMs: 2_700_000 });
    expect(c?.idle).toBeUndefined();
  });

  it('no idle anywhere: no policy; docker workers ignore the defaults and always stop', () => {
    const [g, d, own] = workers(
      [
        'defaults:',
        '  idle: { after: 5m }',
        'workers:',
        ...gce('g', ['    idle: off']),
        '  - { name: d, provider: docker }',
        '  - { name: own, provider: docker, idle: { after: 90s } }',
      ].join('\n'),
    );
    expect(g?.idle).toBeUndefined();
    expect(d?.idle).toBeUndefined();
    expect(own?.idle).toEqual({ afterMs: 90_000, action: 'stop', waitingAfterMs: 7_200_000 });
    expect(workers(['workers:', ...gce('x')].join('\n'))[0]?.idle).toBeUndefined();
  });

  it('refuses suspend on a docker worker, idle on a host, and bad durations, at file:line', () => {
    expect(errors('workers:\n  - name: d\n    provider: docker\n    idle: { action: suspend }\n')).toEqual([
      expect.stringMatching(/^config\.yaml:4:\d+: workers\[0\]\.idle\.action: expected `stop` \(suspend keeps a VM's memory and exists only for GCE workers: provider gce-cos or gce-linux\), got "suspend"$/),
    ]);
    expect(errors('workers:\n  - name: h\n    provider: ssh\n    ssh: h\n    idle: { after: 5m }\n')).toEqual([
      expect.stringMatching(/^config\.yaml:5:\d+: workers\[0\]\.idle: `idle` is only for workers mission-control can stop: GCE workers/),
    ]);
    expect(errors(['workers:', ...gce('a', ['    idle: { after: soon, waitingAfter: 0 }'])].join('\n'))).toEqual([
      expect.stringMatching(/^config\.yaml:6:\d+: workers\[0\]\.idle\.after: expected a duration/),
      expect.stringMatching(/^config\.yaml:6:\d+: workers\[0\]\.idle\.waitingAfter: expected at least 1s, got 0$/),
    ]);
    expect(errors('defaults:\n  idle: { aftr: 5m }\n')).toEqual([expect.stringMatching(/^config\.yaml:2:\d+: .*unknown field `aftr`; did you mean `after`\?$/)]);
  });
});

describe('the budget and the idle policy', () => {
  it('reserves one idle.after of running for each wake-up, 30 minutes without a policy', () => {
    const [a, c] = workers(['defaults:', '  idle: { after: 10m }', 'workers:', ...gce('a'), ...gce('c', ['    idle: off'])].join('\n'));
    expect(idleWindowMs(a!)).toBe(10 * 60_000);
    expect(idleWindowMs(c!)).toBe(30 * 60_000);
  });
});
