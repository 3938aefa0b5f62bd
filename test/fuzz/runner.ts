/**
 * Runs fuzz properties: each property's generator is sampled `runs` times and every input is checked; the
 * count of failing inputs is kept (not just the first), and the first failure is shrunk by fast-check to a
 * small input that still fails, so a report names something a person can read.
 */
import fc from 'fast-check';

/** One property: inputs from `arbitrary`, each checked by `check` (throws on failure) or all at once by `checkAll`. */
export interface FuzzProperty<T = unknown> {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<T>;
  /** Throws (or rejects) when the property does not hold for `input`. */
  readonly check?: (input: T) => void | Promise<void>;
  /** Checks every input in one go (e.g. one shell process for all); a failure message per input, or undefined. */
  readonly checkAll?: (inputs: readonly T[]) => (string | undefined)[];
}

/** What a property did: how many inputs it ran, how many failed, and the first (shrunk) failure. */
export interface FuzzRow {
  readonly name: string;
  readonly cases: number;
  readonly failures: number;
  readonly firstFailure?: string;
}

/** A property with its input type erased, for lists of properties of different input types. */
export type AnyFuzzProperty = FuzzProperty<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Runs `property` on `runs` inputs drawn with `seed`. */
export async function runProperty<T>(property: FuzzProperty<T>, runs: number, seed = 4242): Promise<FuzzRow> {
  const inputs = fc.sample(property.arbitrary, { numRuns: runs, seed });
  const messages: (string | undefined)[] = [];
  if (property.checkAll) messages.push(...property.checkAll(inputs));
  else for (const input of inputs) messages.push(await failureOf(property, input));
  const failing = messages.flatMap((message, i) => (message === undefined ? [] : [{ input: inputs[i], message }]));
  const row = { name: property.name, cases: inputs.length, failures: failing.length };
  const first = failing[0];
  if (first === undefined) return row;
  return { ...row, firstFailure: describeFailure((await shrunk(property, runs, seed)) ?? first) };
}

async function failureOf<T>(property: FuzzProperty<T>, input: T): Promise<string | undefined> {
  try {
    await property.check?.(input);
    return undefined;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

/** fast-check's shrunk counterexample of a per-input property; batch properties keep their first failure. */
async function shrunk<T>(property: FuzzProperty<T>, runs: number, seed: number): Promise<{ input: unknown; message: string } | undefined> {
  const check = property.check;
  if (!check) return undefined;
  const details = await fc.check(
    fc.asyncProperty(property.arbitrary, async (input) => {
      await check(input);
    }),
    { numRuns: runs, seed, interruptAfterTimeLimit: 20_000 },
  );
  if (!details.failed || details.counterexample === null) return undefined;
  const [input] = details.counterexample;
  return { input, message: (await failureOf(property, input)) ?? String(details.errorInstance) };
}

/** A failure as one line safe for any terminal: the input as escaped JSON, then what went wrong. */
export function describeFailure(failure: { input: unknown; message: string }): string {
  const input = inert(JSON.stringify(failure.input, (_, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value)) ?? String(failure.input));
  return `${clip(input, 300)} → ${clip(inert(JSON.stringify(failure.message)), 500)}`;
}

/** JSON text with every control, C1, bidi and format character written as `\uXXXX` (JSON leaves C1 and bidi raw). */
function inert(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\p{Cf}\p{Cs}\u2028\u2029]/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

/** Throws with `message` unless `condition` holds. */
export function ensure(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new Error(typeof message === 'string' ? message : message());
}
