/**
 * The Compute API resources mission-control reads and sends, as their JSON (the fields it uses; the API has more).
 */
import type { OperationErrorBody } from './errors.js';

/** One `metadata.items` entry. */
export interface MetadataItem {
  readonly key?: string;
  readonly value?: string;
}

/** A network interface's access config (an external IP). */
export interface AccessConfig {
  readonly name?: string;
  readonly type?: string;
  readonly networkTier?: string;
  readonly natIP?: string;
}

/** A network interface of an instance. */
export interface NetworkInterface {
  readonly network?: string;
  readonly subnetwork?: string;
  readonly networkIP?: string;
  readonly accessConfigs?: readonly AccessConfig[];
}

/** A Compute instance as the API returns it (the fields mission-control reads or sends; the API has more). */
export interface ComputeInstance {
  readonly name?: string;
  readonly id?: string;
  readonly status?: string;
  readonly machineType?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly networkInterfaces?: readonly NetworkInterface[];
  readonly metadata?: { readonly items?: readonly MetadataItem[] };
  readonly disks?: readonly {
    readonly boot?: boolean;
    readonly initializeParams?: { readonly sourceImage?: string; readonly diskType?: string; readonly diskSizeGb?: string; readonly [field: string]: unknown };
    readonly [field: string]: unknown;
  }[];
  readonly [field: string]: unknown;
}

/** A Compute operation as the API returns it. */
export interface ComputeOperation {
  readonly name?: string;
  readonly status?: string;
  readonly operationType?: string;
  /** The instance it acted on. */
  readonly targetId?: string;
  readonly insertTime?: string;
  /** `system` for what GCE did by itself (a preemption). */
  readonly user?: string;
  readonly error?: OperationErrorBody;
  readonly httpErrorStatusCode?: number;
}

/** A project: its metadata applies to every VM unless the VM's own says otherwise. */
export interface ComputeProject {
  readonly name?: string;
  readonly commonInstanceMetadata?: { readonly items?: readonly MetadataItem[] };
}

/** A VPC network. */
export interface ComputeNetwork {
  readonly name?: string;
  readonly selfLink?: string;
  readonly autoCreateSubnetworks?: boolean;
  /** Subnetwork URLs, one per region in auto mode. */
  readonly subnetworks?: readonly string[];
}

/** A subnetwork. */
export interface ComputeSubnetwork {
  readonly name?: string;
  readonly selfLink?: string;
  readonly network?: string;
  readonly region?: string;
  readonly privateIpGoogleAccess?: boolean;
}

/** A Cloud NAT configuration of a router. */
export interface RouterNat {
  readonly name?: string;
  /** ALL_SUBNETWORKS_ALL_IP_RANGES, ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES or LIST_OF_SUBNETWORKS. */
  readonly sourceSubnetworkIpRangesToNat?: string;
  readonly subnetworks?: readonly { readonly name?: string }[];
}

/** A Cloud Router. */
export interface ComputeRouter {
  readonly name?: string;
  readonly network?: string;
  readonly nats?: readonly RouterNat[];
}
