/**
 * Shell fragments shared by the scanners: how tmux is called and how data-bearing paths are written
 * into a script. Every piece of data goes through {@link shellQuote}. (Entering the container is
 * `onSessionHost` in `providers/container.ts`, the one builder of `docker exec` lines.)
 */
import { shellJoin, shellQuote } from '../ssh/quote.js';

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
