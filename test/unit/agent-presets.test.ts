import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PRESETS, agentPreset, wireJob } from '../../src/agents/presets.js';
import { hookScript, MAX_REASON_BYTES, stateScript } from '../../src/agents/state-script.js';
import { formatConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import { fillTemplate, kindsSchema, resolveJobSettings } from '../../src/jobs/kinds.js';

const exec = promisify(execFile);
const JD = '/home/u/.mission-control/jobs/1-review';

describe('agent presets', () => {
  it('wire each agent from the record directory: claude by --settings, gemini by environment, codex by -c notify', () => {
    const claude = wireJob(JD, ['claude', 'do it'], 'claude');
    expect(claude.command).toEqual(['claude', '--settings', `${JD}/claude-settings.json`, 'do it']);
    const settings = JSON.parse(claude.files['claude-settings.json']!);
    expect(Object.keys(settings.hooks)).toEqual(['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Notification', 'Stop', 'SessionEnd']);
    expect(settings.hooks.Notification.map((e: { matcher: string }) => e.matcher)).toEqual(['permission_prompt', 'idle_prompt', 'elicitation_dialog']);
    expect(settings.hooks.Stop[0].hooks[0].command).toBe(`sh ${JD}/mc-hook done stdin quiet`);

    const gemini = wireJob(JD, ['gemini', '--prompt-interactive', 'do it'], 'gemini');
    expect(gemini.command).toEqual(['gemini', '--prompt-interactive', 'do it']);
    expect(gemini.env).toEqual({ GEMINI_CLI_SYSTEM_SETTINGS_PATH: `${JD}/gemini-settings.json` });
    const geminiSettings = JSON.parse(gemini.files['gemini-settings.json']!);
    expect(geminiSettings.hooksConfig).toEqual({ enabled: true });
    expect(geminiSettings.hooks.Notification[0].hooks[0].command).toBe(`sh ${JD}/mc-hook waiting stdin json`);

    const codex = wireJob(JD, ['codex', 'do it'], 'codex');
    expect(codex.command.slice(0, 3)).toEqual(['codex', '-c', `notify=["sh","${JD}/mc-hook","done","arg","quiet"]`]);
    expect(Object.keys(codex.files).sort()).toEqual(['mc-hook', 'mc-state']);

    // Every job gets the contract program; a job without an agent gets nothing else.
    const plain = wireJob(JD, ['make', 'test'], undefined);
    expect(plain).toEqual({ files: { 'mc-state': stateScript(JD), 'mc-hook': hookScript(JD) }, command: ['make', 'test'], env: {} });
  });

  it('the built-in kinds run the configured agent (gemini when none is named); a kind may name its own', () => {
    expect(resolveJobSettings().kinds.get('review')).toMatchObject({ agent: 'gemini', command: ['gemini', '--prompt-interactive', expect.stringContaining('#{pr}')] });
    const claude = resolveJobSettings({ agent: 'claude' });
    expect(claude.kinds.get('fix')).toMatchObject({ agent: 'claude', command: ['claude', expect.stringContaining('#{pr}')] });
    expect(claude.kinds.get('open')?.agent).toBeUndefined();
    const kinds = kindsSchema.parse({ mine: { prompt: 'hello', agent: 'codex' }, cmd: { command: ['my-agent', '--x'], agent: 'claude' } });
    const resolved = resolveJobSettings({ kinds, agent: 'claude' });
    expect(resolved.kinds.get('mine')).toMatchObject({ agent: 'codex', command: ['codex', 'hello'] });
    expect(resolved.kinds.get('cmd')).toMatchObject({ agent: 'claude', command: ['my-agent', '--x'] });
    const issues = (value: unknown) => kindsSchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ x: { prompt: 'p', command: ['c'] } })).toEqual(['x: expected either `command` (an argv) or `prompt` (for the agent), not both or neither']);
    expect(issues({ x: { prompt: 'p', agent: 'aidr' } })[0]).toMatch(/x\.agent: expected an agent preset \(claude, gemini, codex, aider, opencode\) or a custom agent/);
    expect(issues({ x: { prompt: 'p', agent: { command: ['a'], approve: ['y y'] } } })).toEqual(['x.agent.approve.0: expected a tmux key name such as y, Enter or C-m']);
    expect(issues({ x: { prompt: 'p', agent: { command: [] } } })[0]).toMatch(/^x\.agent\.command: expected a program/);
    expect(issues({ x: { prompt: 'fix {pr}' } })).toEqual(['x.prompt: placeholder {pr} names no parameter; expected one of: (none)']);
  });

  it('each preset has an approve answer and a resume argv', () => {
    for (const preset of Object.values(AGENT_PRESETS)) {
      expect(preset.approve.length, preset.name).toBeGreaterThan(0);
      expect(preset.resume[0], preset.name).toBe(preset.program);
    }
  });
});

