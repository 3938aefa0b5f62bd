import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveJobSettings } from '../../src/jobs/kinds.js';
import { formatConfigError, type ConfigResult } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_SETTINGS, type FleetConfig } from '../../src/config/schema.js';

let dir: string;
let count = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-config-schema-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `text` to a fresh config.yaml and loads it as `--config` would. */
async function load(text: string): Promise<{ result: ConfigResult; file: string }> {
  const file = join(dir, `${++count}`, 'config.yaml');
  await mkdir(join(dir, `${count}`));
  await writeFile(file, text);
  return { result: await loadConfig(file, { explicit: true }), file };
}

async function fleet(text: string): Promise<FleetConfig> {
  const { result } = await load(text);
  if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
  return result.config;
}

/** The formatted errors, with the temp directory cut so they read `config.yaml:line:column: …`. */
async function errors(text: string): Promise<string[]> {
  const { result, file } = await load(text);
  if (result.ok) throw new Error('expected errors, got a config');
  for (const error of result.errors) expect(error.file).toBe(file);
  return result.errors.map((e) => formatConfigError(e).replace(join(file, '..') + '/', ''));
}

const defaults = { ...DEFAULT_SETTINGS };

describe('valid configs', () => {
  it('resolves an alias target, an inherited default, a container and durations', async () => {
    const config = await fleet(
      [
        'defaults:',
        '  maxJobs: 2',
        '  pollInterval: 3s',
        'workers:',
        '  - name: box',
        '    provider: ssh',
        '    ssh: gcli-worker',
        '    container: { name: maintainer-worker }',
        '    pollInterval: 1500ms',
      ].join('\n'),
    );
    expect(config.workers).toEqual([
      {
        ...defaults,
        name: 'box',
        provider: 'ssh',
        ssh: { alias: 'gcli-worker' },
        container: { name: 'maintainer-worker', runtime: 'docker' },
        maxJobs: 2,
        pollIntervalMs: 1500,
      },
    ]);
    expect(config.hostKeyPolicy).toBe('strict');
  });

  it('resolves an address target with every field', async () => {
    const config = await fleet(
      'workers:\n  - name: lab\n    provider: ssh\n    ssh: { host: 10.0.0.5, user: me, port: 2222, identityFile: ~/.ssh/id_ed25519 }\n',
    );
    expect(config.workers[0]).toEqual({
      ...defaults,
      name: 'lab',
      provider: 'ssh',
      ssh: { host: '10.0.0.5', user: 'me', port: 2222, identityFile: '~/.ssh/id_ed25519' },
    });
  });

  it.each([
    ['2', 2000],
    ['1', 1000],
    ['1.5', 1500],
    ['"2s"', 2000],
    ['"1500ms"', 1500],
    ['1000ms', 1000],
    ['2m', 120_000],
    ['0.25m', 15_000],
  ])('reads the duration %s as %i ms', async (written, ms) => {
    const config = await fleet(`defaults:\n  pollInterval: ${written}\n`);
    expect(config.workers[0]?.pollIntervalMs).toBe(ms);
  });

  it('loads the documented example', async () => {
    const file = join(import.meta.dirname, '../fixtures/config/full.yaml');
    const result = await loadConfig(file);
    expect(result).toEqual({
      ok: true,
      config: {
        source: file,
        jobs: resolveJobSettings(),
        hostKeyPolicy: 'accept-new',
        workers: [
          { ...defaults, hostKeyPolicy: 'accept-new', name: 'local', provider: 'local' },
          {
            name: 'box',
            provider: 'ssh',
            ssh: { alias: 'gcli-worker' },
            sshConfigFile: '~/.ssh/config',
            container: { name: 'maintainer-worker', runtime: 'docker' },
            tmuxSocket: 'mc-box',
            maxJobs: 8,
            pollIntervalMs: 5000,
            stateDir: '~/.mission-control',
            sessionPrefix: 'mc',
            hostKeyPolicy: 'accept-new',
            push: true,
          },
          {
            name: 'lab.2',
            provider: 'ssh',
            ssh: { host: '10.0.0.5', user: 'me', port: 22, identityFile: '~/.ssh/id_ed25519' },
            tmuxSocket: 'mission-control',
            maxJobs: 4,
            pollIntervalMs: 1500,
            stateDir: '~/.mission-control',
            sessionPrefix: 'lab',
            hostKeyPolicy: 'strict',
            push: false,
          },
        ],
      },
    });
  });

  it.each([
    ['an empty file', ''],
    ['only comments', '# nothing yet\n'],
    ['an empty worker list', 'workers: []\n'],
    ['an empty workers key', 'workers:\n'],
  ])('gives one local worker for %s', async (_what, text) => {
    const { result, file } = await load(text);
    expect(result).toEqual({
      ok: true,
      config: { source: file, hostKeyPolicy: 'strict', jobs: resolveJobSettings(), workers: [{ ...defaults, name: 'local', provider: 'local' }] },
    });
  });

  it('applies defaults to the implicit local worker', async () => {
    const config = await fleet('defaults:\n  tmuxSocket: /tmp/mc.sock\n  hostKeyPolicy: accept-new\n');
    expect(config.workers).toEqual([
      { ...defaults, name: 'local', provider: 'local', tmuxSocket: '/tmp/mc.sock', hostKeyPolicy: 'accept-new' },
    ]);
    expect(config.hostKeyPolicy).toBe('accept-new');
  });
});

