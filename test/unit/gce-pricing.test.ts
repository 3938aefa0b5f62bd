import { describe, expect, it } from 'vitest';
import {
  costPerHourIn,
  estimateHourlyCost,
  fleetCostPerHour,
  formatHourly,
  machineHourlyPrice,
  machineShape,
} from '../../src/providers/gce/pricing.js';

describe('GCE cost estimates', () => {
  it.each([
    ['e2-standard-4', 0.134012],
    ['e2-standard-2', 0.067006],
    ['e2-highmem-8', 0.36156],
    ['e2-medium', 0.03351],
    ['n2-standard-4', 0.194236],
    ['n2d-standard-4', 0.168984],
    ['n1-standard-1', 0.0475],
    ['c3-standard-4', 0.201608],
    ['e2-custom-4-16384', 0.134012],
  ])('%s costs $%s per hour on demand', (type, price) => {
    expect(machineHourlyPrice(type)).toBeCloseTo(price, 5);
  });

  it('parses machine shapes and knows what it does not know', () => {
    expect(machineShape('n2-highcpu-16')).toEqual({ family: 'n2', class: 'highcpu', vcpus: 16 });
    expect(machineShape('custom-2-8192')).toEqual({ family: 'n1', class: 'standard', vcpus: 2, memoryGb: 8 });
    expect(machineHourlyPrice('a3-highgpu-8g')).toBeUndefined();
    expect(machineHourlyPrice('zz-standard-4')).toBeUndefined();
  });

  it('adds the disk (billed even when stopped) and an external IP', () => {
    const estimate = estimateHourlyCost({ machineType: 'e2-standard-4', bootDisk: { sizeGb: 200, type: 'pd-balanced' }, externalIp: true });
    expect(estimate).toEqual({
      currency: 'USD',
      machinePerHour: 0.134012,
      diskPerHour: 0.027397, // 200 GB × $0.10 / 730 h
      externalIpPerHour: 0.005,
      runningPerHour: 0.166409,
      stoppedPerHour: 0.027397,
      source: 'table',
    });
    expect(costPerHourIn(estimate, 'running')).toBe(0.166409);
    expect(costPerHourIn(estimate, 'stopped')).toBe(0.027397);
    expect(costPerHourIn(estimate, 'missing')).toBe(0);
    expect(costPerHourIn(estimate, 'unknown')).toBeUndefined();
  });

  it('takes the config\'s prices over the table, and says when it cannot price a machine', () => {
    const overridden = estimateHourlyCost({
      machineType: 'e2-standard-4',
      bootDisk: { sizeGb: 100, type: 'pd-ssd' },
      externalIp: false,
      pricing: { machinePerHour: 0.1, diskPerGbMonth: 0.073 },
    });
    expect(overridden).toMatchObject({ machinePerHour: 0.1, diskPerHour: 0.01, runningPerHour: 0.11, source: 'config' });
    const unknown = estimateHourlyCost({ machineType: 'a3-highgpu-8g', bootDisk: { sizeGb: 200, type: 'pd-balanced' }, externalIp: false });
    expect(unknown).toMatchObject({ machinePerHour: undefined, runningPerHour: undefined, source: 'unknown' });
    expect(unknown.note).toBe('no price known for machine type a3-highgpu-8g; set pricing.machinePerHour for this worker');
  });

  it('says a Spot VM is priced at the on-demand rate unless the config gives its price; a suspending VM costs as running', () => {
    const base = { machineType: 'e2-standard-4', bootDisk: { sizeGb: 200, type: 'pd-balanced' as const }, externalIp: false };
    const spot = estimateHourlyCost({ ...base, spot: true });
    expect(spot).toMatchObject({ runningPerHour: estimateHourlyCost(base).runningPerHour, source: 'table' });
    expect(spot.note).toBe('a Spot VM, priced here at the on-demand rate (an upper bound: Spot prices vary); set pricing.machinePerHour for this worker');
    expect(estimateHourlyCost({ ...base, spot: true, pricing: { machinePerHour: 0.03 } }).note).toBeUndefined();
    expect(costPerHourIn(spot, 'suspending')).toBe(spot.runningPerHour);
    expect(costPerHourIn(spot, 'suspended')).toBe(spot.stoppedPerHour);
  });

  it('sums the fleet by state and formats for the header', () => {
    const e2 = estimateHourlyCost({ machineType: 'e2-standard-4', bootDisk: { sizeGb: 200, type: 'pd-balanced' }, externalIp: false });
    const gpu = estimateHourlyCost({ machineType: 'a3-highgpu-8g', bootDisk: { sizeGb: 200, type: 'pd-balanced' }, externalIp: false });
    expect(
      fleetCostPerHour([
        { estimate: e2, state: 'running' },
        { estimate: e2, state: 'stopped' },
        { estimate: gpu, state: 'running' },
      ]),
    ).toEqual({ perHour: 0.188806, unpriced: 1 });
    expect(formatHourly(0.188806)).toBe('$0.19/h');
    expect(formatHourly(0.027397)).toBe('$0.027/h');
    expect(formatHourly(undefined)).toBe('-');
  });
});
