/**
 * Compute API failures as errors a person can act on: what failed, on which VM, and the next thing to try.
 * Callers branch on {@link GceError.kind}, never on message text.
 */

/** What kind of failure a {@link GceError} is. */
export type GceErrorKind =
  | 'quota'
  | 'stockout'
  | 'permission'
  | 'exists'
  | 'not-found'
  | 'credentials'
  | 'invalid'
  | 'rate-limit'
  | 'service-disabled'
  | 'network'
  | 'unreachable'
  | 'stalled'
  | 'api';

/** A failed Compute API call or lifecycle stage. */
export class GceError extends Error {
  override readonly name = 'GceError';
  /** What failed, without the hint. */
  readonly detail: string;

  constructor(
    /** What kind of failure this is. */
    readonly kind: GceErrorKind,
    detail: string,
    /** The next thing to try. */
    readonly hint: string,
    options: { readonly cause?: unknown; readonly status?: number; readonly reason?: string } = {},
  ) {
    super(hint ? `${detail}. ${hint}` : detail, options.cause === undefined ? {} : { cause: options.cause });
    this.detail = detail;
    this.status = options.status;
    this.reason = options.reason;
  }

  /** The HTTP status, for API errors. */
  readonly status: number | undefined;
  /** The API's reason (`quotaExceeded`, `alreadyExists`, `QUOTA_EXCEEDED` …), when it gave one. */
  readonly reason: string | undefined;

  /** The same error with `prefix` (usually the worker's name) in front. */
  on(prefix: string): GceError {
    if (this.detail.startsWith(`${prefix}: `)) return this;
    return new GceError(this.kind, `${prefix}: ${this.detail}`, this.hint, {
      cause: this.cause,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
    });
  }
}

/** What a call was about, for messages. */
export interface CallContext {
  /** `creating the VM`, `starting the VM` … */
  readonly action: string;
  readonly project: string;
  readonly zone?: string;
  readonly instance?: string;
  /** The machine type, for capacity messages. */
  readonly machineType?: string;
  /** The call creates the VM: a 404 or 409 is then about what the VM refers to, not the VM. */
  readonly insert?: boolean;
}

/** The JSON error body of the Compute API: `{error: {code, message, errors: [{domain, reason, message}]}}`. */
interface ApiErrorBody {
  readonly code?: number;
  readonly message?: string;
  /** The gRPC status name (`NOT_FOUND`, `PERMISSION_DENIED` …). */
  readonly status?: string;
  readonly errors?: readonly { readonly domain?: string; readonly reason?: string; readonly message?: string }[];
  /** `google.rpc.ErrorInfo` and friends: `{'@type', reason, domain, metadata}`. */
  readonly details?: readonly { readonly reason?: string; readonly metadata?: Readonly<Record<string, string>> }[];
}

/**
 * gRPC status codes (by number and by name, as error bodies and gRPC clients give them) and the HTTP status Google's
 * APIs answer them with (https://cloud.google.com/apis/design/errors#handling_errors).
 */
const GRPC_TO_HTTP: Readonly<Record<string, number>> = {
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};
const GRPC_NAMES = Object.keys(GRPC_TO_HTTP);

/** The HTTP status a gRPC status code (1-16) or name stands for; undefined for anything else. */
export function httpStatusOfGrpc(code: number | string | undefined): number | undefined {
  if (typeof code === 'number') return code >= 1 && code <= 16 ? GRPC_TO_HTTP[GRPC_NAMES[code - 1]!] : undefined;
  return code === undefined ? undefined : GRPC_TO_HTTP[code];
}

/** The HTTP status of a failed call: the response's, or one a gRPC code maps to. */
export function httpStatusOf(error: unknown): number | undefined {
  const cause = error as { code?: unknown; status?: unknown; response?: { status?: unknown } } | null;
  const status = numeric(cause?.response?.status) ?? numeric(cause?.status);
  if (status !== undefined) return status;
  if (typeof cause?.code === 'number') return cause.code >= 100 ? cause.code : httpStatusOfGrpc(cause.code);
  return typeof cause?.code === 'string' ? httpStatusOfGrpc(cause.code) : undefined;
}

