/**
 * Makes the fake Compute API's instances real enough to use: a RUNNING instance is "backed" by a local sshd (its
 * networkIP becomes 127.0.0.1, its host key is published as a guest attribute), and its boot script (cloud-init
 * `user-data` on COS, `startup-script` on Linux, as mission-control generated them) really runs, as root, against
 * the test's docker daemon. Stopping the instance kills the sshd and stops the container, as a shutdown would.
 * Suspending it freezes what runs there without ending anything, as GCE keeps a suspended VM's memory: the sshd and
 * its sessions get SIGSTOP (by pid) and the worker container is paused; a resume thaws them (SIGCONT, unpause).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { parse } from 'yaml';
import type { TestSshd } from '../sshd.js';
import type { FakeInstance, FakeWorld } from './state.js';

/** Options for {@link backWithSshd}. */
export interface BackingOptions {
  readonly sshd: TestSshd;
  /** The boot state directory the provider was configured with (markers are removed at shutdown, as /run is). */
  readonly bootStateDir: string;
  /** Environment for the boot script (e.g. DOCKER_HOST of the test's daemon). */
  readonly env?: Readonly<Record<string, string>>;
  /** The host key to publish (`type base64`); default the sshd's own. `false` publishes none. */
  readonly publishedHostKey?: string | false;
  /** Only back instances with this name (default all). */
  readonly instance?: string;
}

/** What the backing did, for assertions. */
export interface Backing {
  /** Boot scripts run so far, with their exit codes and output. */
  readonly boots: { instance: string; code: number | null; output: string }[];
  /** The pids frozen by the last suspend (the sshd listener first), empty while nothing is frozen. */
  readonly frozen: number[];
}

/** The boot script an instance was created with: the write_files entry of its user-data, or its startup-script. */
export function bootScriptOf(instance: Pick<FakeInstance, 'body'>): string | undefined {
  const items = ((instance.body.metadata as { items?: { key: string; value: string }[] } | undefined)?.items ?? []);
  const userData = items.find((item) => item.key === 'user-data')?.value;
  if (userData) {
    const doc = parse(userData) as { write_files?: { path: string; content: string }[] };
    return doc.write_files?.find((file) => file.path.endsWith('/start-worker.sh'))?.content;
  }
  return items.find((item) => item.key === 'startup-script')?.value;
}

/** Registers the hooks on `world`. */
export function backWithSshd(world: FakeWorld, options: BackingOptions): Backing {
  const backing: Backing = { boots: [], frozen: [] };
  const hasContainer = (instance: FakeInstance) =>
    (instance.body.metadata as { items?: { key: string; value: string }[] } | undefined)?.items?.some((i) => i.key === 'user-data') === true;
  const thaw = async (instance: FakeInstance) => {
    for (const pid of backing.frozen.splice(0)) signal(pid, 'SIGCONT');
    if (hasContainer(instance) && options.env?.DOCKER_HOST) await runBash('docker unpause maintainer-worker >/dev/null 2>&1 || true', options.env);
  };
  const mine = (instance: FakeInstance) => options.instance === undefined || instance.name === options.instance;
  // In GCE the internal IP is assigned at creation, before the VM runs.
  world.onCreated((instance) => {
    if (mine(instance)) instance.networkIP = options.sshd.host;
  });
  world.onRunning(async (instance) => {
    if (!mine(instance)) return;
    await options.sshd.restart();
    const key = options.publishedHostKey ?? options.sshd.hostPublicKey;
    if (key) {
      const [type, value] = key.split(/\s+/);
      instance.guestAttributes = [{ namespace: 'hostkeys', key: type!, value: value! }];
    }
    const script = bootScriptOf(instance);
    if (script) backing.boots.push({ instance: instance.name, ...(await runBash(script, options.env ?? {})) });
  });
  world.onStopped(async (instance) => {
    if (!mine(instance)) return;
    // A suspended VM can be stopped: what was frozen ends like the rest.
    await thaw(instance);
    await options.sshd.kill();
    await rm(options.bootStateDir, { recursive: true, force: true });
    if (hasContainer(instance) && options.env?.DOCKER_HOST) await runBash('docker stop -t 1 maintainer-worker >/dev/null 2>&1 || true', options.env);
  });
  world.onSuspended(async (instance) => {
    if (!mine(instance)) return;
    if (hasContainer(instance) && options.env?.DOCKER_HOST) {
      const paused = await runBash('docker pause maintainer-worker', options.env);
      if (paused.code !== 0) throw new Error(`docker pause maintainer-worker failed: ${paused.output}`);
    }
    const listener = options.sshd.pid();
    if (listener === undefined) return;
    const pids = [listener, ...(await descendants(listener))];
    for (const pid of pids) if (signal(pid, 'SIGSTOP')) backing.frozen.push(pid);
  });
  world.onResumed(async (instance) => {
    if (mine(instance)) await thaw(instance);
  });
  return backing;
}

/** Sends a signal by pid; false when the process is gone. */
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `pid` (children, theirs, …), read from /proc. */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name may hold spaces and parentheses: the fields after its last ')' are fixed.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(ppid)) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function runBash(script: string, env: Readonly<Record<string, string>>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
