/**
 * `provider: docker`: a sandbox worker on this machine, a container mission-control creates, starts, stops,
 * rebuilds and destroys on the local docker daemon. It runs as the user (same uid, gid and `$HOME`), with the
 * home's working directories bind-mounted at identical paths, so files jobs write belong to the user and paths
 * mean the same inside and out. Jobs run in it through the one container path ({@link placeCommand}).
 */
import { mkdir } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { DEFAULT_WORKER_IMAGE, type DockerWorkerConfig } from '../config/schema.js';
import { expandHome } from '../jobs/remote.js';
import { inContainer, type placeCommand } from './container.js';
import { buildWorkerImage } from './docker-image.js';
import { DEFAULT_EXEC_TIMEOUT_MS, runChild, runHere, streamOptions } from './local.js';
import { attachSessionArgs, tmuxArgv, tmuxServer } from './tmux.js';
import {
  isObservation,
  ReadOnlyError,
  UnsupportedOperationError,
  type AttachCommand,
  type ExecOptions,
  type ExecResult,
  type MachineStatus,
  type Observation,
  type ProgressReporter,
  type RemoteCommand,
  type StreamOptions,
  type TmuxServer,
  type WorkerProvider,
} from './types.js';

const noProgress: ProgressReporter = () => undefined;

/** Whom the container runs as: by default the user running mission-control, with their `$HOME`. */
export interface ContainerUser {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function currentUser(): ContainerUser {
  const { uid, gid } = userInfo();
  return { uid, gid, home: homedir() };
}

/** A worker that is a container on this machine's docker daemon. */
export class DockerProvider implements WorkerProvider {
  readonly kind = 'docker' as const;
  readonly name: string;
  readonly tmux: TmuxServer;
  readonly stateDir: string;
  readonly containerName: string;
  private lastRtt: number | undefined;

  constructor(
    private readonly worker: DockerWorkerConfig,
    private readonly user: ContainerUser = currentUser(),
  ) {
    this.name = worker.name;
    this.tmux = tmuxServer(worker.tmuxSocket);
    this.stateDir = worker.stateDir;
    this.containerName = worker.container.name;
  }

  /** `docker ARGS…` against this worker's daemon. */
  private docker(args: readonly string[], timeoutMs = DEFAULT_EXEC_TIMEOUT_MS): Promise<ExecResult> {
    return runChild(this.withHost(['docker', ...args]), { timeoutMs });
  }

  private withHost(argv: readonly string[]): string[] {
    return this.worker.dockerHost ? ['env', `DOCKER_HOST=${this.worker.dockerHost}`, ...argv] : [...argv];
  }

  async getStatus(): Promise<MachineStatus> {
    const result = await this.docker(['inspect', '-f', '{{.State.Status}}', this.containerName]);
    if (result.code !== 0) {
      if (/no such (object|container)/i.test(result.stderr)) return { state: 'missing', detail: 'no container' };
      return { state: 'unknown', detail: result.stderr.trim() };
    }
    const status = result.stdout.trim();
    if (status === 'running') return { state: 'running' };
    if (status === 'restarting') return { state: 'starting', detail: status };
    if (status === 'removing') return { state: 'stopping', detail: status };
    return { state: 'stopped', detail: status };
  }

  observe(command: Observation, options?: ExecOptions): Promise<ExecResult> {
    if (!isObservation(command)) return Promise.reject(new ReadOnlyError('a command that is not an observation'));
    return this.exec(command, options);
  }

  stream(command: Observation, onChunk: (chunk: Buffer) => void, options: StreamOptions): Promise<ExecResult> {
    if (!isObservation(command)) return Promise.reject(new ReadOnlyError('a command that is not an observation'));
    return runHere(command, this.containerName, streamOptions(onChunk, options), (argv) => this.withHost(argv)).then(({ result }) => result);
  }

  async exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const { result, ms } = await runHere(command, this.containerName, options, (argv) => this.withHost(argv));
    this.lastRtt = ms;
    return result;
  }

  connectionPath(): 'local' {
    return 'local';
  }

  roundTripMs(): number | undefined {
    return this.lastRtt;
  }

  attachCommand(sessionId: string, options: { readonly readOnly?: boolean } = {}): AttachCommand {
    const { argv } = inContainer(this.containerName, { argv: tmuxArgv(this.tmux, attachSessionArgs(sessionId, options)) }, { interactive: true });
    return { argv, ...(this.worker.dockerHost ? { env: { DOCKER_HOST: this.worker.dockerHost } } : {}) };
  }