/** An operation's `error` field: `{errors: [{code, message}]}`. */
export interface OperationErrorBody {
  readonly errors?: readonly { readonly code?: string | null; readonly message?: string | null }[] | null;
}

const NETWORK_HINT = 'Check the network connection and any HTTPS proxy (HTTPS_PROXY), then try again';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Turns whatever a Compute API call threw (a gaxios error, a network error, a gRPC-style error) into a {@link GceError}. */
export function describeComputeError(error: unknown, context: CallContext): GceError {
  if (error instanceof GceError) return error;
  const cause = error as { code?: unknown; message?: unknown; response?: { data?: unknown } } | null;
  const message = typeof cause?.message === 'string' ? cause.message : describeThrown(error);
  const body = (cause?.response?.data as { error?: ApiErrorBody } | undefined)?.error ?? parseBody(message);
  const status = httpStatusOf(error) ?? numeric(body?.code) ?? httpStatusOfGrpc(body?.status);
  if (status !== undefined && status >= 400) {
    const disabled = body?.details?.find((detail) => detail.reason === 'SERVICE_DISABLED');
    const reason = disabled?.reason ?? body?.errors?.[0]?.reason ?? body?.status;
    const apiMessage = body?.message ?? body?.errors?.[0]?.message ?? message;
    return fromApi(status, reason, apiMessage, context, error, disabled?.metadata?.['service']);
  }
  if (isCredentialsFailure(message)) {
    return new GceError('credentials', `${context.action} failed: no usable Google Cloud credentials (${firstLine(message)})`, CREDENTIALS_HINT, {
      cause: error,
    });
  }
  if (isRequestTimeout(error)) {
    return new GceError('unreachable', `${context.action} failed: no answer from the Compute API in time`, NETWORK_HINT, {
      cause: error,
    });
  }
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code && NETWORK_CODES.has(code)) {
    return new GceError('unreachable', `${context.action} failed: cannot reach the Compute API (${code})`, NETWORK_HINT, {
      cause: error,
    });
  }
  return new GceError('api', `${context.action} failed: ${firstLine(message)}`, '', { cause: error });
}

/** The request outlived its `timeout` (gaxios aborts it: an AbortError, itself or as the cause). */
export function isRequestTimeout(error: unknown): boolean {
  const cause = error as { name?: unknown; code?: unknown; cause?: { name?: unknown } } | null;
  const names = [cause?.name, cause?.cause?.name];
  return cause?.code === 'ETIMEDOUT' || names.includes('AbortError') || names.includes('TimeoutError');
}

/**
 * A failure while the client sets itself up. Apart from loading the library, the only work there is finding
 * credentials (Application Default Credentials), so anything but a network problem is a credentials problem.
 */
export function describeSetupError(error: unknown, context: CallContext): GceError {
  const described = describeComputeError(error, context);
  if (described.kind !== 'api') return described;
  const message = error instanceof Error ? error.message : describeThrown(error);
  return new GceError('credentials', `${context.action} failed: no usable Google Cloud credentials (${firstLine(message)})`, CREDENTIALS_HINT, {
    cause: error,
  });
}

/** An operation that finished with errors (quota and capacity problems are reported this way by `insert`). */
export function describeOperationError(operationError: OperationErrorBody, httpStatus: number | undefined, context: CallContext): GceError {
  const first = operationError.errors?.[0];
  const code = first?.code ?? undefined;
  const message = (operationError.errors ?? []).map((e) => e.message).filter(Boolean).join('; ') || code || 'the operation failed';
  return fromApi(httpStatus ?? 400, code, message, context, undefined);
}

