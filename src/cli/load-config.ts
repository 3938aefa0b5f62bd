import type { Fleet } from '../app/fleet.js';
import { formatConfigError } from '../config/config-error.js';
import { defaultConfigPath, loadConfig } from '../config/load.js';
import type { FleetConfig } from '../config/schema.js';
import type { WorkerObserver } from '../providers/types.js';

/** A config that loaded, with where it came from. */
export interface LoadedConfig {
  readonly ok: true;
  readonly config: FleetConfig;
  /** The file that was read or, for the embedded default, the file that would be read. */
  readonly path: string;
  /** True when the path came from `--config`. */
  readonly explicit: boolean;
}

/** Loads the config named by `--config`, or the default one; errors come formatted, one per line. */
export async function loadFleetConfig(path: string | undefined): Promise<LoadedConfig | { ok: false; message: string }> {
  const file = path ?? defaultConfigPath();
  const result = await loadConfig(file, { explicit: path !== undefined });
  if (!result.ok) {
    const count = result.errors.length;
    const heading = `mission-control: the config has ${count} error${count === 1 ? '' : 's'}:`;
    return { ok: false, message: [heading, ...result.errors.map((e) => `  ${formatConfigError(e)}`)].join('\n') };
  }
  return { ok: true, config: result.config, path: file, explicit: path !== undefined };
}

/**
 * Follows edits of the config file: a valid edit is applied to the running fleet, an invalid one is shown
 * (in the store's `configErrors`) while the last good config keeps running. Returns a function that stops it.
 */
export async function watchFleetConfig(loaded: LoadedConfig, fleet: Fleet<WorkerObserver>): Promise<() => Promise<void>> {
  const { watchConfig } = await import('../config/watch.js');
  const watcher = watchConfig(loaded.path, (result) => {
    if (result.ok) {
      fleet.applyConfig(result.config);
    } else {
      fleet.store.getState().setConfigErrors(result.errors.map(formatConfigError));
    }
  });
  return () => watcher.close();
}