  async ensureReady(progress: ProgressReporter = noProgress): Promise<void> {
    const { state } = await this.getStatus();
    if (state === 'missing') return this.provision(progress);
    if (state !== 'running') return this.start(progress);
  }

  /** Creates the container (building the default image first when it is missing) and checks it can run jobs. */
  async provision(progress: ProgressReporter = noProgress): Promise<void> {
    const started = Date.now();
    const { image } = this.worker;
    if ((await this.docker(['image', 'inspect', image])).code !== 0) {
      if (image !== DEFAULT_WORKER_IMAGE) {
        throw new Error(`${this.name}: image ${image} is not on this machine's docker daemon; pull or build it (docker pull ${image}), or remove \`image:\` to use the locally built default`);
      }
      progress(`${image} is missing: building it`);
      await buildWorkerImage({ tag: image, progress, ...(this.worker.dockerHost ? { dockerHost: this.worker.dockerHost } : {}) });
    }
    const { uid, gid, home } = this.user;
    const mounts = [...new Set([...this.worker.mounts, this.stateDir].map((path) => expandHome(path, home)))];
    for (const path of mounts) await mkdir(path, { recursive: true });
    progress(`creating container ${this.containerName} from ${image}`);
    const run = ['run', '-d', '--init', '--name', this.containerName, '--network', 'host', '--user', `${uid}:${gid}`];
    run.push('-e', `HOME=${home}`, '-w', home, '--label', `mission-control.worker=${this.name}`);
    for (const path of mounts) run.push('--mount', `type=bind,source=${path},target=${path}`);
    run.push(image, 'sleep', 'infinity');
    const result = await this.docker(run, 120_000);
    if (result.code !== 0) throw new Error(`${this.name}: creating container ${this.containerName} from ${image} failed (exit ${result.code}): ${result.stderr.trim()}`);
    await this.checkReady(progress);
    progress(`${this.containerName} is ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }

  async start(progress: ProgressReporter = noProgress): Promise<void> {
    const { state } = await this.getStatus();
    if (state === 'missing') return this.provision(progress);
    if (state === 'running') return;
    progress(`starting container ${this.containerName}`);
    const result = await this.docker(['start', this.containerName], 60_000);
    if (result.code !== 0) throw new Error(`${this.name}: docker start ${this.containerName} failed (exit ${result.code}): ${result.stderr.trim()}`);
    await this.checkReady(progress);
    progress(`${this.containerName} is running`);
  }

  async stop(progress: ProgressReporter = noProgress): Promise<void> {
    const { state } = await this.getStatus();
    if (state === 'missing' || state === 'stopped') return;
    progress(`stopping container ${this.containerName} (its jobs end)`);
    const result = await this.docker(['stop', '-t', '5', this.containerName], 60_000);
    if (result.code !== 0) throw new Error(`${this.name}: docker stop ${this.containerName} failed (exit ${result.code}): ${result.stderr.trim()}`);
    progress(`${this.containerName} is stopped`);
  }

  /** A container cannot be suspended with its memory kept across restarts of this machine; only GCE workers can. */
  suspend(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'suspend', 'a docker worker cannot be suspended (use stop; its jobs end); only GCE workers can be suspended'));
  }

  /** A fresh container from the image: running jobs are lost; worktrees and job records, in the mounts, stay. */
  async rebuild(progress: ProgressReporter = noProgress): Promise<void> {
    await this.destroy(progress);
    await this.provision(progress);
  }

  async destroy(progress: ProgressReporter = noProgress): Promise<void> {
    progress(`removing container ${this.containerName}`);
    const result = await this.docker(['rm', '-f', this.containerName], 60_000);
    if (result.code !== 0 && !/no such container/i.test(result.stderr)) {
      throw new Error(`${this.name}: docker rm ${this.containerName} failed (exit ${result.code}): ${result.stderr.trim()}`);
    }
  }

  /** tmux and sh must be in the image: said with the image's name, since that is what the user changes. */
  private async checkReady(progress: ProgressReporter): Promise<void> {
    progress(`checking tmux and sh in ${this.containerName}`);
    const result = await this.exec({ argv: ['sh', '-c', 'command -v tmux >/dev/null || { echo "no tmux" >&2; exit 127; }'] }, { timeoutMs: 30_000 });
    if (result.code !== 0) {
      const missing = result.code === 126 || /exec failed|not found/i.test(result.stderr) ? 'no sh' : 'no tmux';
      throw new Error(`${this.name}: image ${this.worker.image} cannot run jobs (${missing}: ${result.stderr.trim() || `exit ${result.code}`}); use an image with sh and tmux, e.g. the one \`mission-control image build\` makes`);
    }
  }

  async close(): Promise<void> {}
}
