/**
 * A stand-in for `gcloud compute start-iap-tunnel … --listen-on-stdin`: a small node program that records its
 * arguments and pipes its stdin/stdout to a local TCP port (the test sshd), as the real tunnel pipes them to the VM.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The stand-in program and what it recorded. */
export interface IapStandIn {
  /** The program's path: configure it as `iap.command`. */
  readonly command: string;
  /** The argument lists it was started with, one per tunnel. */
  invocations(): Promise<string[][]>;
}

/** Writes the stand-in into `dir`; it tunnels to `host:port`. */
export async function writeIapStandIn(dir: string, host: string, port: number): Promise<IapStandIn> {
  const command = join(dir, 'gcloud-iap-stand-in');
  const log = join(dir, 'gcloud-iap-invocations.jsonl');
  const program = `#!${process.execPath}
const { appendFileSync } = require('node:fs');
const { connect } = require('node:net');
appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');
const socket = connect({ host: ${JSON.stringify(host)}, port: ${port} });
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('error', (error) => { process.stderr.write('tunnel: ' + error.message + '\\n'); process.exit(1); });
socket.on('close', () => process.exit(0));
`;
  await writeFile(command, program);
  await chmod(command, 0o755);
  return {
    command,
    async invocations() {
      try {
        return (await readFile(log, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as string[]);
      } catch {
        return [];
      }
    },
  };
}
