import type { TmuxServer } from './types.js';

/**
 * The tmux server for a socket setting: a value containing `/` is a socket path (`-S`), anything else a
 * socket name under tmux's own directory (`-L`). Either way it is a private server, never the user's own.
 */
export function tmuxServer(socket: string): TmuxServer {
  return { socketArgs: socket.includes('/') ? ['-S', socket] : ['-L', socket] };
}

/** The argv of a tmux command on a worker's private server; `-u` keeps UTF-8 intact without a locale. */
export function tmuxArgv(server: TmuxServer, args: readonly string[]): string[] {
  return ['tmux', '-u', ...server.socketArgs, ...args];
}
