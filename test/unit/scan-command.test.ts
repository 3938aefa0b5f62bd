import { describe, expect, it } from 'vitest';
import { isObservation } from '../../src/providers/types.js';
import { buildCaptureCommand } from '../../src/scanners/pane-capture/command.js';
import { buildScanCommand, newScanNonce, NONCE_PATTERN, type ScanCommandOptions } from '../../src/scanners/worker-scan/command.js';

const NONCE = 'abcdef0123456789';

function script(opts: Partial<ScanCommandOptions> = {}): string {
  const command = buildScanCommand({ tmuxSocketArgs: ['-L', 'mission-control'], stateDir: '~/.mission-control', nonce: NONCE, ...opts });
  expect(isObservation(command)).toBe(true);
  if (!('script' in command)) throw new Error('expected a script');
  return command.script;
}

/** Reads one shell word made of single-quoted parts and `\'` (what shellQuote writes). */
function unquote(word: string): string {
  let out = '';
  let rest = word;
  while (rest !== '') {
    const part = /^'([^']*)'|^\\'|^([A-Za-z0-9_\-+=.,/:@%^]+)/.exec(rest);
    if (part === null) throw new Error(`not a quoted word: ${rest.slice(0, 40)}`);
    out += part[1] ?? part[2] ?? "'";
    rest = rest.slice(part[0].length);
  }
  return out;
}

describe('buildScanCommand', () => {
  it('frames with the nonce and runs tmux with -u, the socket and a real 0x1f separator', () => {
    const text = script();
    expect(text.startsWith('{\nM=@@MC-abcdef0123456789@@\n')).toBe(true);
    expect(text.endsWith('\n} </dev/null 2>&1')).toBe(true);
    const tmux = text.split('\n').find((line) => line.startsWith('b tmux;'));
    expect(tmux).toBe(
      "b tmux; tmux -u -L mission-control list-panes -a -F '@Rabcdef0123456789\x1f" +
        ['session_id', 'session_name', 'session_created', 'window_activity', 'session_attached', 'pane_id', 'pane_dead', 'pane_dead_status', 'pane_pid', 'pane_current_command']
          .map((f) => `#{${f}}`)
          .join('\x1f') +
        "' </dev/null; e tmux $?",
    );
    expect(text).not.toContain('\\t');
    expect(text).not.toContain('docker');
  });

  it.each([
    ['~/.mission-control', 'jd="$HOME"/.mission-control/jobs'],
    ['~', 'jd="$HOME"/jobs'],
    ['~/', 'jd="$HOME"/jobs'],
    ['~/state dir/$(x)', `jd="$HOME"/'state dir/$(x)'/jobs`],
    ['/var/lib/mc', 'jd=/var/lib/mc/jobs'],
    ["/srv/it's", `jd='/srv/it'\\''s'/jobs`],
    ['~other/x', `jd='~other/x'/jobs`],
  ])('writes stateDir %j as %s', (stateDir, line) => {
    expect(script({ stateDir }).split('\n')).toContain(line);
  });

  it('quotes socket arguments', () => {
    expect(script({ tmuxSocketArgs: ['-S', "/tmp/a b/it's"] })).toContain(`tmux -u -S '/tmp/a b/it'\\''s' list-panes`);
  });

  it('rejects a nonce that could not frame safely', () => {
    for (const nonce of ['', 'short', 'has space x', 'a'.repeat(65), "quote'quote"]) {
      expect(() => script({ nonce })).toThrow(/nonce/);
    }
    expect(newScanNonce()).toMatch(NONCE_PATTERN);
    expect(newScanNonce()).not.toBe(newScanNonce());
  });

  it('runs the session-host part inside the container with docker exec -i NAME (under the call deadline), only when it is running', () => {
    const host = script();
    const inContainer = script({ container: 'maintainer-worker' });
    expect(inContainer).toContain("printf 'container %s\\n' maintainer-worker");
    expect(inContainer).toContain(
      "c=$(docker inspect --type container --format '{{.State.Running}}\x1f{{.State.Status}}\x1f{{.State.StartedAt}}\x1f{{.Config.Image}}' -- maintainer-worker 2>&1); s=$?",
    );
    const line = inContainer.split('\n').findIndex((l) => l.startsWith('case $s$c in '));
    expect(inContainer.split('\n')[line]?.startsWith("case $s$c in 0true'\x1f'*) docker exec -i maintainer-worker sh -c '")).toBe(true);

    // The quoted inner script is exactly the host's session part, with its own frame functions.
    const match = / mission-control "\$\{mc_deadline_s:-30\}" sh -c ('(?:[^']|'\\'')*') <\/dev\/null; e session \$\? ;;\n/.exec(inContainer);
    expect(match).not.toBeNull();
    const inner = unquote(match?.[1] ?? '');
    const hostLines = host.split('\n');
    const framing = hostLines.slice(1, 4);
    const sessionPart = hostLines.slice(hostLines.findIndex((l) => l.startsWith('b tmux;')), -1);
    expect(inner).toBe([...framing, ...sessionPart].join('\n'));
  });

  it('quotes a container name whatever it holds', () => {
    const text = script({ container: "x'; touch /tmp/pwned #" });
    expect(text).toContain(`-- 'x'\\''; touch /tmp/pwned #' 2>&1`);
    expect(text).toContain(`docker exec -i 'x'\\''; touch /tmp/pwned #' sh -c '`);
  });
});

describe('buildCaptureCommand', () => {
  const capture = (opts: Partial<Parameters<typeof buildCaptureCommand>[0]> = {}): string => {
    const command = buildCaptureCommand({ tmuxSocketArgs: ['-S', '/run/mc sock'], paneId: '%7', lines: 200, ...opts });
    expect(isObservation(command)).toBe(true);
    if (!('script' in command)) throw new Error('expected a script');
    return command.script;
  };

  it('captures by pane id with colours and joined lines, then prints its status', () => {
    expect(capture()).toBe(
      "(tmux -u -S '/run/mc sock' capture-pane -p -e -J -t %7 -S -200; printf '\\n%s %s\\n' @@MC-CAPTURE-STATUS@@ \"$?\") </dev/null 2>&1",
    );
  });

  it('runs inside the container when there is one', () => {
    const text = capture({ container: 'maintainer-worker', lines: 0 });
    expect(text.startsWith("(docker exec -i maintainer-worker sh -c '")).toBe(true);
    expect(text.endsWith(
      " mission-control \"${mc_deadline_s:-30}\" sh -c 'tmux -u -S '\\''/run/mc sock'\\'' capture-pane -p -e -J -t %7 -S -0' </dev/null; " +
        "printf '\\n%s %s\\n' @@MC-CAPTURE-STATUS@@ \"$?\") </dev/null 2>&1",
    )).toBe(true);
  });

  it('refuses anything but a pane id, and silly line counts', () => {
    for (const paneId of ['$1', 'name', '%1; touch x', '%', 'mc-job:0.0']) expect(() => capture({ paneId })).toThrow(/pane/);
    for (const lines of [-1, 1.5, Number.NaN, 1_000_000]) expect(() => capture({ lines })).toThrow(/lines/);
  });
});
