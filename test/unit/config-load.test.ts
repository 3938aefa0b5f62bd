import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveJobSettings } from '../../src/jobs/kinds.js';
import { formatConfigError } from '../../src/config/config-error.js';
import { defaultConfigPath, loadConfig } from '../../src/config/load.js';
import { DEFAULT_SETTINGS, defaultFleet } from '../../src/config/schema.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-config-load-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('defaultConfigPath', () => {
  it('uses XDG_CONFIG_HOME when it is absolute', () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/me' })).toBe('/xdg/mission-control/config.yaml');
  });

  it.each([
    ['unset', {}],
    ['empty', { XDG_CONFIG_HOME: '' }],
    ['relative (invalid per the XDG spec)', { XDG_CONFIG_HOME: 'rel' }],
  ])('falls back to ~/.config when XDG_CONFIG_HOME is %s', (_what, env) => {
    expect(defaultConfigPath({ ...env, HOME: '/home/me' })).toBe('/home/me/.config/mission-control/config.yaml');
  });
});

describe('loadConfig', () => {
  it('gives the embedded default fleet when the default file is missing', async () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'no-such-dir') };
    const result = await loadConfig(undefined, { env });
    expect(result).toEqual({ ok: true, config: defaultFleet() });
    expect(result).toEqual({
      ok: true,
      config: { source: undefined, hostKeyPolicy: 'strict', jobs: resolveJobSettings(), workers: [{ ...DEFAULT_SETTINGS, name: 'local', provider: 'local' }] },
    });
  });

  it('reads the default file when it exists', async () => {
    const xdg = join(dir, 'xdg');
    await mkdir(join(xdg, 'mission-control'), { recursive: true });
    const file = join(xdg, 'mission-control', 'config.yaml');
    await writeFile(file, 'workers:\n  - name: here\n    provider: local\n');
    const result = await loadConfig(undefined, { env: { XDG_CONFIG_HOME: xdg } });
    expect(result.ok && result.config.source).toBe(file);
    expect(result.ok && result.config.workers.map((w) => w.name)).toEqual(['here']);
  });

  it('refuses a missing --config file', async () => {
    const file = join(dir, 'missing.yaml');
    const result = await loadConfig(file, { explicit: true });
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          file,
          line: undefined,
          column: undefined,
          field: '',
          message: 'config file not found; expected an existing YAML file (check the --config path, or leave --config out to use the default)',
        },
      ],
    });
  });

  it('treats a given path as explicit unless told otherwise', async () => {
    const file = join(dir, 'missing-too.yaml');
    expect((await loadConfig(file)).ok).toBe(false);
    expect(await loadConfig(file, { explicit: false })).toEqual({ ok: true, config: defaultFleet() });
  });

  it('refuses a directory, even at the default path', async () => {
    const xdg = join(dir, 'xdg-dir');
    await mkdir(join(xdg, 'mission-control', 'config.yaml'), { recursive: true });
    const result = await loadConfig(undefined, { env: { XDG_CONFIG_HOME: xdg } });
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([
      `${join(xdg, 'mission-control', 'config.yaml')}: this is a directory; expected a YAML file`,
    ]);
  });
});

describe('formatConfigError', () => {
  it('reads like a compiler error', () => {
    const error = { file: 'config.yaml', line: 12, column: 5, field: 'workers[1].maxJobs', message: 'expected a positive integer, got "ten"' };
    expect(formatConfigError(error)).toBe('config.yaml:12:5: workers[1].maxJobs: expected a positive integer, got "ten"');
    expect(formatConfigError({ ...error, field: '' })).toBe('config.yaml:12:5: expected a positive integer, got "ten"');
  });
});
