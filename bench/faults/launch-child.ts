/**
 * A launch as the dashboard makes it: in-process, through the job actions, while the fleet polls every worker.
 * Progress lines go to stdout, so the fault suite can SIGKILL this process at a named step.
 *
 *   node --import tsx bench/faults/launch-child.ts CONFIG WORKER KIND N
 */
import { createFleet } from '../../src/app/fleet.js';
import { loadConfig } from '../../src/config/load.js';
import { createJobActions } from '../../src/jobs/actions.js';

const [configPath = '', worker = '', kind = '', n = ''] = process.argv.slice(2);
const loaded = await loadConfig(configPath);
if (!loaded.ok) {
  process.stderr.write(`bad config: ${JSON.stringify(loaded.errors)}\n`);
  process.exit(2);
}
const fleet = createFleet(loaded.config);
fleet.startPolling();
try {
  const launched = await createJobActions(fleet, loaded.config.jobs).launch({ kind, params: { n }, worker }, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(`launched ${launched.key} created=${launched.created}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await fleet.close();
}
