/**
 * The one error type of the SSH layer: what went wrong, on which target, and what to try next.
 */

/** What kind of failure an {@link SshError} is; callers branch on this, never on message text. */
export type SshErrorKind =
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'auth'
  | 'unreachable'
  | 'timeout'
  | 'closed'
  | 'channel';

/** Options for {@link SshError}. */
export interface SshErrorOptions {
  /** The next thing the user can do about it, as one or two sentences. */
  readonly hint?: string;
  /** The underlying error, when there is one. */
  readonly cause?: unknown;
}

/**
 * A failure talking to an SSH target. The message is `<target label>: <what failed>`, followed by the
 * hint, so it can be shown as is; `kind`, `target`, `detail` and `hint` are there for callers that lay it out.
 */
export class SshError extends Error {
  override readonly name = 'SshError';
  /** The label of the target (an ssh config alias, or `user@host:port`). */
  readonly target: string;
  /** What failed, without the target label or the hint. */
  readonly detail: string;
  /** What to try next; empty when there is nothing useful to say. */
  readonly hint: string;

  constructor(
    /** What kind of failure this is; branch on this, never on the message. */
    readonly kind: SshErrorKind,
    target: string,
    detail: string,
    options: SshErrorOptions = {},
  ) {
    const hint = options.hint ?? '';
    super(`${target}: ${detail}${hint ? `. ${hint}` : ''}`, options.cause === undefined ? {} : { cause: options.cause });
    this.target = target;
    this.detail = detail;
    this.hint = hint;
  }

  /** A copy with more detail appended (e.g. when the next connection attempt is allowed). */
  withDetail(extra: string): SshError {
    return new SshError(this.kind, this.target, `${this.detail}${extra}`, { hint: this.hint, cause: this.cause });
  }
}

/** True when `error` is an {@link SshError}, optionally of one of the given kinds. */
export function isSshError(error: unknown, ...kinds: SshErrorKind[]): error is SshError {
  return error instanceof SshError && (kinds.length === 0 || kinds.includes(error.kind));
}

/**
 * The server refused to open a channel. Usually transient: OpenSSH frees a session slot a moment after
 * the channel closes, so a channel opened right after another closed can briefly exceed MaxSessions.
 */
export class ChannelOpenRefused extends Error {
  override readonly name = 'ChannelOpenRefused';
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}
