/**
 * Shell fragments shared by the scanners: where a command runs (the session host is inside the
 * worker's container when it has one) and how data-bearing paths are written into a script.
 * Every piece of data goes through {@link shellQuote}.
 */
import { shellJoin, shellQuote } from '../ssh/quote.js';

/**
 * Wraps a script so it runs on the session host: inside `container` through
 * `docker exec -i NAME sh -c '<script>'`, or unchanged when there is no container.
 * Standard input is closed so nothing in the script can read the transport's stream.
 */
export function onSessionHost(script: string, container: string | undefined): string {
  if (container === undefined) return script;
  return `docker exec -i ${shellQuote(container)} sh -c ${shellQuote(script)} </dev/null`;
}

/** `tmux -u <socket args>`: `-u` so names with non-ASCII characters are not turned into `_`. */
export function tmuxPrefix(socketArgs: readonly string[]): string {
  return `tmux -u ${shellJoin(socketArgs)}`.trimEnd();
}

/**
 * A path for the shell: `~` and a leading `~/` become `"$HOME"` (expanded by the shell that runs
 * the script, so inside a container it is the container user's home); the rest is quoted as-is.
 */
export function shellPath(path: string): string {
  if (path === '~') return '"$HOME"';
  if (path.startsWith('~/')) {
    const rest = path.slice(2);
    return rest === '' ? '"$HOME"' : `"$HOME"/${shellQuote(rest)}`;
  }
  return shellQuote(path);
}
