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
}

/** The JSON error body of the Compute API: `{error: {code, message, errors: [{domain, reason, message}]}}`. */
interface ApiErrorBody {
  readonly code?: number;
  readonly message?: string;
  readonly errors?: readonly { readonly domain?: string; readonly reason?: string; readonly message?: string }[];
}

/** An operation's `error` field: `{errors: [{code, message}]}`. */
export interface OperationErrorBody {
  readonly errors?: readonly { readonly code?: string | null; readonly message?: string | null }[] | null;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Turns whatever the Compute client threw into a {@link GceError}. */
export function describeComputeError(error: unknown, context: CallContext): GceError {
  if (error instanceof GceError) return error;
  const cause = error as { code?: unknown; status?: unknown; message?: unknown; response?: { status?: unknown } } | null;
  const message = typeof cause?.message === 'string' ? cause.message : describeThrown(error);
  const status = numeric(cause?.response?.status) ?? numeric(cause?.status) ?? (typeof cause?.code === 'number' ? cause.code : undefined);
  const body = parseBody(message);
  if (status !== undefined && status >= 400) {
    const reason = body?.errors?.[0]?.reason;
    const apiMessage = body?.message ?? body?.errors?.[0]?.message ?? message;
    return fromApi(status, reason, apiMessage, context, error);
  }
  if (isCredentialsFailure(message)) {
    return new GceError('credentials', `${context.action} failed: no usable Google Cloud credentials (${firstLine(message)})`, CREDENTIALS_HINT, {
      cause: error,
    });
  }
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code && NETWORK_CODES.has(code)) {
    return new GceError('unreachable', `${context.action} failed: cannot reach the Compute API (${code})`, 'Check the network connection and any HTTPS proxy (HTTPS_PROXY), then try again', {
      cause: error,
    });
  }
  return new GceError('api', `${context.action} failed: ${firstLine(message)}`, '', { cause: error });
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

function fromApi(status: number, reason: string | undefined, apiMessage: string, context: CallContext, cause: unknown): GceError {
  const where = context.zone ? `${context.project}/${context.zone}` : context.project;
  const vm = context.instance ? `VM ${context.instance}` : 'the VM';
  const options = { cause, status, ...(reason ? { reason } : {}) };
  const normalized = (reason ?? '').toLowerCase().replace(/_/g, '');
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
