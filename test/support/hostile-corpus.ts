/**
 * A corpus of hostile strings for every path that reaches a shell, tmux, git, docker or the terminal. Each string
 * carries a payload that would `touch <canary dir>/<n>` if any of them executed it (as a command substitution,
 * a tmux `#()`, a new command after `;` or a newline, an option to git, a redirection…); after a run the canary
 * directory must be empty.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';

/** One hostile string and what it tries. */
export interface HostileString {
  /** Its number: the file its payload would create. */
  readonly n: number;
  readonly label: string;
  readonly value: string;
}

/** A canary directory and the corpus aimed at it. */
export interface Canary {
  readonly dir: string;
  readonly corpus: readonly HostileString[];
  /** The same strings with a payload that needs no '/', for file and directory names (200-odd bytes at most). */
  readonly fileCorpus: readonly HostileString[];
  /** The files that appeared: each is the number of a string whose payload ran somewhere. */
  fired(): string[];
  remove(): void;
}

/** Templates: `C` stands for the payload command, `P` for the payload path. */
const TEMPLATES: readonly (readonly [string, string])[] = [
  ['command substitution', '$(C)'],
  ['backticks', '`C`'],
  ['tmux #() in a format', '#(C)'],
  ['tmux #{} then #()', '#{session_name}#(C)'],
  ['semicolon', 'x;C;'],
  ['escaped semicolon ending', 'x;C\\;'],
  ['newlines', 'x\nC\n'],
  ['single quotes', "x'; C; '"],
  ['double quotes', 'x"; C; "'],
  ['leading dash', '-x;C'],
  ['git option', '--upload-pack=C'],
  ['double dash', '-- $(C)'],
  ['OSC 0 title then $()', '\x1b]0;TITLE\x07$(C)'],
  ['OSC 52 clipboard then backticks', '\x1b]52;c;cHduZWQ=\x07`C`'],
  ['CSI and C1', '\x1b[2J\x9b2J\x85$(C)'],
  ['bidi override', '\u202e$(C)\u202c'],
  ['invisible format characters', '\u2066\u200b\u00ad\u061c$(C)'],
  ['lone surrogate (invalid UTF-8 once encoded)', '\ud800$(C)'],
  ['globs, tilde and $HOME', '* ~ $HOME ?[a]* $(C)'],
  ['ssh tokens', '%h%p%r$(C)'],
  ['template braces', '{pr}{{$(C)}}'],
  ['escaped dollar', '\\$(C)'],
  ['arithmetic then substitution', '$((1))$(C)'],
  ['pipe', 'x|C'],
  ['background', 'x&C&'],
  ['redirection', 'x>P'],
  ['IFS without spaces', '$(C_IFS)'],
  ['very long', `${'A'.repeat(4000)}$(C)`],
];

/** Makes a fresh canary directory under /tmp and the corpus aimed at it. */
export function makeCanary(run = randomBytes(4).toString('hex')): Canary {
  const dir = `/tmp/mc-canary-${run}`;
  mkdirSync(dir, { recursive: true });
  const build = (command: (n: number) => string, path: (n: number) => string) =>
    TEMPLATES.map(([label, template], n) => ({
      n,
      label,
      value: template
        .replace('C_IFS', command(n).replace(/ /g, '${IFS}'))
        .replace('C', command(n))
        .replace('P', path(n)),
    }));
  const corpus = build((n) => `touch ${dir}/${n}`, (n) => `${dir}/${n}`);
  // A file name cannot hold '/': climb to / with `cd ..` (a no-op there) and walk down by name.
  const climb = (n: number) => `${'cd ..;'.repeat(12)}cd tmp;cd mc-canary-${run};touch ${n}`;
  const fileCorpus = build(climb, () => '/').filter((s) => !s.value.includes('/') && Buffer.byteLength(s.value) <= 240);
  return {
    dir,
    corpus,
    fileCorpus,
    fired: () => readdirSync(dir).map((n) => `${n} (${corpus[Number(n)]?.label ?? 'unknown'})`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A tmux session name that tmux keeps literally: `#` doubled (tmux expands formats in names) and a `;` ending escaped. */
export function literalForTmux(name: string): string {
  return name.replace(/#/g, '##').replace(/;$/, '\\;');
}

/** A job log with the string, colours, title and clipboard escapes, C1, bidi, and bytes that are not UTF-8. */
function hostileLog(value: string): Buffer {
  return Buffer.concat([Buffer.from(`${value}\n\x1b[31mred\x1b[0m\x1b]0;t\x07\x1b]52;c;eA==\x07\x9b2J\u202e\n`), Buffer.from([0xff, 0xfe, 0xc3, 0x0a])]);
}

/**
 * Job records as any process on a worker could make them under `jobsDir`: one per file-name corpus string
 * (directory named with it), `h<n>` ones with safe names and hostile contents (meta.json, exit file, log, and
 * a worktree path that is the string itself), and one whose name is not UTF-8.
 */
export async function writeHostileRecords(jobsDir: string, canary: Canary): Promise<void> {
  await mkdir(jobsDir, { recursive: true });
  const record = async (name: string | Buffer, value: string, worktree: string) => {
    const base = Buffer.concat([Buffer.from(`${jobsDir}/`), Buffer.isBuffer(name) ? name : Buffer.from(name)]);
    const at = (file: string) => Buffer.concat([base, Buffer.from(`/${file}`)]);
    try {
      await mkdir(base);
    } catch {
      return; // a name this file system refuses
    }
    const meta = { id: value, kind: value, session: value, createdAt: value, command: ['sh', '-c', value], params: { p: value }, worktree };
    await writeFile(at('meta.json'), JSON.stringify(meta));
    await writeFile(at('output.log'), hostileLog(value));
    await writeFile(at('exit'), value);
  };
  for (const s of canary.fileCorpus) await record(s.value, s.value, `${jobsDir}/${s.value}`);
  for (const s of canary.corpus) await record(`h${s.n}`, s.value, s.value);
  await record(Buffer.from([0x78, 0xff, 0xfe, 0x1b, 0x5d]), 'a name that is not UTF-8', '/');
}
