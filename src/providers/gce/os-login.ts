/**
 * OS Login: where `enable-oslogin` is on, the guest ignores the `ssh-keys` metadata, users log in under their OS
 * Login name, and (on Container-Optimized OS) that user is not in the docker group. The flag is read from the
 * project's common metadata and the instance's own (the instance wins). An organization policy
 * (`constraints/compute.requireOsLogin`) can also force it on; that is not visible through the Compute API, so
 * repeated authentication failures with metadata keys should be read as a hint of it.
 *
 * The OS Login name comes from the account of the credentials: for a user, the email with every character other
 * than a letter or digit replaced by `_` (alice@example.com → alice_example_com); for a service account,
 * `sa_` and its numeric unique id. Accounts outside the organization get an `ext_` prefix; the login profile
 * (`gcloud compute os-login describe-profile`) is authoritative when in doubt.
 */
import type { ComputeApi, ComputeInstance, MetadataItem } from './compute-api.js';
import { GceError, type GceErrorKind } from './errors.js';

/** Whether OS Login applies to a VM, why, and the user name it implies. */
export interface OsLoginState {
  /** True when `enable-oslogin` is on for the VM. */
  readonly enabled: boolean;
  /** Where the deciding value came from: the instance's metadata, the project's, or neither (off by default). */
  readonly source: 'instance' | 'project' | 'default';
  /** True when `enable-oslogin-2fa` is on too (logins then need a second factor: no unattended SSH). */
  readonly twoFactor: boolean;
  /** The OS Login user name of the credentials' account; undefined when the account is unknown. */
  readonly user?: string;
}

/** Values the guest agent reads as true (Go's strconv.ParseBool). */
const TRUE_VALUES = new Set(['1', 't', 'true']);
/** Values the guest agent reads as false. */
const FALSE_VALUES = new Set(['0', 'f', 'false']);

/** The boolean a metadata key is set to, or undefined when it is absent or not a boolean. */
export function metadataFlag(items: readonly MetadataItem[] | undefined, key: string): boolean | undefined {
  const value = items?.find((item) => item.key === key)?.value?.trim().toLowerCase();
  if (value === undefined) return undefined;
  return TRUE_VALUES.has(value) ? true : FALSE_VALUES.has(value) ? false : undefined;
}

/** Whether OS Login is on, from project and instance metadata (the instance's value wins when set). */
export function osLoginFromMetadata(
  project: readonly MetadataItem[] | undefined,
  instance: readonly MetadataItem[] | undefined,
): Pick<OsLoginState, 'enabled' | 'source' | 'twoFactor'> {
  const own = metadataFlag(instance, 'enable-oslogin');
  const common = metadataFlag(project, 'enable-oslogin');
  const enabled = own ?? common ?? false;
  const twoFactor = enabled && (metadataFlag(instance, 'enable-oslogin-2fa') ?? metadataFlag(project, 'enable-oslogin-2fa') ?? false);
  return { enabled, source: own !== undefined ? 'instance' : common !== undefined ? 'project' : 'default', twoFactor };
}

/** The OS Login user name of an account: `alice_example_com`, or `sa_<uniqueId>` for a service account. */
export function osLoginUserName(account: { readonly email: string; readonly uniqueId?: string | undefined }): string | undefined {
  const email = account.email.trim().toLowerCase();
  if (email.endsWith('.gserviceaccount.com')) return account.uniqueId ? `sa_${account.uniqueId}` : undefined;
  // Linux user names are at most 32 characters; OS Login truncates longer ones.
  return email.replace(/[^a-z0-9]/g, '_').slice(0, 32) || undefined;
}

/**
 * OS Login for a VM of `project`: from the project's metadata, and the instance's when it exists (pass it when
 * already read), with the user name of the credentials' account.
 */
export async function detectOsLogin(api: ComputeApi, project: string, instance?: ComputeInstance): Promise<OsLoginState> {
  const [projectResource, account] = await Promise.all([api.getProject(project), api.account().catch(() => undefined)]);
  const state = osLoginFromMetadata(projectResource.commonInstanceMetadata?.items, instance?.metadata?.items);
  const user = account ? osLoginUserName(account) : undefined;
  return { ...state, ...(user ? { user } : {}) };
}

/** What a worker is taken to have when the API will not say: OS Login off. */
export const OS_LOGIN_UNKNOWN_OFF: OsLoginState = { enabled: false, source: 'default', twoFactor: false };

/** Refusals that are the API's answer (asking again will not change it), as opposed to a call that did not get through. */
const REFUSED: ReadonlySet<GceErrorKind> = new Set(['permission', 'not-found', 'invalid', 'service-disabled']);

/**
 * OS Login for a configured worker's VM, reading the instance when it exists. An answer the API refuses (no
 * permission to read the project, say) counts as off: logins then use metadata keys, and a VM that refuses them
 * ends the ssh stage with the OS Login hint anyway. A call that did not get through (network, credentials, rate
 * limit, a server error) rejects, so the caller asks again later instead of holding on to a guess.
 */
export async function detectWorkerOsLogin(
  api: ComputeApi,
  worker: { readonly project: string; readonly zone: string; readonly instance: string },
): Promise<OsLoginState> {
  try {
    const instance = await api.getInstance({ project: worker.project, zone: worker.zone, instance: worker.instance });
    return await detectOsLogin(api, worker.project, instance);
  } catch (error) {
    if (error instanceof GceError && REFUSED.has(error.kind)) return OS_LOGIN_UNKNOWN_OFF;
    throw error;
  }
}
