/**
 * Compute API error bodies, shaped exactly as the real API sends them:
 * `{error: {code, message, errors: [{message, domain, reason}], details?}}`.
 */

/** An HTTP error the fake answers with. */
export interface ApiError {
  readonly status: number;
  readonly body: {
    readonly error: { readonly code: number; readonly message: string; readonly errors: readonly object[]; readonly status?: string; readonly details?: readonly object[] };
  };
}

/** An error an operation can finish with (`operation.error`). */
export interface OperationError {
  readonly httpStatus: number;
  readonly httpMessage: string;
  readonly errors: readonly { readonly code: string; readonly message: string }[];
}

function apiError(status: number, reason: string, domain: string, message: string, details?: readonly object[]): ApiError {
  return { status, body: { error: { code: status, message, errors: [{ message, domain, reason }], ...(details ? { details } : {}) } } };
}

/** `The resource '…' was not found` (GET/POST/DELETE on a missing instance or operation). */
export function notFound(resource: string): ApiError {
  return apiError(404, 'notFound', 'global', `The resource '${resource}' was not found`);
}

/** A lifecycle call the instance's status does not allow (`You cannot suspend an instance that is stopped or terminated.`). */
export function unsupportedOperation(message: string): ApiError {
  return apiError(400, 'unsupportedOperation', 'global', message);
}

/** `The resource '…' already exists` (insert of a name in use). */
export function alreadyExists(resource: string): ApiError {
  return apiError(409, 'alreadyExists', 'global', `The resource '${resource}' already exists`);
}

/** A regional quota exceeded at request time, with the ErrorInfo detail the API adds. */
export function quotaExceeded(metric = 'CPUS', limit = 8, region = 'us-central1'): ApiError {
  const message = `Quota '${metric}' exceeded.  Limit: ${limit.toFixed(1)} in region ${region}.`;
  return apiError(403, 'quotaExceeded', 'usageLimits', message, [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'QUOTA_EXCEEDED',
      domain: 'compute.googleapis.com',
      metadatas: { quota_limit: `${metric}-per-project-region`, limit: limit.toFixed(1), region },
    },
  ]);
}

/**
 * The Compute Engine API not enabled in the project (the body Google's APIs send: reason accessNotConfigured,
 * gRPC status PERMISSION_DENIED, and an ErrorInfo detail with reason SERVICE_DISABLED).
 */
export function serviceDisabled(project: string, projectNumber = '123456789012'): ApiError {
  const message =
    `Compute Engine API has not been used in project ${projectNumber} before or it is disabled. Enable it by visiting ` +
    `https://console.developers.google.com/apis/api/compute.googleapis.com/overview?project=${projectNumber} then retry. ` +
    'If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.';
  return {
    status: 403,
    body: {
      error: {
        code: 403,
        message,
        errors: [{ message, domain: 'usageLimits', reason: 'accessNotConfigured', extendedHelp: 'https://console.developers.google.com' }],
        status: 'PERMISSION_DENIED',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SERVICE_DISABLED',
            domain: 'googleapis.com',
            metadata: { service: 'compute.googleapis.com', consumer: `projects/${project}` },
          },
          {
            '@type': 'type.googleapis.com/google.rpc.Help',
            links: [{ description: 'Google developers console API activation', url: `https://console.developers.google.com/apis/api/compute.googleapis.com/overview?project=${projectNumber}` }],
          },
        ],
      },
    },
  };
}

/** Too many queries of one kind (the guest attributes limit: 10 a minute per VM). */
export function rateLimited(what: string): ApiError {
  return { ...apiError(429, 'rateLimitExceeded', 'usageLimits', `Rate limit exceeded for ${what}.`), status: 429 };
}

/** A missing IAM permission. */
export function forbidden(permission: string, resource: string): ApiError {
  return apiError(403, 'forbidden', 'global', `Required '${permission}' permission for '${resource}'`);
}

/** An operation that failed on quota (how `insert` usually reports it: the call succeeds, the operation fails). */
export function quotaOperationError(metric = 'CPUS', limit = 8, region = 'us-central1'): OperationError {
  return {
    httpStatus: 403,
    httpMessage: 'FORBIDDEN',
    errors: [{ code: 'QUOTA_EXCEEDED', message: `Quota '${metric}' exceeded.  Limit: ${limit.toFixed(1)} in region ${region}.` }],
  };
}

/** A zone out of capacity for the machine type. */
export function stockoutOperationError(zone: string, machineType: string): OperationError {
  return {
    httpStatus: 503,
    httpMessage: 'SERVICE UNAVAILABLE',
    errors: [
      {
        code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
        message: `The zone 'projects/p/zones/${zone}' does not have enough resources available to fulfill the request. Try a different zone, or try again later. (${machineType})`,
      },
    ],
  };
}
