/**
 * `npm run bench:freshness`: how fast a change on a worker reaches the user, and what the fleet costs to watch.
 * The latency half (push and polling side by side, 20 SSH workers at 0 and 50 ms RTT, worker- and client-side CPU)
 * then the scale half (200 workers: cold start, idle CPU, memory, frame time, keypress → frame, first frame).
 * Each half also runs alone: `bench:freshness:latency`, `bench:freshness:scale`.
 */
import { runLatency } from './freshness/latency.js';
import { runScale } from './freshness/scale.js';

await runLatency();
console.log('');
await runScale();
process.exit(0);
