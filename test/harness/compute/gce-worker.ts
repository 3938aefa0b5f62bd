/**
 * GCE worker configs for tests, through the real config parser (so defaults are the product's), and the provider
 * dependencies that point at the fake Compute API and keep every file in a temp dir.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load.js';
import type { GceWorkerConfig } from '../../../src/config/schema.js';
import { ComputeApi } from '../../../src/providers/gce/compute-api.js';
import { RouteMemory } from '../../../src/providers/gce/local-state.js';
import type { GceProviderDeps } from '../../../src/providers/gce/provider.js';
import type { SshPool } from '../../../src/ssh/pool.js';
import type { ComputeApiFake } from '../compute-api.js';

/** The project and zone tests use. */
export const PROJECT = 'mc-test-project';
export const ZONE = 'us-central1-a';

/** Parses one worker entry (YAML-shaped object) with the real config loader; throws with the errors if invalid. */
export function gceWorker(entry: Record<string, unknown>): GceWorkerConfig {
  const text = stringify({ workers: [{ project: PROJECT, zone: ZONE, ...entry }] });
  const result = parseConfig(text, 'config.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.field}: ${e.message}`).join('\n'));
  const worker = result.config.workers[0]!;
  if (worker.provider !== 'gce-cos' && worker.provider !== 'gce-linux') throw new Error('not a GCE worker');
  return worker;
}

/** Writes an empty ssh config (so the user's ~/.ssh/config cannot change what tests resolve). */
export async function emptySshConfig(dir: string): Promise<string> {
  const file = join(dir, 'ssh_config');
  await writeFile(file, '');
  return file;
}

/** The region of {@link ZONE}. */
export const REGION = 'us-central1';

/**
 * Provider dependencies against `fake`, with files under `dir` and short stage deadlines. The test project gets a
 * Cloud NAT in {@link REGION} (the fake's projects start without one, as real ones do), so provisioning passes the
 * egress check; tests of that check clear `fake.world.projects.routers`.
 */
export function testDeps(fake: ComputeApiFake, pool: SshPool, dir: string, extra: Partial<GceProviderDeps> = {}): GceProviderDeps {
  fake.world.projects.addCloudNat(PROJECT, REGION);
  return {
    pool,
    compute: new ComputeApi({ client: fake.clientOptions(), waitCallMs: 5000, waitFloorMs: 100, retryDelayMs: 50 }),
    knownHostsFile: join(dir, 'known_hosts'),
    routes: new RouteMemory(join(dir, 'routes.json')),
    bootStateDir: join(dir, 'boot-state'),
    statusIntervalMs: 15_000,
    timeouts: { operation: 10_000, state: 10_000, ssh: 15_000, ready: 30_000 },
    fastPathTimeoutMs: 1000,
    ...extra,
  };
}
