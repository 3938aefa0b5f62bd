/**
 * The transport under the Compute API calls: JSON over HTTPS to `compute.googleapis.com/compute/v1`, authenticated
 * by google-auth-library's client (Application Default Credentials), whose `request()` is the one path every call
 * takes. Loading google-auth-library is cheap next to a generated client library, and it is still imported on the
 * first call, so a dashboard without GCE workers never loads it.
 */

/** The request options this module passes to google-auth-library's `request()` (a subset of gaxios' options). */
export interface RequestOptions {
  readonly url: string;
  readonly method: string;
  readonly params?: Record<string, string>;
  readonly data?: unknown;
  readonly timeout?: number;
  readonly signal?: AbortSignal;
  readonly responseType: 'json';
  readonly retry: boolean;
}

/** What sends a request with credentials: google-auth-library's `AuthClient` (or its `PassThroughClient`). */
export interface RequestingClient {
  request<T>(options: RequestOptions): Promise<{ readonly data: T }>;
}

/** The account behind the credentials, for the OS Login user name. */
export interface CredentialsAccount {
  readonly email: string;
  /** The numeric unique id (a service account's `sa_<id>` OS Login name); undefined when unknown. */
  readonly uniqueId?: string;
}

/** Where requests go and how they are authenticated; empty for the real API with ADC. */
export interface ComputeClientOptions {
  /** Host name of the API (default compute.googleapis.com). */
  readonly apiEndpoint?: string;
  readonly port?: number;
  readonly protocol?: 'http' | 'https';
  /**
   * An auth client (google-auth-library's `PassThroughClient` for a local emulator). Without one, Application
   * Default Credentials are used, as by every Google tool.
   */
  readonly authClient?: RequestingClient;
  /** The account of the credentials when known beforehand (an emulator has none to ask). */
  readonly account?: CredentialsAccount;
}

/**
 * The environment variable that points mission-control at a Compute API emulator (`http://127.0.0.1:PORT`):
 * requests then go there without credentials. For tests and local development only.
 */
export const COMPUTE_EMULATOR_ENV = 'MISSION_CONTROL_COMPUTE_EMULATOR';

/** With the emulator: the account (`email` or `email,uniqueId`) to act as, for OS Login names. */
export const COMPUTE_EMULATOR_ACCOUNT_ENV = 'MISSION_CONTROL_COMPUTE_ACCOUNT';

/** Client options from the environment: an emulator when {@link COMPUTE_EMULATOR_ENV} is set, else the real API. */
export async function computeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<ComputeClientOptions> {
  const emulator = env[COMPUTE_EMULATOR_ENV];
  if (!emulator) return {};
  const url = new URL(emulator);
  const { PassThroughClient } = await import('google-auth-library');
  const [email, uniqueId] = (env[COMPUTE_EMULATOR_ACCOUNT_ENV] ?? '').split(',');
  return {
    apiEndpoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    authClient: new PassThroughClient(),
    ...(email ? { account: { email, ...(uniqueId ? { uniqueId } : {}) } } : {}),
  };
}

/** One request: a path under `compute/v1/` (or an absolute URL), query parameters, a JSON body. */
export interface RestRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly params?: Readonly<Record<string, string | boolean | undefined>>;
  readonly data?: unknown;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/** How long one request may take unless it says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The warning type google-auth-library's metadata-server probe (gcp-metadata) emits off Google Cloud, where the
 * probe is expected to fail: the credential error that follows already says what to do.
 */
export const METADATA_LOOKUP_WARNING = 'MetadataLookupWarning';

let warningsFiltered = false;

/**
 * Keeps {@link METADATA_LOOKUP_WARNING} off the user's terminal. Node prints every `process.emitWarning` to stderr
 * (a 'warning' listener cannot stop that), so this one type is dropped where it is emitted; every other warning
 * goes through unchanged.
 */
export function dropMetadataLookupWarnings(): void {
  if (warningsFiltered) return;
  warningsFiltered = true;
  const emitWarning = process.emitWarning;
  const typeOf = (warning: unknown, option: unknown): unknown =>
    typeof option === 'string' ? option : ((option as { type?: unknown } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined));
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    if (typeOf(warning, rest[0]) === METADATA_LOOKUP_WARNING) return;
    (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

/** A connected transport: the base URL, the requesting client, and the account behind it. */
export class ComputeRest {
  readonly #base: string;

  private constructor(
    readonly client: RequestingClient,
    options: ComputeClientOptions,
    readonly account: () => Promise<CredentialsAccount | undefined>,
  ) {
    const protocol = options.protocol ?? 'https';
    const host = options.apiEndpoint ?? 'compute.googleapis.com';
    const port = options.port !== undefined && options.port !== (protocol === 'https' ? 443 : 80) ? `:${options.port}` : '';
    this.#base = `${protocol}://${host}${port}/compute/v1/`;
  }

  /**
   * Sets up the transport: the given auth client, or Application Default Credentials (found, not yet used: a missing
   * key file or login fails here, with google-auth-library's message).
   */
  static async connect(options: ComputeClientOptions): Promise<ComputeRest> {
    if (options.authClient) {
      return new ComputeRest(options.authClient, options, () => Promise.resolve(options.account));
    }
    dropMetadataLookupWarnings();
    const { GoogleAuth, OAuth2Client } = await import('google-auth-library');
    const auth = new GoogleAuth({ scopes: SCOPES });
    const client = await auth.getClient();
    let account: Promise<CredentialsAccount | undefined> | undefined;
    const resolveAccount = async (): Promise<CredentialsAccount | undefined> => {
      if (options.account) return options.account;
      // A service account key names its account and its unique id (the key's OAuth client id is that id).
      const json = auth.jsonContent as { client_email?: string; client_id?: string } | null;
      if (json?.client_email) return { email: json.client_email, ...(json.client_id ? { uniqueId: json.client_id } : {}) };
      // User credentials (gcloud's ADC login asks for the email scope) and the metadata server: ask who the token is.
      const { token } = await client.getAccessToken();
      if (!token) return undefined;
      const info = await new OAuth2Client().getTokenInfo(token);
      return info.email ? { email: info.email, ...(info.sub ? { uniqueId: info.sub } : {}) } : undefined;
    };
    return new ComputeRest(client as unknown as RequestingClient, options, () => (account ??= resolveAccount().catch(() => undefined)));
  }

  /** Sends one request and resolves to the parsed JSON body; rejects with the client's error (a GaxiosError). */
  async send<T>(request: RestRequest): Promise<T> {
    const params = Object.fromEntries(Object.entries(request.params ?? {}).filter(([, value]) => value !== undefined).map(([k, v]) => [k, String(v)]));
    const response = await this.client.request<T>({
      url: /^https?:\/\//.test(request.path) ? request.path : this.#base + request.path,
      method: request.method,
      ...(Object.keys(params).length > 0 ? { params } : {}),
      ...(request.data !== undefined ? { data: request.data } : {}),
      // gaxios waits forever by default; no Compute call but `wait` takes long.
      timeout: request.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(request.signal ? { signal: request.signal } : {}),
      responseType: 'json',
      // Retrying is the caller's decision: only calls that carry a requestId may be repeated safely.
      retry: false,
    });
    return response.data;
  }
}

/** `projects/P/zones/Z/instances/NAME` with every part escaped (the collection names are left as they are by it). */
export function resourcePath(...parts: readonly string[]): string {
  return parts.map((part) => encodeURIComponent(part)).join('/');
}
