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
