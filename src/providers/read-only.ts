import { isObservation, ReadOnlyError, type WorkerObserver } from './types.js';

/**
 * The read-only view of a provider: only what observes. The returned object has no mutating methods at all,
 * and its `observe` refuses any command that was not made as an observation, so nothing reachable from it
 * can change the fleet.
 */
export function readOnlyView(provider: WorkerObserver): WorkerObserver {
  return Object.freeze({
    name: provider.name,
    kind: provider.kind,
    tmux: provider.tmux,
    containerName: provider.containerName,
    stateDir: provider.stateDir,
    getStatus: () => provider.getStatus(),
    observe: (command, options) => {
      if (!isObservation(command)) return Promise.reject(new ReadOnlyError('a command that is not an observation'));
      return provider.observe(command, options);
    },
    stream: (command, onChunk, options) => {
      if (!isObservation(command)) return Promise.reject(new ReadOnlyError('a command that is not an observation'));
      return provider.stream(command, onChunk, options);
    },
    connectionPath: () => provider.connectionPath(),
    roundTripMs: () => provider.roundTripMs(),
    attachCommand: (sessionId) => provider.attachCommand(sessionId, { readOnly: true }),
    close: () => provider.close(),
  } satisfies WorkerObserver);
}
