import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import type { WorkerObserver, WorkerProvider } from '../../src/providers/types.js';
import { sharedDocker, type TestDocker } from '../harness/docker.js';
import { startSshd, type TestSshd } from '../harness/sshd.js';
import { waitFor } from '../support/ssh-fleet.js';

const CONTAINER = 'wedged-worker';
const SOCKET = '/tmp/mc-wedged.sock';

/** A process seen from this host: its host pid and its name. */
interface Seen {
  readonly pid: number;
  readonly comm: string;
}

/** The processes in the pid namespace of the process `initPid` (a container), read from this host's /proc. */
async function processesIn(initPid: number): Promise<Seen[]> {
  const namespace = await readlink(`/proc/${initPid}/ns/pid`);
  const seen: Seen[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readlink(`/proc/${entry}/ns/pid`)) !== namespace) continue;
      seen.push({ pid: Number(entry), comm: (await readFile(`/proc/${entry}/comm`, 'utf8')).trim() });
    } catch {
      // gone meanwhile
    }
  }
  return seen;
}

const alive = async (pid: number) => (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')) !== '';

describe('a scan that times out inside the container (real sshd, dockerd, tmux)', () => {
  let docker: TestDocker;
  let sshd: TestSshd;
  let dir: string;
  let fleet: Fleet<WorkerObserver> | undefined;
  let writable: Fleet<WorkerProvider> | undefined;
  let initPid: number;
  let serverPid: number;
  const inside = (args: string[]) => docker.docker(['exec', '-i', CONTAINER, ...args]);

  beforeAll(async () => {
    docker = await sharedDocker();
    dir = await mkdtemp(join(tmpdir(), 'mc-deadline-'));
    await docker.runWorker({ name: CONTAINER });
    initPid = Number((await docker.docker(['inspect', '--format', '{{.State.Pid}}', CONTAINER])).stdout.trim());
    // The jobs' tmux server, wedged: it accepts connections but never answers (SIGSTOP).
    expect((await inside(['tmux', '-S', SOCKET, 'new-session', '-d', '-s', 'mc-1-job', 'sleep 600'])).code).toBe(0);
    const server = await inside(['tmux', '-S', SOCKET, 'display-message', '-p', '#{pid}']);
    expect(server.code).toBe(0);
    expect((await inside(['kill', '-STOP', server.stdout.trim()])).code).toBe(0);
    const tmuxes = (await processesIn(initPid)).filter((p) => p.comm.startsWith('tmux'));
    expect(tmuxes).toHaveLength(1);
    serverPid = tmuxes[0]!.pid;

    sshd = await startSshd({ env: { DOCKER_HOST: docker.host } });
    await writeFile(
      join(dir, 'ssh_config'),
      `Host box\n  HostName ${sshd.host}\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.clientKeyPath}\n  UserKnownHostsFile ${sshd.knownHostsFile}\n`,
    );
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'defaults:',
        '  pollInterval: 1s',
        'workers:',
        '  - name: box',
        '    provider: ssh',
        '    ssh: box',
        `    sshConfigFile: ${join(dir, 'ssh_config')}`,
        `    tmuxSocket: ${SOCKET}`,
        `    stateDir: ${join(dir, 'state')}`,
        '    container:',
        `      name: ${CONTAINER}`,
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    await fleet?.close();
    await writable?.close();
    await docker?.docker(['rm', '-f', CONTAINER]);
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails the scan, then leaves no sh or tmux of it behind in the container; the jobs’ tmux server lives on', async () => {
    const before = new Set((await processesIn(initPid)).map((p) => p.pid));
    const loaded = await loadConfig(join(dir, 'config.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    fleet = createFleet(loaded.config, { readOnly: true });

    // Watch the container while the scan runs: the scan's own processes are the new sh and tmux.
    const fromScan = new Map<number, string>();
    let scanning = true;
    const watching = (async () => {
      while (scanning) {
        for (const p of await processesIn(initPid)) {
          if (!before.has(p.pid) && (p.comm === 'sh' || p.comm.startsWith('tmux'))) fromScan.set(p.pid, p.comm);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await fleet.refreshAll();
    scanning = false;
    await watching;

    const box = fleet.store.getState().workers.box!;
    expect(box.lastError).toBeDefined();
    // The scan reached the wedged tmux inside the container: its client was there.
    expect([...fromScan.values()].some((comm) => comm.startsWith('tmux'))).toBe(true);
    const left = async () => {
      const now = await processesIn(initPid);
      return now.filter((p) => fromScan.has(p.pid) || (!before.has(p.pid) && (p.comm === 'sh' || p.comm.startsWith('tmux'))));
    };
    await waitFor('the scan’s processes in the container to end', async () => (await left()).length === 0, 30_000).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; still there: ${JSON.stringify(await left())}`);
    });
    expect(await alive(serverPid)).toBe(true);
  });

  it('runs a command in the container under its deadline with its input byte for byte and its exit status', async () => {
    const loaded = await loadConfig(join(dir, 'config.yaml'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    writable = createFleet(loaded.config);
    const input = Buffer.concat([Buffer.from("-x it's 100% \\ $(no)\n"), Buffer.from([0, 0xff]), Buffer.from('tail')]);
    const result = await writable.provider('box')!.exec({ argv: ['sh', '-c', 'od -An -tx1 | tr -d " \\n"; exit 5'] }, { stdin: input, timeoutMs: 10_000 });
    expect(result.code).toBe(5);
    expect(result.stdout).toBe(input.toString('hex'));
  });
});
