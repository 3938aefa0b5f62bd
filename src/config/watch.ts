/**
 * Watching the config file for edits. The watcher only reports: on errors the caller keeps running the last good
 * config and shows the errors, so a half-finished edit never takes workers away.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import type { ConfigResult } from './config-error.js';
import { parseConfig, readError } from './load.js';

/** Options for {@link watchConfig}. */
export interface WatchOptions {
  /** Quiet time after the last file event before the file is read; default 100 ms (an editor's save is several events). */
  readonly debounceMs?: number;
}

/** A running config watcher. */
export interface ConfigWatcher {
  /** Resolves once the watcher is in place: edits made after this are reported. */
  readonly ready: Promise<void>;
  /** Stops watching and releases every handle; no report is made after it resolves. */
  close(): Promise<void>;
}

/**
 * Calls `onChange` with the parsed config each time the file at `path` is created, edited, replaced (editors that
 * save by writing a temporary file and renaming it over the original) or removed. Watches the file's directory, not
 * the file, so a replaced file is still seen; when the directory does not exist yet either, watches the nearest
 * existing ancestor until it does. A save that leaves the text unchanged is not reported.
 *
 * On `{ ok: false }` the caller should keep its last good config and show the errors. `onChange` must not throw.
 */
export function watchConfig(path: string, onChange: (result: ConfigResult) => void, options: WatchOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 100;
  const file = resolve(path);
  const root = nearestExistingAncestor(dirname(file));
  const onTheWay = (p: string) => p === file || p === root || file.startsWith(p + sep);
  const watcher = watch(root, {
    ignoreInitial: true,
    depth: relative(root, file).split(sep).length - 1,
    ignored: (p: string) => !onTheWay(resolve(p)),
  });

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let generation = 0;
  let lastText: string | undefined;
  let reading: Promise<void> = Promise.resolve();

  const report = async (ticket: number): Promise<void> => {
    let result: ConfigResult;
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
      result = parseConfig(text, path);
    } catch (error) {
      result = { ok: false, errors: [readError(path, error, 'config file was removed; expected a YAML file at this path')] };
    }
    // A newer event superseded this read, or the text is what was last reported.
    if (closed || ticket !== generation || (text !== undefined && text === lastText)) return;
    lastText = text;
    onChange(result);
  };

  const schedule = (): void => {
    clearTimeout(timer);
    const ticket = ++generation;
    timer = setTimeout(() => {
      timer = undefined;
      reading = reading.then(() => report(ticket));
    }, debounceMs);
  };

  watcher.on('all', (_event, changed) => {
    if (!closed && resolve(changed) === file) schedule();
  });
  watcher.on('error', (error) => {
    if (closed) return;
    const message = `cannot watch the config file (${(error as Error).message}); expected a watchable file: edits will not be picked up until restart`;
    onChange({ ok: false, errors: [{ file: path, line: undefined, column: undefined, field: '', message }] });
  });

  let markReady = (): void => undefined;
  const ready = new Promise<void>((done) => (markReady = done));
  watcher.once('ready', () => markReady());

  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      markReady();
      await watcher.close();
      await reading;
    },
  };
}

function nearestExistingAncestor(dir: string): string {
  let current = dir;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}
