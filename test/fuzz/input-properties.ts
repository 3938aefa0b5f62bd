/**
 * Properties of the parsers of what people and their tools hand us: known_hosts files, `ssh -G` output, job
 * parameters, the `:` command line, the `/` filter, key names, durations, the config file, and what the Compute
 * API returns (instance states, machine types, guest attributes, errors).
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { MAX_DURATION_MS, parseDuration, formatDuration } from '../../src/config/duration.js';
import { parseConfig } from '../../src/config/load.js';
import { fillTemplate, kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';
import { JobRequestError, SAFE_NAME, paramsFromWords, sessionNameFor, specifyJob } from '../../src/jobs/params.js';
import { googleRegistry } from '../../src/providers/gce/bootstrap.js';
import { GceError, describeComputeError, describeOperationError } from '../../src/providers/gce/errors.js';
import { publishedHostKeys } from '../../src/providers/gce/host-keys.js';
import { machineStatusOf } from '../../src/providers/gce/machine-state.js';
import { formatHourly, machineHourlyPrice } from '../../src/providers/gce/pricing.js';
import { blobKeyType, hostFieldMatches, knownHostsName, parseKnownHosts } from '../../src/ssh/known-hosts.js';
import { parseSshG } from '../../src/ssh/target.js';
import { LINE_COMMANDS } from '../../src/ui/keys/bindings.js';
import { completeLine, parseLine } from '../../src/ui/keys/command-line.js';
import { isText, keyName, keyNames, textOf } from '../../src/ui/keys/key-names.js';
import { BUILTIN_LAUNCH_KINDS } from '../../src/ui/launch-kinds.js';
import { parseFilter } from '../../src/ui/state/job-rows.js';
import { job } from '../ui/fixtures.js';
import { anyText, hostileText, hostName, keyBlob, soup } from './arbitraries.js';
import { ensure, type AnyFuzzProperty } from './runner.js';

/** Runs `body`; anything it throws must be an instance of `type`. */
function throwsOnly(type: abstract new (...args: never[]) => Error, body: () => void): void {
  try {
    body();
  } catch (error) {
    ensure(error instanceof type, () => `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}, expected only ${type.name}`);
  }
}

const settings = resolveJobSettings({
  kinds: kindsSchema.parse({
    pair: { params: { a: { pattern: '^[\\s\\S]*$' }, b: { pattern: '^[\\s\\S]*$' } }, command: ['printf', '%s %s', '{a}', '{b}'] },
    one: { params: { v: { pattern: '^[^\\n]*$' } }, command: ['echo', '{v}'], worktree: { fetch: 'refs/heads/{v}' } },
  }),
});
const pair = settings.kinds.get('pair')!;
const paramValue = fc.oneof(hostileText(6), soup(['-', '_', 'a', '1'], { maxParts: 6 }), fc.constantFrom('x', 'x-y', 'y-z', 'z', '')).map((value) => value.replace(/\0/g, ''));

const LINE_CONTEXT = { commands: LINE_COMMANDS, workers: ['local', 'gpu-1'], kinds: BUILTIN_LAUNCH_KINDS };
const LINE_TYPES = new Set(['worker', 'filter', 'sort', 'refresh', 'launch', 'stop', 'remove', 'help', 'quit', 'none', 'error']);
const lineText = soup(['worker ', 'filter ', 'sort ', 'launch ', 'review ', 'pr=', '@', 'local', 'gpu-1', ' ', 'stop', 'q', 'quit', '=', 'id', 'state'], { maxParts: 10 });

const keyFlags = fc.record({
  upArrow: fc.boolean(), downArrow: fc.boolean(), leftArrow: fc.boolean(), rightArrow: fc.boolean(), pageDown: fc.boolean(), pageUp: fc.boolean(),
  home: fc.boolean(), end: fc.boolean(), return: fc.boolean(), escape: fc.boolean(), ctrl: fc.boolean(), shift: fc.boolean(), tab: fc.boolean(),
  backspace: fc.boolean(), delete: fc.boolean(), meta: fc.boolean(), super: fc.boolean(), hyper: fc.boolean(), capsLock: fc.boolean(), numLock: fc.boolean(),
});
const NO_KEY = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false };