describe('stateDir', () => {
  it('takes an absolute path or one under the home directory, as written', async () => {
    for (const stateDir of ['/var/lib/mc', '~/.mc state', '~']) {
      const config = await fleet(`defaults:\n  stateDir: ${JSON.stringify(stateDir)}\n`);
      expect(config.workers[0]?.stateDir).toBe(stateDir);
    }
  });

  it('rejects a relative path on a worker, where each command would resolve it elsewhere', async () => {
    expect(await errors('workers:\n  - name: box\n    provider: ssh\n    ssh: box\n    stateDir: .mc\n')).toEqual([
      'config.yaml:5:15: workers[0].stateDir: expected a directory path on the worker, absolute (/var/lib/mc) or under its home (~/.mission-control), got ".mc"',
    ]);
  });
});

describe('errors', () => {
  it('reports a wrong type at the value, with the field path and what was expected', async () => {
    const { result, file } = await load('workers:\n  - name: local\n    provider: local\n  - name: box\n    provider: ssh\n    ssh: box\n    maxJobs: ten\n');
    expect(result).toEqual({
      ok: false,
      errors: [{ file, line: 7, column: 14, field: 'workers[1].maxJobs', message: 'expected a positive integer, got "ten"' }],
    });
  });

  it.each([
    ['maxJobs: 0', 'config.yaml:2:12: defaults.maxJobs: expected a positive integer, got 0'],
    ['maxJobs: 1.5', 'config.yaml:2:12: defaults.maxJobs: expected a positive integer, got 1.5'],
    ['maxJobs:', 'config.yaml:2:3: defaults.maxJobs: expected a positive integer, got an empty value'],
    ['hostKeyPolicy: yes', 'config.yaml:2:18: defaults.hostKeyPolicy: expected `strict` or `accept-new`, got "yes"'],
    [
      'pollInterval: fast',
      'config.yaml:2:17: defaults.pollInterval: expected a duration: seconds as a number (2) or a string like "2s" or "1500ms", up to 24 days, got "fast"',
    ],
    ['pollInterval: 500ms', 'config.yaml:2:17: defaults.pollInterval: expected at least 1s (the floor), got "500ms"'],
    ['pollInterval: 0.5', 'config.yaml:2:17: defaults.pollInterval: expected at least 1s (the floor), got 0.5'],
    [
      'stateDir: state/mc',
      'config.yaml:2:13: defaults.stateDir: expected a directory path on the worker, absolute (/var/lib/mc) or under its home (~/.mission-control), got "state/mc"',
    ],
    ['stateDir: ~other/mc', expect.stringMatching(/^config\.yaml:2:13: defaults\.stateDir: expected a directory path .*, got "~other\/mc"$/)],
    ['sessionPrefix: a.b', "config.yaml:2:18: defaults.sessionPrefix: expected a session name prefix of 1-32 letters, digits, '_' or '-' (tmux names cannot contain '.' or ':'), got \"a.b\""],
    ['pollIntervl: 2', 'config.yaml:2:3: defaults.pollIntervl: unknown field `pollIntervl`; did you mean `pollInterval`?'],
    [
      'colour: red',
      'config.yaml:2:3: defaults.colour: unknown field `colour`; expected one of: pollInterval, push, tmuxSocket, stateDir, maxJobs, hostKeyPolicy, sessionPrefix, idle',
    ],
  ])('defaults with %s', async (line, error) => {
    expect(await errors(`defaults:\n  ${line}\n`)).toEqual([error]);
  });

  it('suggests the closest field for unknown keys at every level', async () => {
    const text = [
      'worker: []',
      'workers:',
      '  - name: box',
      '    provider: ssh',
      '    ssh: { host: h, prot: 22 }',
      '    maxjobs: 3',
      '    container: { name: mc-box, runtim: docker }',
    ].join('\n');
    expect(await errors(text)).toEqual([
      'config.yaml:1:1: worker: unknown field `worker`; did you mean `workers`?',
      'config.yaml:5:21: workers[0].ssh.prot: unknown field `prot`; did you mean `port`?',
      'config.yaml:6:5: workers[0].maxjobs: unknown field `maxjobs`; did you mean `maxJobs`?',
      'config.yaml:7:32: workers[0].container.runtim: unknown field `runtim`; did you mean `runtime`?',
    ]);
  });

  it('refuses ssh settings on a local worker', async () => {
    const text = 'workers:\n  - name: local\n    provider: local\n    ssh: gcli-worker\n';
    expect(await errors(text)).toEqual([
      'config.yaml:4:5: workers[0].ssh: `ssh` is not allowed for provider `local` (a local worker runs on this machine); remove it, or set `provider: ssh`',
    ]);
  });

  it('reports a missing required field at the worker', async () => {
    const text = 'workers:\n  - name: box\n    provider: ssh\n  - name: other\n';
    expect(await errors(text)).toEqual([
      'config.yaml:2:5: workers[0].ssh: missing required field `ssh`; expected an alias from ~/.ssh/config (a string) or a mapping {host, user?, port?, identityFile?}',
      'config.yaml:4:5: workers[1].provider: missing required field `provider`; expected `local`, `ssh`, `gce-cos`, `gce-linux` or `docker`',
    ]);
  });

  it('reports bad ssh targets, container runtimes and worker entries', async () => {
    const text = [
      'workers:',
      '  - name: a',
      '    provider: ssh',
      '    ssh: { user: me, port: 70000 }',
      '  - name: b',
      '    provider: ssh',
      '    ssh: 42',
      '    container: { name: mc, runtime: podman }',
      '  - just-a-name',
      '  - name: -x',
      '    provider: sssh',
    ].join('\n');
    expect(await errors(text)).toEqual([
      "config.yaml:4:10: workers[0].ssh.host: missing required field `host`; expected a host name or address, without spaces, not starting with '-'",
      'config.yaml:4:28: workers[0].ssh.port: expected a port number from 1 to 65535, got 70000',
      'config.yaml:7:10: workers[1].ssh: expected an alias from ~/.ssh/config (a string) or a mapping {host, user?, port?, identityFile?}, got 42',
      'config.yaml:8:37: workers[1].container.runtime: expected `docker` (the only container runtime this version supports), got "podman"',
      'config.yaml:9:5: workers[2]: expected a worker mapping with at least `name` and `provider`, got "just-a-name"',
      'config.yaml:11:15: workers[3].provider: expected `local`, `ssh`, `gce-cos`, `gce-linux` or `docker`, got "sssh"; did you mean `ssh`?',
    ]);
  });

  it('names both lines of a duplicate worker name', async () => {
    const text = 'workers:\n  - name: box\n    provider: local\n  - name: other\n    provider: local\n  - name: box\n    provider: local\n';
    const { result, file } = await load(text);
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          file,
          line: 6,
          column: 11,
          field: 'workers[2].name',
          message: 'duplicate worker name "box", also used by workers[0] at line 2; expected a name no other worker has',
        },
      ],
    });
  });

  it.each(['gce-cos', 'gce-linux'])('accepts provider %s and checks its fields (see gce-config.test.ts)', async (kind) => {
    const text = `workers:\n  - name: vm\n    provider: ${kind}\n    project: p\n    zone: europe-west1-b\n`;
    expect(await errors(text)).toEqual([
      "config.yaml:4:14: workers[0].project: expected a GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter, got \"p\"",
    ]);
  });

  it.each([
    [
      'bad indentation',
      'workers:\n  - name: a\n   provider: local\n',
      'config.yaml:3:1: YAML syntax error: sequence item without - indicator; expected valid YAML: check the indentation and quoting here and on the line above',
    ],
    [
      'a repeated key',
      'defaults:\n  maxJobs: 1\n  maxJobs: 2\n',
      'config.yaml:3:3: YAML syntax error: map keys must be unique; expected each key once in a mapping',
    ],
    ['a tab', 'workers:\n\t- name: a\n', 'config.yaml:2:1: YAML syntax error: tabs are not allowed as indentation; expected spaces for indentation'],
    [
      'two documents',
      'workers: []\n---\nworkers: []\n',
      'config.yaml:2:1: YAML syntax error: more than one document; expected a single document (remove the second `---`)',
    ],
  ])('reports a YAML syntax error (%s) at its position', async (_what, text, error) => {
    expect(await errors(text)).toEqual([error]);
  });

  it('says what the top level should be', async () => {
    expect(await errors('- name: a\n')).toEqual(['config.yaml:1:1: expected a mapping with `defaults`, `workers`, `kinds`, `repo`, `notify`, `attach`, `budget` and/or `agent`, got a list']);
  });

  it('takes a monthly budget at the top level, and says what is wrong with one', async () => {
    expect((await fleet('budget: { monthly: 25.5 }\n')).budget).toEqual({ monthly: 25.5 });
    expect((await fleet('workers: []\n')).budget).toBeUndefined();
    expect(await errors('budget: { monthly: 0 }\n')).toEqual(['config.yaml:1:20: budget.monthly: the monthly budget must be more than 0 (USD)']);
    expect(await errors('budget: { monthy: 5 }\n')).toEqual([
      'config.yaml:1:9: budget.monthly: missing required field `monthly`; expected a positive amount in USD, e.g. 50',
      'config.yaml:1:11: budget.monthy: unknown field `monthy`; did you mean `monthly`?',
    ]);
  });
});

