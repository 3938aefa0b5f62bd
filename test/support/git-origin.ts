import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs git with a fixed identity and `main` as the default branch. */
export function git(args: readonly string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], cwd ? { cwd } : {});
}

/** Makes `remote` a bare repository whose `main` holds one commit (a README), as the origin a worker clones. */
export async function createOrigin(remote: string): Promise<void> {
  const src = await mkdtemp(join(tmpdir(), 'mc-origin-src-'));
  try {
    await git(['init', '--bare', remote]);
    await git(['init', src]);
    await writeFile(join(src, 'README'), 'main\n');
    await git(['add', '.'], src);
    await git(['commit', '-qm', 'main'], src);
    await git(['push', '-q', remote, 'HEAD:refs/heads/main'], src);
  } finally {
    await rm(src, { recursive: true, force: true });
  }
}
