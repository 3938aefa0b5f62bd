/**
 * A stand-in for the repository jobs work on: a bare "remote" with a main branch and the ref of pull request 12.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** git with an identity and `main` as the default branch, whatever the machine's git config says. */
export const git = (args: string[], cwd?: string) =>
  exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], cwd ? { cwd } : {});

/**
 * Makes `<dir>/remote.git` (bare): `main` holds a README, `refs/pull/12/head` adds pr.txt ("the change of PR 12").
 * Returns the remote's path. The working copy used to build it is left at `<dir>/src`.
 */
export async function makeRemoteRepo(dir: string): Promise<string> {
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
  await git(['push', '-q', remote, 'HEAD:refs/pull/12/head'], src);
  return remote;
}
