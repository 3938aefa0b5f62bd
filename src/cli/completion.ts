/**
 * `mission-control __complete WORDS…`, what the completion scripts call back: the words of the command line after
 * the program name (the last one is the word being completed, possibly empty), answered with the candidates, one a
 * line. Kinds and workers come from the config, job refs from a scan with a short deadline. Silent on errors: a
 * completion that cannot be had is an empty one.
 */
import { resolveJobSettings } from '../jobs/kinds.js';
import { selectAllJobs } from '../state/selectors.js';
import { COMMANDS, COMMON_FLAGS, SHELLS, commandEntry, type CommandFlag, type Operand } from './commands.js';
import { loadFleetConfig } from './load-config.js';
import { EXIT } from './usage.js';

/** Where the values of operands come from. */
export interface CompletionSource {
  kinds(): Promise<readonly string[]>;
  workers(): Promise<readonly string[]>;
  jobs(): Promise<readonly string[]>;
}

/** How long job refs may take: a scan of every worker, cut short so a keypress never waits long. */
const SCAN_DEADLINE_MS = 1500;

/** A candidate a shell can take as one word: printable, without spaces or quotes that would split or escape it. */
const SAFE_WORD = /^[\w./@$:+=,%-]+$/;

/** The candidates for the last of `words`, those that start with it, in table or config order. */
export async function completeWords(words: readonly string[], source: CompletionSource): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const { command, index } = findCommand(before);
  const entry = command === undefined ? undefined : commandEntry(command);
  let candidates: readonly string[];
  if (command === undefined) {
    candidates = current.startsWith('-') ? ['--config', '--help', '--version', '--readonly'] : COMMANDS.map((e) => e.name);
  } else if (entry === undefined) {
    candidates = [];
  } else {
    const flags = [...entry.flags, ...COMMON_FLAGS];
    const valueOf = flagValue(flags, before.at(-1));
    if (valueOf !== undefined) candidates = await values(valueOf, source);
    else if (current.startsWith('-') && !before.slice(index + 1).includes('--')) candidates = flags.map((flag) => flag.name);
    else candidates = await values(operandAt(entry.operands, entry.repeats ?? false, countOperands(before.slice(index + 1), flags)), source);
  }
  return candidates.filter((word) => word.startsWith(current) && SAFE_WORD.test(word));
}

/** The subcommand among `words` (the first word that is neither a flag nor `--config`'s value) and where it is. */
function findCommand(words: readonly string[]): { command: string | undefined; index: number } {
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    if (word === '--config') i += 1;
    else if (!word.startsWith('-')) return { command: word, index: i };
  }
  return { command: undefined, index: -1 };
}

/** What the value after `word` is, when `word` is one of `flags` that takes a value. */
function flagValue(flags: readonly CommandFlag[], word: string | undefined): Operand | undefined {
  return flags.find((flag) => flag.name === word)?.value;
}

/** How many positional arguments `words` (a subcommand's own) hold, flag values not counted. */
function countOperands(words: readonly string[], flags: readonly CommandFlag[]): number {
  let count = 0;
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    if (word === '--') return count + words.length - i - 1;
    if (!word.startsWith('-')) count += 1;
    else if (flagValue(flags, word) !== undefined) i += 1;
  }
  return count;
}

function operandAt(operands: readonly Operand[], repeats: boolean, position: number): Operand | undefined {
  return operands[repeats ? Math.min(position, operands.length - 1) : position];
}

async function values(operand: Operand | undefined, source: CompletionSource): Promise<readonly string[]> {
  switch (operand) {
    case 'kind':
      return source.kinds();
    case 'worker':
      return source.workers();
    case 'job':
      return source.jobs();
    case 'shell':
      return SHELLS;
    default:
      return [];
  }
}

/** The candidates from the config named among `words` (or the default one) and a scan of its fleet. */
export async function fleetSource(words: readonly string[]): Promise<CompletionSource> {
  const at = words.indexOf('--config');
  const path = at === -1 ? words.find((word) => word.startsWith('--config='))?.slice('--config='.length) : words[at + 1];
  const loaded = await loadFleetConfig(path);
  const settings = loaded.ok ? loaded.config.jobs : resolveJobSettings();
  return {
    kinds: async () => [...settings.kinds.keys()].sort(),
    workers: async () => (loaded.ok ? loaded.config.workers.map((worker) => worker.name) : []),
    jobs: async () => {
      if (!loaded.ok) return [];
      const { createFleet } = await import('../app/fleet.js');
      const fleet = createFleet(loaded.config, { readOnly: true });
      const deadline = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
      try {
        await Promise.race([fleet.refreshAll(), deadline(SCAN_DEADLINE_MS)]);
        const jobs = selectAllJobs(fleet.store.getState());
        return [...new Set(jobs.flatMap((job) => [job.key, job.id, ...(job.session === undefined ? [] : [job.session.name])]))];
      } finally {
        await Promise.race([fleet.close(), deadline(500)]);
      }
    },
  };
}

/** `mission-control __complete WORDS…`: prints the candidates, one a line; always exits 0. */
export async function runComplete(words: readonly string[], write: (text: string) => void): Promise<number> {
  try {
    const candidates = await completeWords(words, await fleetSource(words));
    if (candidates.length > 0) write(`${candidates.join('\n')}\n`);
  } catch {
    // A completion that fails offers nothing rather than printing into the user's command line.
  }
  return EXIT.ok;
}
