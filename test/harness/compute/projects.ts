/**
 * The fake Compute API's projects: common instance metadata (where `enable-oslogin` is usually set), VPC networks,
 * subnetworks (Private Google Access off unless turned on, as in GCE), Cloud Routers with Cloud NAT, and projects
 * whose Compute Engine API is disabled. Like a new GCE project, every project has an auto-mode `default` network
 * with one subnetwork per region, no Private Google Access and no Cloud NAT: a VM without an external IP there has
 * no way out.
 */
import { notFound, serviceDisabled, type ApiError } from './errors.js';

const BASE = 'https://www.googleapis.com/compute/v1';

/** The regions the auto-mode `default` network has subnetworks in (the real one has every region). */
const AUTO_REGIONS = ['us-central1', 'us-east1', 'us-west1', 'europe-west1', 'europe-west4', 'asia-east1'];

/** A subnetwork of the fake. */
export interface FakeSubnet {
  readonly project: string;
  readonly region: string;
  readonly name: string;
  readonly network: string;
  privateIpGoogleAccess: boolean;
}

/** A Cloud NAT on a router of the fake. */
export interface FakeNat {
  readonly name: string;
  /** Subnetwork names it serves; undefined: all of the network's subnetworks in the region. */
  readonly subnets?: readonly string[];
}

/** A Cloud Router of the fake. */
export interface FakeRouter {
  readonly project: string;
  readonly region: string;
  readonly name: string;
  readonly network: string;
  readonly nats: FakeNat[];
}

/** What a request to the project-level collections gets: a status and a body. */
export type Answer = { readonly status: number; readonly body: unknown } | ApiError;

/** The projects, networks and routers of the fake. */
export class FakeProjects {
  /** Common instance metadata by project. */
  readonly metadata = new Map<string, { key: string; value: string }[]>();
  /** Custom-mode networks by `project/name` (every project also has the auto-mode `default`). */
  readonly customNetworks = new Set<string>();
  readonly subnets = new Map<string, FakeSubnet>();
  readonly routers = new Map<string, FakeRouter>();
  /** Projects where the Compute Engine API is not enabled: every request fails with SERVICE_DISABLED. */
  readonly disabled = new Set<string>();

  /** Sets (or, with undefined, removes) one common instance metadata entry, e.g. `enable-oslogin`. */
  setMetadata(project: string, key: string, value: string | undefined): void {
    const items = (this.metadata.get(project) ?? []).filter((item) => item.key !== key);
    this.metadata.set(project, value === undefined ? items : [...items, { key, value }]);
  }

  /** A custom-mode network (no subnetworks until added). */
  addNetwork(project: string, name: string): void {
    this.customNetworks.add(`${project}/${name}`);
  }

  /** A subnetwork (also how Private Google Access is turned on for `default`: add it with the same name). */
  addSubnet(project: string, region: string, name: string, network: string, privateIpGoogleAccess = false): FakeSubnet {
    const subnet: FakeSubnet = { project, region, name, network, privateIpGoogleAccess };
    this.subnets.set(`${project}/${region}/${name}`, subnet);
    return subnet;
  }

  /** A Cloud Router with a Cloud NAT for the network's subnetworks in `region` (all of them unless named). */
  addCloudNat(project: string, region: string, network = 'default', subnets?: readonly string[]): FakeRouter {
    const router: FakeRouter = { project, region, name: `nat-router-${network}`, network, nats: [{ name: `nat-${network}`, ...(subnets ? { subnets } : {}) }] };
    this.routers.set(`${project}/${region}/${router.name}`, router);
    return router;
  }

  /** A router without NAT (for BGP, say): it must not count as a way out. */
  addRouter(project: string, region: string, name: string, network = 'default'): FakeRouter {
    const router: FakeRouter = { project, region, name, network, nats: [] };
    this.routers.set(`${project}/${region}/${name}`, router);
    return router;
  }

  /** Whether the network exists. */
  hasNetwork(project: string, name: string): boolean {
    return name === 'default' || this.customNetworks.has(`${project}/${name}`);
  }

  /** The subnetwork; `default`'s are made on first use, one per region, as auto mode does. */
  subnet(project: string, region: string, name: string): FakeSubnet | undefined {
    const found = this.subnets.get(`${project}/${region}/${name}`);
    if (found || name !== 'default') return found;
    return this.addSubnet(project, region, 'default', 'default');
  }

