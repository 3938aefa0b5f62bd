import type { RemoteCommand } from './types.js';

/**
 * Wraps a command so it runs inside a docker container. `interactive` adds `-t` for a terminal (attach);
 * otherwise stdin stays open (`-i`) so commands can be fed input.
 */
export function inContainer(container: string, command: RemoteCommand, interactive = false): { argv: string[] } {
  const flags = interactive ? ['-it'] : ['-i'];
  const inner = 'argv' in command ? [...command.argv] : ['sh', '-c', command.script];
  return { argv: ['docker', 'exec', ...flags, container, ...inner] };
}
