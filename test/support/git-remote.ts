import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs git with a fixed identity and default branch (tests must not depend on the machine's git config). */
export const git = (args: string[], cwd?: string) =>
  exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], cwd ? { cwd } : {});

/** A test "origin": a bare repository and the clone that pushes to it. */
export interface TestRemote {
  readonly remote: string;
  readonly src: string;
  /** Commits `text` as pr.txt in the clone and force-pushes it as `refs/pull/<pr>/head`; returns the commit. */
  pushPr(pr: number, text: string): Promise<string>;
}

/** Makes `<dir>/remote.git` with a `main` branch (a README) and `<dir>/src`, the clone that pushes to it. */
export async function makeRemote(dir: string): Promise<TestRemote> {
  const remote = join(dir, 'remote.git');
  const src = join(dir, 'src');
  await git(['init', '--bare', remote]);
  await git(['init', src]);
  await writeFile(join(src, 'README'), 'main\n');
  await git(['add', '.'], src);
  await git(['commit', '-qm', 'main'], src);
  await git(['push', '-q', remote, 'HEAD:refs/heads/main'], src);
  return {
    remote,
    src,
    async pushPr(pr, text) {
      await writeFile(join(src, 'pr.txt'), text);
      await git(['add', '.'], src);
      await git(['commit', '-qm', `pr ${pr}`], src);
      await git(['push', '-qf', remote, `HEAD:refs/pull/${pr}/head`], src);
      return (await git(['rev-parse', 'HEAD'], src)).stdout.trim();
    },
  };
}
