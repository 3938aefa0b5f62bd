import { describe, expect, it } from 'vitest';
import { terminalStream } from '../../src/cli/terminal-io.js';

describe("the CLI's terminal streams", () => {
  it('pass text and colours, and nothing else a terminal would act on, whatever the message forgot', () => {
    const written: string[] = [];
    const out = terminalStream({ write: (text: string) => written.push(text) });
    out.write('local/x\x1b]0;TITLE\x07\x1b]52;c;cHduZWQ=\x07 stopped\n');
    out.write('\x1b[32mok\x1b[0m \x1b[2J\x9b1;1H\u202Edone\n');
    expect(written).toEqual(['local/x stopped\n', '\x1b[32mok\x1b[0m \\u202edone\n']);
  });
});