const CREDENTIALS_HINT =
  'mission-control uses Application Default Credentials: run `gcloud auth application-default login`, ' +
  'or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file';

/** What a person runs when the Compute Engine API is not enabled in the project. */
export function enableServiceCommand(project: string, service = 'compute.googleapis.com'): string {
  return `gcloud services enable ${service} --project ${project}`;
}

/** The role that lets an account open IAP tunnels, for hints about the IAP path. */
export const IAP_TUNNEL_ROLE = 'roles/iap.tunnelResourceAccessor';

/** What to check when the IAP path fails: the firewall rule, the role, and the login. */
export const IAP_HINT =
  `for IAP a firewall rule allowing TCP 22 from 35.235.240.0/20, the ${IAP_TUNNEL_ROLE} role on the project or VM, and \`gcloud auth login\``;

function fromApi(status: number, reason: string | undefined, apiMessage: string, context: CallContext, cause: unknown, service?: string): GceError {
  const where = context.zone ? `${context.project}/${context.zone}` : context.project;
  const vm = context.instance ? `VM ${context.instance}` : 'the VM';
  const options = { cause, status, ...(reason ? { reason } : {}) };
  const normalized = (reason ?? '').toLowerCase().replace(/_/g, '');
  if (normalized === 'servicedisabled' || normalized === 'accessnotconfigured') {
    const api = service ?? 'compute.googleapis.com';
    return new GceError(
      'service-disabled',
      `${context.action} failed: the ${api} API is not enabled in project ${context.project} (${apiMessage})`,
      `Enable it with \`${enableServiceCommand(context.project, api)}\` (it takes a minute to apply), then try again`,
      options,
    );
  }
  if (context.insert && (status === 404 || status === 409)) {
    const explained = explainInsertConflict(status, apiMessage, context, options);
    if (explained) return explained;
  }
  if (normalized === 'quotaexceeded' || /quota .* exceeded/i.test(apiMessage)) {
    return new GceError(
      'quota',
      `${context.action} failed: quota exceeded in project ${context.project} (${apiMessage})`,
      `Stop or delete VMs you no longer need, choose a smaller machineType or another region, or request more quota at ` +
        `https://console.cloud.google.com/iam-admin/quotas?project=${context.project}`,
      options,
    );
  }
  if (normalized.startsWith('zoneresourcepoolexhausted') || normalized === 'resourceexhausted') {
    return new GceError(
      'stockout',
      `${context.action} failed: zone ${context.zone ?? '?'} has no capacity for ${context.machineType ?? 'this machine type'} right now (${apiMessage})`,
      'Try again later, or set another zone or machineType for this worker',
      options,
    );
  }
  if (status === 401) {
    return new GceError('credentials', `${context.action} failed: the Compute API rejected the credentials (${apiMessage})`, CREDENTIALS_HINT, options);
  }
  if (status === 403 && (normalized === 'ratelimitexceeded' || normalized === 'userratelimitexceeded')) {
    return new GceError('rate-limit', `${context.action} failed: too many Compute API requests (${apiMessage})`, 'Wait a minute and try again', options);
  }
  if (status === 429) {
    return new GceError('rate-limit', `${context.action} failed: too many Compute API requests (${apiMessage})`, 'Wait a minute and try again', options);
  }
  if (status === 403) {
    return new GceError(
      'permission',
      `${context.action} failed: permission denied in project ${context.project} (${apiMessage})`,
      'The account of your Application Default Credentials needs roles/compute.instanceAdmin.v1 on the project ' +
        "(and roles/iam.serviceAccountUser on the VM's service account to create VMs); check the account with " +
        '`gcloud auth application-default print-access-token` or log in again with `gcloud auth application-default login`',
      options,
    );
  }
  if (status === 409) {
    return new GceError(
      'exists',
      `${context.action} failed: ${vm} already exists in ${where}`,
      'Start the existing VM, rebuild the worker to delete and recreate it, or set `instance:` to another name in the config',
      options,
    );
  }
  if (status === 404) {
    return new GceError(
      'not-found',
      `${context.action} failed: ${vm} does not exist in ${where} (${apiMessage})`,
      'Provision the worker to create it, or check project, zone and instance in the config',
      options,
    );
  }
  if (status === 400) {
    return new GceError('invalid', `${context.action} failed: the Compute API refused the request (${apiMessage})`, "Check the worker's machineType, image, network, subnet, labels and serviceAccount in the config", options);
  }
  return new GceError('api', `${context.action} failed: HTTP ${status} from the Compute API (${apiMessage})`, 'Try again; if it persists, see https://status.cloud.google.com', options);
}

