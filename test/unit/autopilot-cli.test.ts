import { describe, expect, it } from 'vitest';
import { autopilotBeatMs, autopilotUnit, decisionLine } from '../../src/cli/autopilot.js';
import { parseConfig } from '../../src/config/load.js';

describe('mission-control autopilot', () => {
  it('prints a systemd user unit running this program with this config, quoted the way systemd splits words', () => {
    const unit = autopilotUnit({ node: '/usr/bin/node', script: '/opt/mission control/bin/mission-control.js' }, '/home/a/.config/mc/100%.yaml');
    expect(unit).toContain('ExecStart=/usr/bin/node "/opt/mission control/bin/mission-control.js" autopilot --config /home/a/.config/mc/100%%.yaml\n');
    expect(unit).toMatch(/^\[Unit\][\s\S]*\[Service\][\s\S]*Restart=on-failure[\s\S]*\[Install\]\nWantedBy=default\.target\n$/);
  });

  it('logs one line per decision, as text or JSON', () => {
    const decision = { at: Date.UTC(2026, 11, 2, 1, 20), worker: 'vm', decision: 'suspend' as const, text: 'vm: suspending: no output, due now' };
    expect(decisionLine(decision, false)).toBe('2026-12-02T01:20:00.000Z suspend vm: suspending: no output, due now\n');
    expect(JSON.parse(decisionLine(decision, true))).toEqual(decision);
  });

  it('checks at a tenth of the shortest idle time, between 1 s and 30 s', () => {
    const config = (idle: string) => {
      const result = parseConfig(`workers:\n  - { name: d, provider: docker${idle} }\n`, 'c.yaml');
      if (!result.ok) throw new Error('bad config');
      return result.config.workers;
    };
    expect(autopilotBeatMs(config(', idle: { after: 2s }'))).toBe(1000);
    expect(autopilotBeatMs(config(', idle: { after: 2m }'))).toBe(12_000);
    expect(autopilotBeatMs(config(', idle: { after: 30m }'))).toBe(30_000);
    expect(autopilotBeatMs(config(''))).toBe(30_000);
  });
});
