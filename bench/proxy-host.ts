/**
 * Latency proxies in a process of their own, so that a bench's measuring process carries none of their work:
 * `proxy-host.ts RTT HOST:PORT…` starts one proxy of RTT ms round trip per target, prints their ports as one JSON
 * line, and stops them all when its standard input ends.
 */
import { startLatencyProxy, type LatencyProxy } from '../test/harness/latency-proxy.js';

const [rtt = '0', ...targets] = process.argv.slice(2);
const proxies: LatencyProxy[] = [];
const stop = async () => {
  for (const p of proxies) await p.stop();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
for (const target of targets) {
  const at = target.lastIndexOf(':');
  proxies.push(await startLatencyProxy({ targetHost: target.slice(0, at), targetPort: Number(target.slice(at + 1)), oneWayDelayMs: Number(rtt) / 2 }));
}
process.stdout.write(`${JSON.stringify(proxies.map((p) => p.port))}\n`);
