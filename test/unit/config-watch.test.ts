import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatConfigError, type ConfigResult } from '../../src/config/config-error.js';
import { watchConfig, type ConfigWatcher } from '../../src/config/watch.js';

let dir: string;
let file: string;
const open: ConfigWatcher[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-config-watch-'));
  file = join(dir, 'config.yaml');
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((w) => w.close()));
  await rm(dir, { recursive: true, force: true });
});

/** Polls until `condition` holds; fails with `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Starts a watcher on `path` that records every report; resolves once it is in place. */
async function watching(path = file): Promise<{ results: ConfigResult[]; watcher: ConfigWatcher }> {
  const results: ConfigResult[] = [];
  const watcher = watchConfig(path, (result) => results.push(result), { debounceMs: 50 });
  open.push(watcher);
  await watcher.ready;
  return { results, watcher };
}

const worker = (name: string) => `workers:\n  - name: ${name}\n    provider: local\n`;
const names = (result: ConfigResult | undefined) => (result?.ok ? result.config.workers.map((w) => w.name) : result?.errors.map(formatConfigError));

describe('watchConfig', () => {
  it('reports the new config after a valid edit', async () => {
    await writeFile(file, worker('one'));
    const { results } = await watching();
    await writeFile(file, worker('two'));
    await until('a report', () => results.length > 0);
    expect(names(results.at(-1))).toEqual(['two']);
    expect(results.at(-1)).toMatchObject({ ok: true, config: { source: file } });
  });

  it('reports errors after an invalid edit, then the config again once fixed', async () => {
    await writeFile(file, worker('one'));
    const { results } = await watching();
    await writeFile(file, 'workers:\n  - name: one\n    provider: local\n    maxJobs: ten\n');
    await until('an error report', () => results.some((r) => !r.ok));
    expect(names(results.at(-1))).toEqual([`${file}:4:14: workers[0].maxJobs: expected a positive integer, got "ten"`]);
    await writeFile(file, worker('fixed'));
    await until('a good report', () => results.at(-1)?.ok === true);
    expect(names(results.at(-1))).toEqual(['fixed']);
  });

  it('picks up an editor save that renames a new file over the old one', async () => {
    await writeFile(file, worker('one'));
    const { results } = await watching();
    const temporary = join(dir, '.config.yaml.swp');
    await writeFile(temporary, worker('renamed'));
    await rename(temporary, file);
    await until('a report', () => results.length > 0);
    expect(names(results.at(-1))).toEqual(['renamed']);
    // The watch survives the replacement: a later in-place edit is still seen.
    await writeFile(file, worker('after'));
    await until('a second report', () => names(results.at(-1))?.[0] === 'after');
  });

  it('picks up a file created after the watch started, even in a directory that did not exist', async () => {
    const nested = join(dir, 'xdg', 'mission-control', 'config.yaml');
    const { results } = await watching(nested);
    await mkdir(join(dir, 'xdg', 'mission-control'), { recursive: true });
    await writeFile(nested, worker('late'));
    await until('a report', () => results.length > 0);
    expect(names(results.at(-1))).toEqual(['late']);
  });

  it('reports a removed file as an error', async () => {
    await writeFile(file, worker('one'));
    const { results } = await watching();
    await rm(file);
    await until('a report', () => results.length > 0);
    expect(names(results.at(-1))).toEqual([`${file}: config file was removed; expected a YAML file at this path`]);
  });

  it('does not report a save that changes nothing', async () => {
    await writeFile(file, worker('one'));
    const { results } = await watching();
    await writeFile(file, worker('two'));
    await until('the edit', () => results.length > 0);
    // A fresh watcher knows no text yet, so it reports the next save even when unchanged.
    const witness = await watching();
    await writeFile(join(dir, 'notes.txt'), 'hello');
    await writeFile(file, worker('two'));
    await until('the witness to see the save', () => witness.results.length > 0);
    expect(results.map(names)).toEqual([['two']]);
  });

  it('stops reporting and releases its handles on close', async () => {
    const handles = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap' || r === 'StatWatcher').length;
    await writeFile(file, worker('one'));
    const before = handles();
    const { results, watcher } = await watching();
    expect(handles()).toBeGreaterThan(before);
    await watcher.close();
    // Another watcher sees the edit, so the closed one had every chance to see it too.
    const witness = await watching();
    await writeFile(file, worker('two'));
    await until('the witness to report', () => witness.results.length > 0);
    expect(results).toEqual([]);
    await witness.watcher.close();
    await until('the file watch handles to be released', () => handles() === before);
  });
});
