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
