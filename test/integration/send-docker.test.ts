/**
 * `send` to a job whose tmux server runs inside the worker's container, over SSH (real sshd, docker, tmux): the
 * keys go through the provider's one `docker exec` builder and reach the pane inside the container.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../src/app/fleet.js';
import { runSend } from '../../src/cli/send.js';
import { loadConfig } from '../../src/config/load.js';
import type { CliIo } from '../../src/jobs/cli.js';
import type { WorkerProvider } from '../../src/providers/types.js';
import { exposeDockerToSshd, sharedDocker, SSHD_DOCKER_CONFIG, type TestDocker } from '../harness/docker.js';
import { startTestFleet, waitFor, type TestFleet } from '../support/ssh-fleet.js';

describe('send to a job in the maintainer-worker container of an SSH worker', () => {
  let docker: TestDocker;
  let world: TestFleet;
  let fleet: Fleet<WorkerProvider>;
  let socket: string;

  beforeAll(async () => {
    docker = await sharedDocker();
    world = await startTestFleet(['boxed'], { extraConfig: [...SSHD_DOCKER_CONFIG] });
    await exposeDockerToSshd(world.workers[0]!.sshd, docker);
    // Host and container see the same paths: the work directory is mounted at its own path.
    await docker.runWorker({ mounts: [{ host: world.dir }] });
    socket = join(world.dir, 'tmux.sock');
    const loaded = await loadConfig(await world.writeConfig({ containerFor: 'boxed' }));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    fleet = createFleet({
      ...loaded.config,
      workers: loaded.config.workers.map((w) => ({ ...w, stateDir: join(world.dir, 'state'), tmuxSocket: socket })),
    });
  });

  afterAll(async () => {
    await fleet?.close();
    await docker?.docker(['rm', '-f', 'maintainer-worker']);
    await world?.stop();
  });

  it('types the reply into the pane inside the container, then Enter', async () => {
    const answer = join(world.dir, 'answer');
    const script = `printf 'Allow? '; IFS= read -r a; printf '%s %s' "$a" "$(test -f /.dockerenv && echo in-container)" > '${answer}'; sleep 600`;
    const started = await docker.docker(['exec', 'maintainer-worker', 'tmux', '-S', socket, 'new-session', '-d', '-s', 'ask', 'sh', '-c', script]);
    expect(started.code).toBe(0);
    let out = '';
    let err = '';
    const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, confirm: async () => false };
    expect(await runSend(fleet, ['ask', 'yes', '$(id)', '"quoted"'], io)).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^sent to boxed\/\$\d+ \(session ask\)\n$/);
    await waitFor('the answer', async () => (await readFile(answer, 'utf8').catch(() => '')) !== '', 15_000);
    expect(await readFile(answer, 'utf8')).toBe('yes $(id) "quoted" in-container');
  });
});