  /** Answers a request under `projects/P`, or undefined when it is not a project-level one. */
  answer(method: string, project: string, rest: readonly string[]): Answer | undefined {
    if (this.disabled.has(project)) return serviceDisabled(project);
    if (method !== 'GET') return undefined;
    if (rest.length === 0) return ok(this.renderProject(project));
    if (rest[0] === 'global' && rest[1] === 'networks' && rest[2] && rest.length === 3) {
      if (!this.hasNetwork(project, rest[2])) return notFound(`projects/${project}/global/networks/${rest[2]}`);
      return ok(this.renderNetwork(project, rest[2]));
    }
    if (rest[0] !== 'regions' || !rest[1]) return undefined;
    const region = rest[1];
    if (rest[2] === 'subnetworks' && rest[3] && rest.length === 4) {
      const subnet = this.subnet(project, region, rest[3]);
      return subnet ? ok(this.renderSubnet(subnet)) : notFound(`projects/${project}/regions/${region}/subnetworks/${rest[3]}`);
    }
    if (rest[2] === 'routers' && rest.length === 3) {
      const items = [...this.routers.values()].filter((r) => r.project === project && r.region === region).map((r) => this.renderRouter(r));
      return ok({ kind: 'compute#routerList', id: `projects/${project}/regions/${region}/routers`, items, selfLink: `${BASE}/projects/${project}/regions/${region}/routers` });
    }
    return undefined;
  }

  renderProject(project: string): Record<string, unknown> {
    return {
      kind: 'compute#project',
      id: '4242424242424242',
      name: project,
      commonInstanceMetadata: { kind: 'compute#metadata', fingerprint: 'cim=', items: this.metadata.get(project) ?? [] },
      defaultServiceAccount: '123456789012-compute@developer.gserviceaccount.com',
      selfLink: `${BASE}/projects/${project}`,
      xpnProjectStatus: 'UNSPECIFIED_XPN_PROJECT_STATUS',
    };
  }

  renderNetwork(project: string, name: string): Record<string, unknown> {
    const auto = name === 'default';
    if (auto) for (const region of AUTO_REGIONS) this.subnet(project, region, 'default');
    const subnets = [...this.subnets.values()].filter((s) => s.project === project && s.network === name);
    return {
      kind: 'compute#network',
      id: '1111111111111111',
      name,
      selfLink: `${BASE}/projects/${project}/global/networks/${name}`,
      autoCreateSubnetworks: auto,
      subnetworks: subnets.map((s) => `${BASE}/projects/${project}/regions/${s.region}/subnetworks/${s.name}`),
      routingConfig: { routingMode: 'REGIONAL' },
    };
  }

  renderSubnet(subnet: FakeSubnet): Record<string, unknown> {
    const regionUrl = `${BASE}/projects/${subnet.project}/regions/${subnet.region}`;
    return {
      kind: 'compute#subnetwork',
      id: '2222222222222222',
      name: subnet.name,
      network: `${BASE}/projects/${subnet.project}/global/networks/${subnet.network}`,
      ipCidrRange: '10.128.0.0/20',
      gatewayAddress: '10.128.0.1',
      region: regionUrl,
      selfLink: `${regionUrl}/subnetworks/${subnet.name}`,
      privateIpGoogleAccess: subnet.privateIpGoogleAccess,
      stackType: 'IPV4_ONLY',
      fingerprint: 'sub=',
    };
  }

  renderRouter(router: FakeRouter): Record<string, unknown> {
    const regionUrl = `${BASE}/projects/${router.project}/regions/${router.region}`;
    return {
      kind: 'compute#router',
      id: '3333333333333333',
      name: router.name,
      region: regionUrl,
      network: `${BASE}/projects/${router.project}/global/networks/${router.network}`,
      selfLink: `${regionUrl}/routers/${router.name}`,
      ...(router.nats.length > 0
        ? {
            nats: router.nats.map((nat) => ({
              name: nat.name,
              natIpAllocateOption: 'AUTO_ONLY',
              sourceSubnetworkIpRangesToNat: nat.subnets ? 'LIST_OF_SUBNETWORKS' : 'ALL_SUBNETWORKS_ALL_IP_RANGES',
              ...(nat.subnets
                ? { subnetworks: nat.subnets.map((name) => ({ name: `${regionUrl}/subnetworks/${name}`, sourceIpRangesToNat: ['ALL_IP_RANGES'] })) }
                : {}),
              enableEndpointIndependentMapping: false,
            })),
          }
        : {}),
    };
  }
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}
