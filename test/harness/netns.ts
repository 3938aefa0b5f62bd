import { run } from './process.js';

/**
 * A network namespace of the test's own, joined to this machine by a veth pair on a /30: this side is
 * `10.231.N.1`, the namespace side `10.231.N.2`. Traffic only ever goes to addresses made here.
 *
 * Run a server inside with {@link NetNamespace.launcher} (`nsenter --net=…` execs the program in place, so its pid is
 * the server's; `ip netns exec` would remount /sys). {@link NetNamespace.cut} drops every packet in both directions
 * inside the namespace (iptables DROP: no reset, no ICMP), as a pulled cable or a dead route does; `restore` removes
 * exactly those rules.
 */
export interface NetNamespace {
  /** `mc-fault-N`. */
  readonly name: string;
  /** The namespace side's address. */
  readonly address: string;
  /** The command prefix that runs a program inside the namespace. */
  readonly launcher: readonly string[];
  /** Drops all packets to and from the namespace (silently). */
  cut(): Promise<void>;
  /** Lets packets through again. */
  restore(): Promise<void>;
  /** Deletes the namespace and the veth pair (by name). */
  remove(): Promise<void>;
}

const DROP_RULES = [
  ['INPUT', '-j', 'DROP'],
  ['OUTPUT', '-j', 'DROP'],
] as const;

/** Creates namespace `mc-fault-<index>` (0–255) with a veth link to it. Requires root, `ip` and `iptables`. */
export async function createNetNamespace(index: number): Promise<NetNamespace> {
  if (!Number.isInteger(index) || index < 0 || index > 255) throw new Error(`namespace index ${index} is not 0-255`);
  const name = `mc-fault-${index}`;
  const outside = `mcf${index}h`;
  const inside = `mcf${index}n`;
  const address = `10.231.${index}.2`;
  const nsPath = `/var/run/netns/${name}`;
  const inNs = (args: readonly string[]) => run('nsenter', [`--net=${nsPath}`, ...args]);
  // A namespace left by an earlier run that died: remove it first (by our name only).
  await run('ip', ['netns', 'del', name], { allowFailure: true });
  await run('ip', ['link', 'del', outside], { allowFailure: true });
  await run('ip', ['netns', 'add', name]);
  try {
    await run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
    await run('ip', ['link', 'set', inside, 'netns', name]);
    await run('ip', ['addr', 'add', `10.231.${index}.1/30`, 'dev', outside]);
    await run('ip', ['link', 'set', outside, 'up']);
    await inNs(['ip', 'addr', 'add', `${address}/30`, 'dev', inside]);
    await inNs(['ip', 'link', 'set', inside, 'up']);
    await inNs(['ip', 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await run('ip', ['netns', 'del', name], { allowFailure: true });
    await run('ip', ['link', 'del', outside], { allowFailure: true });
    throw error;
  }
  let cut = false;
  return {
    name,
    address,
    launcher: ['nsenter', `--net=${nsPath}`],
    async cut() {
      if (cut) return;
      for (const rule of DROP_RULES) await inNs(['iptables', '-w', '-I', ...rule]);
      cut = true;
    },
    async restore() {
      if (!cut) return;
      for (const rule of DROP_RULES) await inNs(['iptables', '-w', '-D', ...rule]);
      cut = false;
    },
    async remove() {
      await run('ip', ['netns', 'del', name], { allowFailure: true });
      await run('ip', ['link', 'del', outside], { allowFailure: true });
    },
  };
}