describe('attach.detachKey', () => {
  it.each(['C-q', 'C-]', 'M-d', 'C-M-x', 'F12', 'C-F1', 'M-Up'])('takes the tmux key %s', async (key) => {
    expect((await fleet(`attach:\n  detachKey: ${JSON.stringify(key)}\n`)).attach).toEqual({ detachKey: key });
  });

  it('is absent when the file names none (C-q then)', async () => {
    expect((await fleet('attach: {}\n')).attach).toBeUndefined();
    expect((await fleet('workers: []\n')).attach).toBeUndefined();
  });

  it.each(['q', 'C-', 'C-q; run-shell x', 'ctrl-q', 'C-qq', 'Enter'])('refuses %j, saying what a key name looks like', async (key) => {
    const [error] = await errors(`attach:\n  detachKey: ${JSON.stringify(key)}\n`);
    expect(error).toMatch(/^config\.yaml:2:14: attach\.detachKey: expected a tmux key name with ctrl or alt \(`C-q`, `C-\]`, `M-d`\) or a function key \(`F12`\): a plain key would detach whenever it is typed, got /);
  });

  it('suggests the field when it is misspelt', async () => {
    const [error] = await errors('attach:\n  detachkey: C-q\n');
    expect(error).toContain('detachKey');
  });
});
