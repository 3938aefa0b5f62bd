import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs git with an identity and `main` as the default branch, so tests need no git config. */
export const git = (args: string[], cwd?: string) =>
  exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], cwd ? { cwd } : {});

/**
 * The "remote" of job tests, in `dir`: a bare repository `remote.git` with a `main` branch (a README) and, for each
 * of `prs`, a pull request ref `refs/pull/N/head` one commit on (it adds `pr.txt`). Returns the remote's path.
 */
export async function makeRemote(dir: string, prs: readonly string[] = ['12']): Promise<string> {
  const remote = join(dir, 'remote.git');
  const src = join(dir, 'src');
  await git(['init', '--bare', remote]);
  await git(['init', src]);
  await writeFile(join(src, 'README'), 'main\n');
  await git(['add', '.'], src);
  await git(['commit', '-qm', 'main'], src);
  await git(['push', '-q', remote, 'HEAD:refs/heads/main'], src);
  await writeFile(join(src, 'pr.txt'), 'the change of PR 12\n');
  await git(['add', '.'], src);
  await git(['commit', '-qm', 'pr 12'], src);
  for (const pr of prs) await git(['push', '-q', remote, `HEAD:refs/pull/${pr}/head`], src);
  return remote;
}

/** A test "origin" whose pull request refs a test can move: the bare repository and the clone that pushes to it. */
export interface TestRemote {
  readonly remote: string;
  readonly src: string;
  /** Commits `text` as pr.txt in the clone and force-pushes it as `refs/pull/<pr>/head`; returns the commit. */
  pushPr(pr: number, text: string): Promise<string>;
}

/** {@link makeRemote} with no pull request refs yet, and a way to push new ones. */
export async function makeMovableRemote(dir: string): Promise<TestRemote> {
  const remote = await makeRemote(dir, []);
  const src = join(dir, 'src');
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
