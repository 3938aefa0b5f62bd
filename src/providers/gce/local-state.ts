/**
 * What mission-control keeps on this machine about GCE workers: the host keys they publish (a known_hosts file of
 * its own) and which connection path last worked for each of them. Nothing secret: credentials stay with gcloud.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/** `$XDG_STATE_HOME/mission-control`, else `~/.local/state/mission-control`. */
export function localStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'mission-control');
}

/** The known_hosts file mission-control writes published GCE host keys to. */
export function defaultKnownHostsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(localStateDir(env), 'known_hosts');
}

/** The connection paths a GCE worker can be reached by. */
export type GceRoute = 'direct' | 'iap';

/** Which path last worked per VM (`project/zone/instance`), remembered across runs in a small JSON file. */
export class RouteMemory {
  readonly #file: string | undefined;
  #routes: Map<string, GceRoute> | undefined;
  #writing: Promise<void> = Promise.resolve();

  /** Without a file, routes are remembered for this process only. */
  constructor(file?: string) {
    this.#file = file;
  }

  /** The default memory: `gce-routes.json` in {@link localStateDir}. */
  static default(env: NodeJS.ProcessEnv = process.env): RouteMemory {
    return new RouteMemory(join(localStateDir(env), 'gce-routes.json'));
  }

  async get(key: string): Promise<GceRoute | undefined> {
    return (await this.#load()).get(key);
  }

  /** Records the path that worked; written in the background (a failed write only loses the hint). */
  async set(key: string, route: GceRoute | undefined): Promise<void> {
    const routes = await this.#load();
    if (routes.get(key) === route) return;
    if (route) routes.set(key, route);
    else routes.delete(key);
    const file = this.#file;
    if (!file) return;
    const text = `${JSON.stringify(Object.fromEntries(routes), null, 2)}\n`;
    this.#writing = this.#writing.then(async () => {
      try {
        await mkdir(dirname(file), { recursive: true, mode: 0o700 });
        const temp = `${file}.${process.pid}.tmp`;
        await writeFile(temp, text, { mode: 0o600 });
        await rename(temp, file);
      } catch {
        // only a hint for the next run
      }
    });
    await this.#writing;
  }

  async #load(): Promise<Map<string, GceRoute>> {
    if (this.#routes) return this.#routes;
    const routes = new Map<string, GceRoute>();
    if (this.#file) {
      try {
        const parsed = JSON.parse(await readFile(this.#file, 'utf8')) as Record<string, unknown>;
        for (const [key, value] of Object.entries(parsed)) if (value === 'direct' || value === 'iap') routes.set(key, value);
      } catch {
        // no file yet, or unreadable: start empty
      }
    }
    this.#routes ??= routes;
    return this.#routes;
  }
}