describe('mc-state and mc-hook (run by sh)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mc-state-'));
    await writeFile(join(dir, 'mc-state'), stateScript(dir));
    await writeFile(join(dir, 'mc-hook'), hookScript(dir));
    await chmod(join(dir, 'mc-state'), 0o700);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const state = () => readFile(join(dir, 'state'), 'utf8');

  it('records one line, reason as data: newlines and separators flattened, cut at 1 KiB; silent, exit 0', async () => {
    const result = await exec(join(dir, 'mc-state'), ['waiting', `Allow\nBash(rm -rf /)?\x1f\x1e\t${'x'.repeat(3000)}`]);
    expect(result).toMatchObject({ stdout: '', stderr: '' });
    const line = await state();
    expect(line).toMatch(/^waiting \d+ Allow Bash\(rm -rf \/\)\?   x+\n$/);
    expect(Buffer.byteLength(line.split(' ').slice(2).join(' ').trimEnd())).toBe(MAX_REASON_BYTES);
    // Anything else is ignored, still silently and with status 0.
    await exec(join(dir, 'mc-state'), ['sleeping']);
    expect(await state()).toBe(line);
    await exec(join(dir, 'mc-state'), ['done']);
    expect(await state()).toMatch(/^done \d+ \n$/);
  });

  it('a hook takes the message of the JSON on stdin as the reason; prints {} only when asked', async () => {
    const input = JSON.stringify({ hook_event_name: 'Notification', message: 'Claude needs your permission to use "Bash"\nnow', notification_type: 'permission_prompt' });
    const quiet = await exec('sh', ['-c', `printf '%s' "$1" | sh ${join(dir, 'mc-hook')} waiting stdin quiet`, 'sh', input]);
    expect(quiet.stdout).toBe('');
    expect(await state()).toMatch(/^waiting \d+ Claude needs your permission to use "Bash" now\n$/);
    const json = await exec('sh', ['-c', `printf '{}' | sh ${join(dir, 'mc-hook')} working stdin json`]);
    expect(json.stdout).toBe('{}\n');
    expect(await state()).toMatch(/^working \d+ \n$/);
    await exec('sh', [join(dir, 'mc-hook'), 'done', 'arg', 'quiet', '{"type":"agent-turn-complete"}']);
    expect(await state()).toMatch(/^done \d+ \n$/);
  });
});

describe('custom agents and the new presets', () => {
  it('a custom agent from the config: its command for a prompt, approve keys, resume and patterns, found by name', () => {
    const kinds = kindsSchema.parse({
      mine: { prompt: 'do {n}', params: { n: { pattern: '^[0-9]+$' } }, agent: { command: ['my-agent', '--json={"a":1}', '--style={mode}', '--task={prompt}'], approve: ['y'], resume: ['my-agent', '--again'], waitingPatterns: ['\\[y/N\\]'] } },
      other: { prompt: 'hello' },
    });
    const resolved = resolveJobSettings({ kinds, agent: { command: ['top-agent'] } });
    expect(resolved.kinds.get('mine')).toMatchObject({ agent: 'custom-mine', command: ['my-agent', '--json={{"a":1}}', '--style={{mode}}', '--task=do {n}'], waitingPatterns: ['\\[y/N\\]'] });
    expect(resolved.kinds.get('other')).toMatchObject({ agent: 'custom', command: ['top-agent', 'hello'] });
    expect(agentPreset('custom-mine')).toMatchObject({ approve: ['y'], resume: ['my-agent', '--again'] });
    expect(agentPreset('custom')).toMatchObject({ approve: ['Enter'], resume: [] });
    expect(wireJob('/j', ['my-agent', 'x'], 'custom-mine').command).toEqual(['my-agent', 'x']);
    // At launch the agent's own braces come out as written, the prompt's parameters filled in.
    expect(resolved.kinds.get('mine')!.command.map((part) => fillTemplate(part, { n: '7' }))).toEqual(['my-agent', '--json={"a":1}', '--style={mode}', '--task=do 7']);
  });

  it('aider and opencode: the prompt, the hook wiring, and aider\'s confirmations as default screen patterns', () => {
    const resolved = resolveJobSettings({ kinds: kindsSchema.parse({ a: { prompt: 'fix it', agent: 'aider' }, o: { prompt: 'fix it', agent: 'opencode' } }) });
    const aider = resolved.kinds.get('a')!;
    expect(aider.command).toEqual(['aider', '--message', 'fix it']);
    expect(aider.waitingPatterns!.some((p) => new RegExp(p, 'u').test("Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: "))).toBe(true);
    const wiredAider = wireJob('/j', aider.command, 'aider');
    expect(wiredAider.command.slice(0, 3)).toEqual(['aider', '--notifications', '--notifications-command']);
    expect(wiredAider.command[3]).toContain("sh /j/mc-hook waiting stdin quiet");
    const wiredOpencode = wireJob('/j', resolved.kinds.get('o')!.command, 'opencode');
    expect(wiredOpencode.env).toEqual({ OPENCODE_CONFIG_DIR: '/j/opencode' });
    expect(wiredOpencode.files['opencode/plugins/mission-control.js']).toContain('session.idle');
    expect(AGENT_PRESETS.opencode.resume).toEqual(['opencode', '--continue']);
  });
});

describe('a custom agent in the config file', () => {
  it('is checked with file:line errors, and a misspelt field gets its suggestion', () => {
    const result = parseConfig('agent:\n  command: [my-agent]\n  approve: [y, "Enter now"]\n  resum: [my-agent, -c]\n', 'config.yaml');
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors.map(formatConfigError);
    expect(errors[0]).toBe('config.yaml:3:16: agent.approve[1]: expected a tmux key name such as y, Enter or C-m');
    expect(errors[1]).toMatch(/^config\.yaml:4:3: agent\.resum: unknown field `resum`.*resume/);
  });
});
