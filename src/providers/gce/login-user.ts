/**
 * Who logs in to a GCE worker: the configured user, else the OS Login name when OS Login governs the VM (then the
 * `ssh-keys` metadata is ignored), else the local user name (as gcloud does); and what to say when logins are refused.
 */
import type { GceWorkerFields } from '../../config/gce-schema.js';
import { SshError } from '../../ssh/errors.js';
import type { OsLoginState as DetectedOsLogin } from './os-login.js';

/** What logging in needs to know of OS Login (see os-login.ts): whether it governs the VM, and as whom. */
export type OsLoginState = Pick<DetectedOsLogin, 'enabled' | 'user'>;

/** OS Login off: what a worker is taken to have when nothing says otherwise. */
export const OS_LOGIN_OFF: OsLoginState = { enabled: false };

/** The user SSH logs in as: `ssh.user` if configured, else the OS Login name, else `localName`. */
export function loginUser(worker: Pick<GceWorkerFields, 'ssh'>, osLogin: OsLoginState, localName: string): string {
  return configuredUser(worker) ?? (osLogin.enabled && osLogin.user ? osLogin.user : localName);
}

function configuredUser(worker: Pick<GceWorkerFields, 'ssh'>): string | undefined {
  return 'alias' in worker.ssh ? undefined : worker.ssh.user;
}

/** How long a failed question about OS Login stands before it is asked again (the poll loop asks every few seconds). */
export const OS_LOGIN_RETRY_MS = 30_000;

/**
 * Who logs in to one worker's VM. Whether OS Login is on is asked once; a question that failed is asked again once
 * {@link OS_LOGIN_RETRY_MS} have passed (until then it fails with the same error).
 */
export class LoginIdentity<W extends Pick<GceWorkerFields, 'ssh'>> {
  #asking: Promise<OsLoginState> | undefined;
  #known: OsLoginState | undefined;
  #failed: { readonly at: number; readonly error: unknown } | undefined;

  constructor(
    private readonly worker: W,
    private readonly detect: ((worker: W) => Promise<OsLoginState>) | undefined,
    private readonly localName: string,
    private readonly retryMs = OS_LOGIN_RETRY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The OS Login state once it has been read. */
  get known(): OsLoginState | undefined {
    return this.#known;
  }

  /** Whether OS Login governs the VM. */
  state(): Promise<OsLoginState> {
    if (!this.detect) return Promise.resolve((this.#known = OS_LOGIN_OFF));
    const failed = this.#failed;
    if (!this.#asking && failed && this.now() - failed.at < this.retryMs) return Promise.reject(failed.error);
    this.#asking ??= this.detect(this.worker).then(
      (state) => {
        this.#failed = undefined;
        return (this.#known = state);
      },
      (error: unknown) => {
        this.#asking = undefined;
        this.#failed = { at: this.now(), error };
        throw error;
      },
    );
    return this.#asking;
  }

  /** The user SSH logs in as and jobs run as (see {@link loginUser}); a configured user needs no answer about OS Login. */
  async user(): Promise<string> {
    return configuredUser(this.worker) ?? loginUser(this.worker, await this.state(), this.localName);
  }
}

/** The error that ends the ssh stage once the VM kept refusing the login of `user`: the reason and what to check. */
export function refusedLoginError(
  error: SshError,
  attempts: number,
  worker: Pick<GceWorkerFields, 'instance' | 'zone' | 'project'>,
  user: string,
  osLogin: OsLoginState,
): SshError {
  return new SshError('auth', error.target, `${worker.instance} refused the login of ${user} ${attempts} times (${error.detail})`, {
    hint: refusedLoginHint(worker, user, osLogin),
    cause: error,
  });
}

/** What to check when the VM keeps refusing the login of `user` (the guest agent had its time to install keys). */
function refusedLoginHint(worker: Pick<GceWorkerFields, 'instance' | 'zone' | 'project'>, user: string, osLogin: OsLoginState): string {
  if (osLogin.enabled) {
    return (
      `OS Login is on for ${worker.instance}, so keys in metadata are ignored and the login name is ${user}: add your key to your ` +
      'OS Login profile (`gcloud compute os-login ssh-keys add --key-file=KEY.pub`) and make sure your account has ' +
      '`roles/compute.osAdminLogin` (or `roles/compute.osLogin`) on the project'
    );
  }
  return (
    `Check that your public key is in the VM's ssh-keys metadata for ${user} ` +
    `(\`gcloud compute instances describe ${worker.instance} --zone=${worker.zone} --project=${worker.project} --format="value(metadata.items.ssh-keys)"\`), ` +
    'and whether OS Login is enforced (`enable-oslogin` in project metadata, or an organization policy): then keys in metadata do nothing'
  );
}
