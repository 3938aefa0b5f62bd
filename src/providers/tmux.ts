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

/**
 * A value tmux takes as given when it is one argument of a tmux command line. tmux reads a `;` that ends any
 * argument as the end of a command (`a;` is `a` followed by a new command, `;` alone is nothing) and a final `\;`
 * as `;`: so a value that ends in `;` gets that `;` written `\;`. Everything else passes unchanged.
 */
export function tmuxArgument(value: string): string {
  return value.endsWith(';') ? `${value.slice(0, -1)}\\;` : value;
}

/**
 * tmux arguments that attach a client to a session (by id, `$N`). A read-only client must not size the job's
 * window, but tmux (3.3) ignores an `ignore-size` client (which `-r` implies) only while another client is
 * attached: so a watcher that attaches alone first pins the window at its size (`window-size manual`, a display
 * setting; the job is untouched), and a read-write attach releases the pin, so the window follows whoever types.
 */
export function attachSessionArgs(sessionId: string, options: { readonly readOnly?: boolean } = {}): string[] {
  // The id goes into a tmux command string below: only a plain `$N` may (anything else attaches without the pin).
  const pinnable = /^\$\d+$/.test(sessionId);
  if (options.readOnly) {
    const pin = ['if-shell', '-F', '-t', sessionId, '#{session_attached}', '', `set-option -w -t ${sessionId} window-size manual`, ';'];
    return [...(pinnable ? pin : []), 'attach-session', '-r', '-t', sessionId];
  }
  return [...(pinnable ? ['set-option', '-wu', '-t', sessionId, 'window-size', ';'] : []), 'attach-session', '-t', sessionId];
}
