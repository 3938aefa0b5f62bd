import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComputeApi, type ComputeApiFake } from '../harness/compute-api.js';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * The Compute API is called through google-auth-library: a fleet without GCE workers must never load it, one with
 * them only on the first API call, and nothing loads the generated Compute client library (over a second of
 * blocked event loop). Checked in a fresh node process (the module cache of this one is shared).
 */
describe('the Compute transport is imported lazily', () => {
  let fake: ComputeApiFake;
  let dir: string;

  beforeAll(async () => {
    fake = await startComputeApi();
    dir = await mkdtemp(join(tmpdir(), 'mc-gce-lazy-'));
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('not by the factory or a fleet without GCE workers; by a GCE worker\'s first status, not its creation; never the client library', async () => {
    const script = join(dir, 'probe.mts');
    await writeFile(
      script,
      `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const computeLoaded = () => Object.keys(require.cache).some((file) => file.includes('/google-auth-library/'));
const clientLibraryLoaded = () => Object.keys(require.cache).some((file) => file.includes('/@google-cloud/compute/') || file.includes('/google-gax/'));
const report = {};
let t = performance.now();
const { createFleet } = await import(${JSON.stringify(join(ROOT, 'src/app/fleet.ts'))});
const { parseConfig } = await import(${JSON.stringify(join(ROOT, 'src/config/load.ts'))});
report.importMs = Math.round(performance.now() - t);
report.afterImport = computeLoaded();
const local = parseConfig('workers:\\n  - name: here\\n    provider: local\\n', 'local.yaml');
const localFleet = createFleet(local.config, { readOnly: true });
await localFleet.refreshAll();
report.afterLocalFleet = computeLoaded();
await localFleet.close();
const gce = parseConfig('workers:\\n  - name: vm\\n    provider: gce-linux\\n    project: mc-test-project\\n    zone: us-central1-a\\n', 'gce.yaml');
const gceFleet = createFleet(gce.config);
report.afterGceFleet = computeLoaded();
t = performance.now();
report.status = await gceFleet.provider('vm').getStatus();
report.firstStatusMs = Math.round(performance.now() - t);
report.afterStatus = computeLoaded();
report.clientLibrary = clientLibraryLoaded();
await gceFleet.close();
console.log(JSON.stringify(report));
`,
    );
    const output = await new Promise<string>((resolvePromise, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: ROOT,
        env: { ...process.env, MISSION_CONTROL_COMPUTE_EMULATOR: fake.url, XDG_STATE_HOME: join(dir, 'state') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolvePromise(stdout) : reject(new Error(`probe exited ${code}: ${stderr}`))));
    });
    const report = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(report).toMatchObject({
      afterImport: false,
      afterLocalFleet: false,
      afterGceFleet: false,
      status: { state: 'missing', detail: 'not found' },
      afterStatus: true,
      clientLibrary: false,
    });
    console.log(`fleet modules imported in ${String(report.importMs)} ms without the Compute transport; first GCE status (loads it): ${String(report.firstStatusMs)} ms`);
  });
});
