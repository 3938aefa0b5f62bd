/**
 * The one quoting function for remote shell strings.
 *
 * Every piece of data that ends up in a string run by a POSIX shell goes through {@link shellQuote}.
 * Single quotes make every byte literal except the single quote itself, which is closed, escaped
 * and reopened. This holds for newlines, NUL-free binary, `$(…)`, backticks, globs and unicode alike.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) {
    throw new Error('a shell argument cannot contain a NUL byte');
  }
  // Bare only when no shell reads anything into it: zsh expands a leading `=` (`=cmd` is the path of cmd) and
  // treats `^` as a glob operator under EXTENDED_GLOB (the Bourne shell, as a pipe).
  if (/^[A-Za-z0-9_\-+.,/:@%][A-Za-z0-9_\-+=.,/:@%]*$/.test(value)) {
    return value;
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each argument and joins them into one command line for a POSIX shell. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * Words every login shell (sh, bash, zsh, fish, csh, tcsh) reads as themselves unquoted (not starting with
 * `=`, which zsh expands to a command's path).
 */
const LOGIN_SHELL_PLAIN = /^[A-Za-z0-9_./:%@+,-][A-Za-z0-9_./:%@=+,-]*$/;

/** Printable ASCII that means nothing inside single quotes to any of them (fish treats `\`, csh `!`, specially). */
const LOGIN_SHELL_QUOTABLE = /^[\x20-\x7e]+$/;

/**
 * Joins argv into a command line that any login shell parses into the same words, for the remote command of
 * the user's own `ssh` (which sshd runs with `$SHELL -c`, whatever that shell is). A word is left bare when it
 * is made of plain characters, or put in single quotes when it holds only printable ASCII other than `'`, `\`
 * and `!`; any other word is refused, since no quoting means the same to every shell.
 */
export function loginShellJoin(argv: readonly string[]): string {
  return argv
    .map((word) => {
      if (LOGIN_SHELL_PLAIN.test(word)) return word;
      if (LOGIN_SHELL_QUOTABLE.test(word) && !/['\\!]/.test(word)) return `'${word}'`;
      throw new Error(
        `cannot pass ${JSON.stringify(word)} through the worker's login shell: only printable ASCII other than ' \\ and ! ` +
          'reads the same in sh, fish and tcsh; rename the socket path or container to avoid these characters',
      );
    })
    .join(' ');
}