const yamlText = fc.oneof(
  soup(['workers:\n', '  - name: ', 'w1', '\n', '    provider: ', 'ssh', 'local', 'gce-cos', '    ssh: ', '    pollInterval: ', '2s', '    container:\n      name: ', 'defaults:\n', 'kinds:\n', '&a ', '*a', '---\n', '? ', ': ', '- ', '"', "'", '{', '}', '[', ']', '!!binary ', '#'], { maxParts: 30 }),
  fc.jsonValue().map((value) => stringify({ workers: [value] })),
  fc.record({ name: hostileText(4), provider: fc.constantFrom('local', 'ssh'), ssh: hostileText(4), stateDir: hostileText(4), tmuxSocket: hostileText(4), container: fc.record({ name: hostileText(4) }) }).map((w) => stringify({ workers: [w] })),
);

const MACHINE_STATES = new Set(['provisioning', 'starting', 'running', 'stopping', 'stopped', 'suspended', 'missing', 'unknown']);

/** The input parsers' properties. */
export const inputProperties: AnyFuzzProperty[] = [
  {
    name: 'parseKnownHosts: never throws; entries well formed; matching never throws',
    arbitrary: fc.tuple(soup(['@revoked ', '@cert-authority ', '|1|', ',', '!', '*', '?', '[h]:22', ' ssh-ed25519 ', 'AAAAC3NzaC1lZDI1NTE5AAAAI', '\n', '#'], { maxParts: 30 }), anyText(20)),
    check: ([text, name]: [string, string]) => {
      const lines = text.split('\n').length;
      for (const entry of parseKnownHosts(text)) {
        ensure(entry.line >= 1 && entry.line <= lines, `line ${entry.line}`);
        ensure(/^[a-z0-9@.-]+$/.test(entry.keyType) && blobKeyType(entry.key) === entry.keyType, `key type ${entry.keyType}`);
        ensure(typeof hostFieldMatches(entry.hosts, name) === 'boolean', 'match is not a boolean');
      }
    },
  },
  {
    name: 'known_hosts: a written line (plain or hashed) is read back and matches its host',
    arbitrary: fc.tuple(hostName, fc.integer({ min: 1, max: 65535 }), keyBlob, fc.boolean(), fc.uint8Array({ minLength: 20, maxLength: 20 })),
    check: ([host, port, key, hashed, salt]: [string, number, { type: string; blob: Buffer }, boolean, Uint8Array]) => {
      const name = knownHostsName(host, port);
      const field = hashed ? `|1|${Buffer.from(salt).toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}` : name;
      const [entry, ...rest] = parseKnownHosts(`# comment\n${field} ${key.type} ${key.blob.toString('base64')}\n`);
      ensure(entry !== undefined && rest.length === 0, 'the line was not read');
      ensure(entry.keyType === key.type && entry.key.equals(key.blob) && entry.line === 2, 'the key changed');
      ensure(hostFieldMatches(entry.hosts, name), `${name} does not match its own line`);
      ensure(!hostFieldMatches(entry.hosts, `x${name}`), `x${name} matches ${name}'s line`);
    },
  },
  {
    name: 'parseSshG: never throws; keys lowercase; written options read back',
    arbitrary: fc.tuple(anyText(), fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z]{1,12}$/), anyText(30).map((v) => v.replace(/[\r\n\v\f\u0085\u2028\u2029]/g, '').trim()).filter((v) => v !== '')), { maxLength: 6 })),
    check: ([noise, pairs]: [string, [string, string][]]) => {
      for (const key of parseSshG(noise).keys()) ensure(key === key.toLowerCase() && !/\s/.test(key), `key ${JSON.stringify(key)}`);
      const options = parseSshG(pairs.map(([k, v]) => `${k} ${v}`).join('\n'));
      for (const [k, v] of pairs) ensure(options.get(k.toLowerCase())?.includes(v), () => `${k} ${JSON.stringify(v)} not read back`);
    },
  },
  {
    name: 'job params: only JobRequestError; ids and session names safe and deterministic',
    arbitrary: fc.tuple(fc.oneof(fc.constantFrom('pair', 'one', 'review'), anyText(6)), fc.dictionary(fc.oneof(fc.constantFrom('a', 'b', 'v', 'pr'), anyText(3)), paramValue, { maxKeys: 3 }), fc.array(paramValue, { maxLength: 3 })),
    check: ([kind, params, words]: [string, Record<string, string>, string[]]) => {
      throwsOnly(JobRequestError, () => {
        const spec = specifyJob(settings, kind, params);
        ensure(SAFE_NAME.test(spec.id), `id ${JSON.stringify(spec.id)}`);
        ensure(specifyJob(settings, kind, params).id === spec.id, 'id not deterministic');
        sessionNameFor('mc', spec.id);
      });
      throwsOnly(JobRequestError, () => paramsFromWords(pair, words));
      throwsOnly(JobRequestError, () => sessionNameFor(words[0] ?? 'mc', words[1] ?? 'x'));
    },
  },
  {
    name: 'job params: different parameters never give the same job id',
    arbitrary: fc.oneof(
      fc.tuple(paramValue, paramValue, paramValue, paramValue),
      // The same words split differently between the parameters: `x-y z` and `x y-z`.
      fc.array(fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/), { minLength: 3, maxLength: 3 }).map(([x, y, z]) => [`${x}-${y}`, z!, x!, `${y}-${z}`] as [string, string, string, string]),
    ),
    check: ([a1, b1, a2, b2]: [string, string, string, string]) => {
      if (a1 === a2 && b1 === b2) return;
      const id = (a: string, b: string) => specifyJob(settings, 'pair', { a, b }).id;
      ensure(id(a1, b1) !== id(a2, b2), () => `{a:${JSON.stringify(a1)}, b:${JSON.stringify(b1)}} and {a:${JSON.stringify(a2)}, b:${JSON.stringify(b2)}} are both ${id(a1, b1)}`);
    },
  },
  {
    name: 'fillTemplate: a template with every value filled never throws; {{ }} are literal braces',
    arbitrary: fc.tuple(soup(['{a}', '{b}', '{{', '}}', '{', '}'], { maxParts: 12 }), paramValue),
    check: ([template, value]: [string, string]) => {
      throwsOnly(Error, () => fillTemplate(template, { a: value, b: value }));
      ensure(fillTemplate('{{a}}{a}', { a: value }) === `{a}${value}`, 'braces or value changed');
    },
  },
  {
    name: 'command line: parseLine and completeLine never throw; actions name known kinds and workers',
    arbitrary: lineText,
    check: (line: string) => {
      const action = parseLine(line, LINE_CONTEXT);
      ensure(LINE_TYPES.has(action.type), `type ${action.type}`);
      if (action.type === 'launch') ensure(BUILTIN_LAUNCH_KINDS.some((k) => k.name === action.kind) && (action.worker === undefined || LINE_CONTEXT.workers.includes(action.worker)), 'unknown kind or worker');
      if (action.type === 'worker' && action.worker !== undefined) ensure(LINE_CONTEXT.workers.includes(action.worker), 'unknown worker');
      const completion = completeLine(line, LINE_CONTEXT);
      ensure(typeof completion.line === 'string' && completion.candidates.every((c) => typeof c === 'string'), 'completion shape');
    },
  },
  {
    name: 'filter: parseFilter never throws; its test gives a boolean for any job',
    arbitrary: fc.tuple(soup(['/', '!', '^', '$', '(', ')', '[', '*', '+', '?', '\\', '|', '{2}'], { maxParts: 12 }), hostileText(4)),
    check: ([text, field]: [string, string]) => {
      const matcher = parseFilter(text);
      ensure(matcher.error === undefined || typeof matcher.error === 'string', 'error shape');
      ensure(typeof matcher.test(job(field, { reason: field, params: { pr: field } })) === 'boolean', 'test is not a boolean');
    },
  },
  {
    name: 'key names: never throw; one key per character of a plain run; printable keys insert themselves',
    arbitrary: fc.tuple(anyText(8), keyFlags, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
    check: ([input, key, char]: [string, typeof NO_KEY, string]) => {
      const names = keyNames(input, key);
      ensure(names.length > 0 && names.every((n) => typeof n === 'string'), 'no key names');
      const plain = keyNames(input, NO_KEY);
      if (input.length > 1 && !input.includes('\x1b')) ensure(plain.length === [...input].length, `${plain.length} keys for ${[...input].length} characters`);
      if (!/[\x00-\x20\x7f]/.test(char) && [...char].length === 1) {
        const name = keyName(char, NO_KEY);
        ensure(isText(name) && textOf(name) === char, `${JSON.stringify(char)} does not insert itself`);
      }
    },
  },
  {
    name: 'durations: parseDuration never throws, gives an integer a timer can wait; formatDuration round-trips',
    arbitrary: fc.tuple(fc.oneof(fc.anything(), soup(['1', '0', '.', '5', 'ms', 's', 'm', 'h', ' ', '-', 'e', '1e309', '9999999'], { maxParts: 6 }), fc.double()), fc.nat({ max: MAX_DURATION_MS })),
    check: ([value, ms]: [unknown, number]) => {
      const parsed = parseDuration(value);
      ensure(parsed === undefined || (Number.isInteger(parsed) && parsed >= 0 && parsed <= MAX_DURATION_MS), `parsed ${parsed}`);
      ensure(parseDuration(formatDuration(ms)) === ms, `${ms} ms → ${formatDuration(ms)} → ${parseDuration(formatDuration(ms))}`);
    },
  },
  {
    name: 'config text: parseConfig never throws nor warns on stderr; errors have messages and real positions',
    arbitrary: yamlText,
    check: (text: string) => {
      const warnings: string[] = [];
      const emitWarning = process.emitWarning;
      process.emitWarning = ((warning: string | Error) => void warnings.push(String(warning))) as typeof process.emitWarning;
      let result: ReturnType<typeof parseConfig>;
      try {
        result = parseConfig(text, '/fuzz/config.yaml');
      } finally {
        process.emitWarning = emitWarning;
      }
      ensure(warnings.length === 0, () => `warned: ${warnings[0]}`);
      if (result.ok) ensure(Array.isArray(result.config.workers), 'no workers list');
      else for (const error of result.errors) ensure(error.message.length > 0 && (error.line === undefined || error.line >= 1), 'error shape');
    },
  },
  {
    name: 'kinds section: the schema never throws; parsed kinds resolve',
    arbitrary: fc.oneof(fc.jsonValue(), fc.dictionary(fc.oneof(fc.constantFrom('review', 'k'), anyText(4)), fc.record({ command: fc.array(soup(['{pr}', '{{', 'x'], { maxParts: 4 })), params: fc.dictionary(fc.constantFrom('pr', 'x'), fc.record({ pattern: soup(['^', '$', '[', '(', '\\', '.*'], { maxParts: 6 }) })) }, { requiredKeys: [] }))),
    check: (value: unknown) => {
      const parsed = kindsSchema.safeParse(value);
      if (parsed.success) resolveJobSettings({ kinds: parsed.data });
    },
  },
  {
    name: 'gce: instance states, machine prices, registries and error bodies never throw',
    arbitrary: fc.tuple(fc.option(fc.oneof(anyText(12), fc.constantFrom('RUNNING', 'TERMINATED', 'SUSPENDED'))), soup(['e2', 'n2', 'custom', '-', 'standard', 'highmem', '4', '16384', 'ext', 'f1-micro', '99999999999999999999'], { maxParts: 6 }), fc.anything(), fc.double()),
    check: ([status, machine, thrown, price]: [string | null, string, unknown, number]) => {
      ensure(MACHINE_STATES.has(machineStatusOf(status).state) && MACHINE_STATES.has(machineStatusOf(undefined).state), 'machine state');
      const hourly = machineHourlyPrice(machine);
      ensure(hourly === undefined || (Number.isFinite(hourly) && hourly >= 0), `price ${hourly} for ${machine}`);
      ensure(typeof formatHourly(price) === 'string', 'formatHourly');
      googleRegistry(machine);
      const context = { action: 'fuzz', project: 'p' };
      ensure(describeComputeError(thrown, context) instanceof GceError, 'not a GceError');
      ensure(describeOperationError({ errors: [{ code: status, message: machine }] }, undefined, context) instanceof GceError, 'not a GceError');
    },
  },
  {
    name: 'gce: published host keys are only well-formed blobs of the type they claim',
    arbitrary: fc.array(fc.record({ namespace: fc.constantFrom('hostkeys', '', 'other'), key: fc.constantFrom('ssh-ed25519', 'ssh-rsa', 'x'), value: fc.oneof(keyBlob.map((k) => k.blob.toString('base64')), anyText(20)) }), { maxLength: 4 }),
    check: (attributes: { namespace: string; key: string; value: string }[]) => {
      for (const key of publishedHostKeys(attributes)) ensure(blobKeyType(key.blob) === key.type, `key of type ${key.type}`);
    },
  },
];
