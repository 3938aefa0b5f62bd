/**
 * `mission-control image build [--tag T] [--docker-host H]`: builds the default image of `provider: docker` workers
 * on this machine, from its own binaries, without any image registry.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_WORKER_IMAGE } from '../config/schema.js';
import { buildWorkerImage } from '../providers/docker-image.js';
import { terminalStream } from './terminal-io.js';
import { EXIT, UsageError } from './usage.js';

/** The usage of `image`. */
export const IMAGE_USAGE = `Usage: mission-control image build [--tag TAG] [--docker-host HOST]

Builds the image docker workers use by default (${DEFAULT_WORKER_IMAGE}) from this machine's own sh, tmux, git
and command-line tools with their libraries, and imports it with \`docker import\`: no registry, no network.
  --tag TAG           the tag to give it (default ${DEFAULT_WORKER_IMAGE})
  --docker-host HOST  the daemon to import into (default: DOCKER_HOST, else docker's own default)
`;

/** Runs `image ARGS…`; resolves to the exit code. */
export async function runImageCommand(args: readonly string[]): Promise<number> {
  const out = terminalStream(process.stdout);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { tag: { type: 'string' }, 'docker-host': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, '') : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out.write(IMAGE_USAGE);
    return EXIT.ok;
  }
  if (positionals[0] !== 'build' || positionals.length > 1) {
    throw new UsageError(`'image' needs one action, build: mission-control image build [--tag TAG]${positionals[0] && positionals[0] !== 'build' ? ` (not '${positionals[0]}')` : ''}`);
  }
  const tag = await buildWorkerImage({
    ...(values.tag !== undefined && { tag: values.tag }),
    ...(values['docker-host'] !== undefined && { dockerHost: values['docker-host'] }),
    progress: (step) => out.write(`${step}\n`),
  });
  out.write(`docker workers can now use ${tag}\n`);
  return EXIT.ok;
}
