import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { OutputCollector, OutputLimitError, outputCap } from '../ssh/output-limit.js';
import { inContainer, placeCommand } from './container.js';
import { attachSessionArgs, tmuxArgv, tmuxServer } from './tmux.js';
import {
  isObservation,
  ReadOnlyError,
  UnsupportedOperationError,
  type AttachCommand,
  type ConnectionPath,
  type ExecOptions,
  type ExecResult,
  type MachineStatus,
  type Observation,
  type RemoteCommand,
  type StreamOptions,
  type TmuxServer,
  type WorkerProvider,
} from './types.js';

/** Settings of a worker on this machine. */
export interface LocalProviderOptions {
  readonly name: string;
  readonly tmuxSocket: string;
  readonly stateDir: string;
  readonly container?: string;
}

/** Default per-command time limit. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

/**
 * This machine as a worker: tmux on a private socket, commands as child processes with argv arrays
 * (a script runs as `sh -c SCRIPT`, never spliced into another string).
 */
export class LocalProvider implements WorkerProvider {
  readonly kind = 'local' as const;
  readonly name: string;
  readonly tmux: TmuxServer;
  readonly containerName: string | undefined;
  readonly stateDir: string;
  private lastRtt: number | undefined;

  constructor(options: LocalProviderOptions) {
    this.name = options.name;
    this.tmux = tmuxServer(options.tmuxSocket);
    this.containerName = options.container;
    this.stateDir = options.stateDir;
  }

  async getStatus(): Promise<MachineStatus> {
    return { state: 'running' };
  }

  observe(command: Observation, options?: ExecOptions): Promise<ExecResult> {
    if (!isObservation(command)) return Promise.reject(new ReadOnlyError('a command that is not an observation'));
    return this.exec(command, options);
  }

  stream(command: Observation, onChunk: (chunk: Buffer) => void, options: StreamOptions): Promise<ExecResult> {
    if (!isObservation(command)) return Promise.reject(new ReadOnlyError('a command that is not an observation'));
    return runHere(command, this.containerName, streamOptions(onChunk, options)).then(({ result }) => result);
  }

  async exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
    const { result, ms } = await runHere(command, this.containerName, options);
    this.lastRtt = ms;
    return result;
  }

  connectionPath(): ConnectionPath {
    return 'local';
  }

  roundTripMs(): number | undefined {
    return this.lastRtt;
  }

  attachCommand(sessionId: string, options: { readonly readOnly?: boolean } = {}): AttachCommand {
    const argv = tmuxArgv(this.tmux, attachSessionArgs(sessionId, options));
    return this.containerName ? inContainer(this.containerName, { argv }, { interactive: true }) : { argv };
  }

  async ensureReady(): Promise<void> {
    // This machine is always up; a container, when configured, is checked by the scan.
  }

  provision(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'provision', 'this machine is not provisioned by mission-control'));
  }

  start(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'start', 'this machine is always running'));
  }

  stop(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'stop', 'mission-control does not stop the machine it runs on'));
  }

  suspend(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'suspend', 'mission-control does not suspend the machine it runs on; only GCE workers can be suspended'));
  }

  rebuild(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'rebuild', 'this machine is not provisioned by mission-control'));
  }

  destroy(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError(this.name, 'destroy', 'this machine is not provisioned by mission-control'));
  }

  async close(): Promise<void> {}
}

/**
 * Runs a command on this machine, placed where it belongs (inside `container` for the session target, with its
 * deadline) and as an argv (`sh -c` for a script). `argvFor` may prefix it (e.g. a docker host). Resolves to the
 * result and how long it took.
 */
export async function runHere(
  command: RemoteCommand,
  container: string | undefined,
  options: ChildOptions,
  argvFor: (argv: readonly string[]) => readonly string[] = (argv) => argv,
): Promise<{ result: ExecResult; ms: number }> {
  const where = { container, target: options.target ?? 'session', timeoutMs: options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS } as const;
  const wrapped = placeCommand(command, where);
  const argv = 'argv' in wrapped ? wrapped.argv : ['sh', '-c', wrapped.script];
  const started = performance.now();
  const result = await runChild(argvFor(argv), options);
  return { result, ms: performance.now() - started };
}

/** How a stream runs as a child here: on the host unless told otherwise, stdout to `onChunk`. */
export function streamOptions(onChunk: (chunk: Buffer) => void, options: StreamOptions): ChildOptions {
  return { ...options, target: options.target ?? 'host', onStdout: onChunk };
}

/** Options for {@link runChild}: an exec's, and where stdout goes when it is streamed rather than collected. */
export type ChildOptions = ExecOptions & { readonly onStdout?: (chunk: Buffer) => void };

/**
 * Runs argv as a child process (no shell), with a time limit, stdin and abort. The child leads a process group of
 * its own, so a time-out or an abort ends everything it started (a wedged tmux or docker client under `sh -c`),
 * and the call settles then, without waiting for grandchildren that still hold its output pipes. Output past
 * `maxOutputBytes` stops the command the same way and rejects with an {@link OutputLimitError}. Nothing here throws
 * inside a child-process callback: every outcome goes through the promise.
 */
export function runChild(argv: readonly string[], options: ChildOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('empty command'));
  if (options.signal?.aborted) return Promise.reject(abortError(file));
  return new Promise((resolve, reject) => {
    const cwd = homedir();
    const child = spawn(file, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const limit = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const end = (error: Error) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
      child.stdout.destroy();
      child.stderr.destroy();
      finish(() => reject(error));
    };
    const timer = setTimeout(() => end(new Error(`${file} did not finish within ${limit} ms and was killed`)), limit);
    const onAbort = () => end(abortError(file));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const output = new OutputCollector(outputCap(options.maxOutputBytes));
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (!output.add(stream, chunk)) end(new OutputLimitError(`\`${file}\``, output.limitBytes));
    };
    child.stdout.on('data', options.onStdout ?? collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish(() => reject(spawnError(file, cwd, error)));
    });
    child.on('close', (code, signal) => {
      finish(() => {
        try {
          resolve({ code, ...(signal ? { signal } : {}), stdout: output.text('stdout'), stderr: output.text('stderr') });
        } catch (error) {
          reject(error);
        }
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/** What a failed spawn means: ENOENT stands both for a missing program and for a missing working directory. */
function spawnError(file: string, cwd: string, error: NodeJS.ErrnoException): Error {
  if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') return error;
  let isDirectory = false;
  try {
    isDirectory = statSync(cwd).isDirectory();
  } catch {
    // Missing or unreadable: said below.
  }
  if (!isDirectory) {
    return new Error(`cannot run ${file}: its working directory ${cwd} (the home directory, from HOME) does not exist; set HOME to an existing directory`);
  }
  return new Error(`${file} is not installed on this machine`);
}

function abortError(file: string): Error {
  return Object.assign(new Error(`${file} was cancelled`), { name: 'AbortError' });
}