const REFERENCED: readonly { readonly pattern: RegExp; readonly what: string; readonly hint: string }[] = [
  { pattern: /\/images\//, what: 'the boot image', hint: 'Check `image:` (project and family or name) in the config, e.g. with `gcloud compute images describe-from-family FAMILY --project IMAGE_PROJECT`' },
  { pattern: /\/subnetworks\//, what: 'the subnetwork', hint: 'Check `subnet:` in the config: it must exist in the region of the zone (`gcloud compute networks subnets list`)' },
  { pattern: /\/networks\//, what: 'the network', hint: 'Check `network:` in the config (`gcloud compute networks list`)' },
  { pattern: /\/machineTypes\//, what: 'the machine type', hint: 'Check `machineType:` in the config (`gcloud compute machine-types list --zones ZONE`)' },
  { pattern: /\/diskTypes\//, what: 'the disk type', hint: 'Check `bootDisk.type:` in the config: not every zone offers every disk type' },
  { pattern: /serviceAccounts\/|service account/i, what: 'the service account', hint: 'Check `serviceAccount.email:` in the config (`gcloud iam service-accounts list`)' },
  { pattern: /\/zones\/[^/]+$|Unknown zone/i, what: 'the zone', hint: 'Check `zone:` in the config (`gcloud compute zones list`)' },
];

/** A 404 or 409 answering an insert: which resource the VM refers to is missing, or which name is taken. */
function explainInsertConflict(
  status: number,
  apiMessage: string,
  context: CallContext,
  options: { cause: unknown; status: number; reason?: string },
): GceError | undefined {
  const resource = /The resource '([^']+)'/.exec(apiMessage)?.[1] ?? apiMessage;
  if (status === 409) {
    const disk = /\/disks\/([^/']+)/.exec(resource)?.[1];
    if (!disk) return undefined;
    return new GceError(
      'exists',
      `${context.action} failed: a disk named ${disk} already exists in ${context.project}/${context.zone ?? '?'}, and the boot disk takes the VM's name`,
      `It is probably left from an earlier VM: delete it with \`gcloud compute disks delete ${disk} --zone ${context.zone ?? 'ZONE'} --project ${context.project}\` ` +
        'if nothing on it is needed, or set `instance:` to another name in the config',
      options,
    );
  }
  const referenced = REFERENCED.find((entry) => entry.pattern.test(resource));
  const what = referenced?.what ?? 'something the VM refers to';
  return new GceError(
    'not-found',
    `${context.action} failed: ${what} does not exist (${apiMessage})`,
    referenced?.hint ?? "Check the worker's zone, image, network, subnet, machineType and serviceAccount in the config",
    options,
  );
}

function parseBody(message: string): ApiErrorBody | undefined {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  try {
    const parsed = JSON.parse(message.slice(start)) as { error?: ApiErrorBody };
    return parsed.error ?? undefined;
  } catch {
    return undefined;
  }
}

function isCredentialsFailure(message: string): boolean {
  return /default credentials|GOOGLE_APPLICATION_CREDENTIALS|could not refresh access token|invalid_grant|reauth/i.test(message);
}

function numeric(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Whatever was thrown, as text; an object whose toString is broken (or missing) must not throw again here. */
function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}
