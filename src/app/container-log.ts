/**
 * A worker container's last log lines (`docker logs --tail`), read on demand through an observation on the
 * worker's host. The text is raw: views sanitize it (`workerDetailLines` in the CLI's worker detail).
 */
import { observation, type WorkerObserver } from '../providers/types.js';

/** Lines of the container's log shown (`docker logs --tail`). */
export const CONTAINER_LOG_LINES = 20;

/** The container's last log lines as read on demand, or why they could not be. */
export type ContainerLog = { readonly lines: readonly string[] } | { readonly error: string };

/** The most a container log read returns (docker prints whole lines, however long). */
const CONTAINER_LOG_MAX_BYTES = 256 * 1024;

/** Reads the last {@link CONTAINER_LOG_LINES} lines of container `name`'s log; failures become `{ error }`. */
export async function readContainerLog(provider: WorkerObserver, name: string): Promise<ContainerLog> {
  try {
    const result = await provider.observe(observation({ argv: ['docker', 'logs', '--tail', String(CONTAINER_LOG_LINES), '--', name] }), {
      target: 'host',
      timeoutMs: 15_000,
      maxOutputBytes: CONTAINER_LOG_MAX_BYTES,
    });
    // Some transports hand stderr over mixed into stdout: the reason is in whichever has it.
    if (result.code !== 0) return { error: `docker logs exited ${result.code}: ${`${result.stderr}${result.stdout}`.trim().split('\n')[0] ?? ''}` };
    // docker writes the container's stdout and stderr to ours separately: both are the log.
    const text = `${result.stdout}${result.stderr}`.replace(/\n$/, '');
    return { lines: text === '' ? [] : text.split('\n').slice(-CONTAINER_LOG_LINES) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
