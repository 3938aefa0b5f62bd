/**
 * Whether a worker VM will have a way out before it is created. Without an external IP, a VM reaches the internet
 * only through Cloud NAT, and Google APIs (Artifact Registry and gcr.io included) through Cloud NAT or Private Google
 * Access; a new project's `default` network has neither. Without a way out the image pull, apt and the agents' own
 * calls fail, and all the user would see is a boot script that never finishes.
 */
import type { GceWorkerFields } from '../../config/gce-schema.js';
import type { ComputeApi, ComputeRouter } from './compute-api.js';
import { GceError } from './errors.js';
import { regionOf } from './instance-body.js';

/** What the VM will be able to reach. */
export interface EgressReport {
  /** Anything on the internet (external IP or Cloud NAT). */
  readonly internet: boolean;
  /** Google APIs, Artifact Registry and gcr.io (the above, or Private Google Access). */
  readonly googleApis: boolean;
  /** How it was found out, for messages: `external IP`, `Cloud NAT nat-1 on router r`, … */
  readonly via: string;
  /** The subnetwork looked at (`default` in us-central1), when there was one. */
  readonly subnet?: { readonly project: string; readonly region: string; readonly name: string; readonly network: string };
}

/** The worker fields the check reads. */
export type EgressWorker = Pick<GceWorkerFields, 'project' | 'zone' | 'network' | 'subnet' | 'externalIp' | 'container' | 'instance'>;

/** What the VM will be able to reach, from the subnetwork's settings and the region's Cloud Routers. */
export async function egressOf(api: ComputeApi, worker: EgressWorker): Promise<EgressReport> {
  if (worker.externalIp) return { internet: true, googleApis: true, via: 'its external IP' };
  const region = regionOf(worker.zone);
  const network = parsePath(worker.network, worker.project, 'networks');
  let subnet = worker.subnet === undefined ? undefined : parsePath(worker.subnet, worker.project, 'subnetworks');
  if (!subnet) {
    const found = await api.getNetwork(network.project, network.name);
    if (!found) {
      throw new GceError('not-found', `network ${network.name} does not exist in project ${network.project}`, 'Check `network:` in the config (`gcloud compute networks list`)');
    }
    const url = found.subnetworks?.find((link) => link.includes(`/regions/${region}/subnetworks/`));
    if (!url) {
      throw new GceError(
        'invalid',
        `network ${network.name} has no subnetwork in region ${region}`,
        `Set \`subnet:\` in the config to a subnetwork of ${network.name} in ${region} (\`gcloud compute networks subnets list --network ${network.name}\`)`,
      );
    }
    subnet = parsePath(url, network.project, 'subnetworks');
  }
  const described = await api.getSubnetwork(subnet.project, region, subnet.name);
  if (!described) {
    throw new GceError('not-found', `subnetwork ${subnet.name} does not exist in ${subnet.project}/${region}`, 'Check `subnet:` in the config (`gcloud compute networks subnets list`)');
  }
  const where = { project: subnet.project, region, name: subnet.name, network: network.name };
  const routers = await api.listRouters(subnet.project, region);
  const nat = natFor(routers, network.name, subnet.name);
  if (nat) return { internet: true, googleApis: true, via: nat, subnet: where };
  const pga = described.privateIpGoogleAccess === true;
  return { internet: false, googleApis: pga, via: pga ? 'Private Google Access' : 'nothing', subnet: where };
}

/** How strictly provisioning treats a VM without a way out: refuse (default), warn and go on, or skip the check. */
export type EgressCheckMode = 'refuse' | 'warn' | 'off';

/**
 * Checks the way out before provisioning; throws a {@link GceError} (`network`) that names the commands that fix it
 * (mode `refuse`), or reports the same text through `warn` (mode `warn`). A check that cannot read the network
 * (e.g. no permission to list routers) only warns: provisioning may still work.
 */
export async function checkEgress(api: ComputeApi, worker: EgressWorker, mode: EgressCheckMode, warn: (message: string) => void): Promise<EgressReport | undefined> {
  if (mode === 'off') return undefined;
  let report: EgressReport;
  try {
    report = await egressOf(api, worker);
  } catch (error) {
    if (error instanceof GceError && (error.kind === 'not-found' || error.kind === 'invalid' || error.kind === 'service-disabled')) throw error;
    warn(`could not check the VM's way to the internet (${error instanceof Error ? error.message : String(error)}); going on`);
    return undefined;
  }
  if (report.internet) return report;
  const problem = egressProblem(report, worker);
  if (mode === 'warn') {
    warn(`${problem.detail}. ${problem.hint}`);
    return report;
  }
  throw problem;
}

/** The error for a VM without internet access: what it cannot reach, and the commands that fix it. */
export function egressProblem(report: EgressReport, worker: EgressWorker): GceError {
  const subnet = report.subnet ?? { project: worker.project, region: regionOf(worker.zone), name: 'default', network: 'default' };
  const image = worker.container?.image;
  const imageInGoogle = image !== undefined && /^([a-z0-9-]+-docker\.pkg\.dev|([a-z]+\.)?gcr\.io)\//.test(image);
  const lost = report.googleApis
    ? `Private Google Access is on for subnetwork ${subnet.name}, so Google APIs${imageInGoogle ? ` and the image ${image}` : ''} are reachable, ` +
      `but nothing else: ${image && !imageInGoogle ? `the image ${image}, ` : ''}apt, GitHub, npm and the agents' own calls would fail`
    : `so ${image ? `the pull of ${image}, ` : ''}apt, GitHub, npm and the agents' own calls would fail`;
  const nat =
    `\`gcloud compute routers create mission-control-nat-router --project ${subnet.project} --region ${subnet.region} --network ${subnet.network} && ` +
    `gcloud compute routers nats create mission-control-nat --project ${subnet.project} --region ${subnet.region} --router mission-control-nat-router ` +
    '--auto-allocate-nat-external-ips --nat-all-subnet-ip-ranges`';
  const pga = report.googleApis
    ? ''
    : `; for Google APIs and Artifact Registry only: \`gcloud compute networks subnets update ${subnet.name} --project ${subnet.project} --region ${subnet.region} --enable-private-ip-google-access\``;
  return new GceError(
    'network',
    `VM ${worker.instance} would have no way to the internet: no external IP (\`externalIp\` is off) and no Cloud NAT for subnetwork ` +
      `${subnet.name} in ${subnet.region}${report.googleApis ? '' : ', and Private Google Access is off'}, ${lost}`,
    `Add Cloud NAT with ${nat}, or set \`externalIp: true\` for this worker${pga}. ` +
      'To provision anyway (e.g. behind your own proxy), set `egressCheck: warn` or `off`',
  );
}

/** The Cloud NAT serving `subnet` of `network`, as `Cloud NAT N on router R`, or undefined. */
function natFor(routers: readonly ComputeRouter[], network: string, subnet: string): string | undefined {
  for (const router of routers) {
    if (lastSegment(router.network) !== network) continue;
    for (const nat of router.nats ?? []) {
      const all = (nat.sourceSubnetworkIpRangesToNat ?? '').startsWith('ALL_SUBNETWORKS');
      if (all || (nat.subnetworks ?? []).some((entry) => lastSegment(entry.name) === subnet)) return `Cloud NAT ${nat.name ?? '?'} on router ${router.name ?? '?'}`;
    }
  }
  return undefined;
}

/** `name`, `projects/P/…/KIND/name` or a full URL → project and name. */
function parsePath(value: string, project: string, kind: string): { project: string; name: string } {
  const match = new RegExp(`projects/([^/]+)/.*${kind}/([^/]+)$`).exec(value);
  return match ? { project: match[1]!, name: match[2]! } : { project, name: lastSegment(value) };
}

function lastSegment(value: string | undefined): string {
  return (value ?? '').split('/').at(-1) ?? '';
}
