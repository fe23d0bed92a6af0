import { describe, expect, it } from 'vitest';
import { type CpuSample, cpuPerOrder, formatCpu, processCpuSeconds } from '#bench/cpu';

describe('Function: processCpuSeconds', () => {
  it('reads the CPU time this process has used from /proc', () => {
    // Prepare: burn a little CPU so the count is above zero.
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += Math.sqrt(i);

    // Act
    const seconds = processCpuSeconds(process.pid);

    // Assess
    expect(x).toBeGreaterThan(0);
    expect(seconds).toBeGreaterThan(0);
    const own = process.cpuUsage();
    // /proc counts in 10 ms ticks; the process's own count may have moved on since.
    expect(seconds).toBeLessThanOrEqual((own.user + own.system) / 1e6 + 0.05);
  });

  it('answers undefined for a process that does not exist', () => {
    expect(processCpuSeconds(2 ** 22 + 1)).toBeUndefined();
  });
});

describe('Function: cpuPerOrder', () => {
  const before: CpuSample = { runtime: 10, dynamodbLocal: 20, kafkaMock: 1, functions: { A: 5, B: 2 } };
  const after: CpuSample = {
    runtime: 30,
    dynamodbLocal: 60,
    kafkaMock: 3,
    functions: { A: 45, B: 2, C: 16 },
  };

  it('divides what each component used between the samples by the orders', () => {
    // Act
    const cpu = cpuPerOrder(before, after, 100, 50_000);

    // Assess
    expect(cpu.runtime).toBeCloseTo(0.2);
    expect(cpu.dynamodbLocal).toBeCloseTo(0.4);
    expect(cpu.kafkaMock).toBeCloseTo(0.02);
    // B used nothing in between; C started during the run and counts from zero.
    expect(cpu.byFunction).toEqual({ A: 0.4, C: 0.16 });
    expect(cpu.functions).toBeCloseTo(0.56);
    expect(cpu.total).toBeCloseTo(1.18);
    expect(cpu.cpuBoundOrdersPerSecond).toBeCloseTo(cpu.cores / 1.18);
    // 118 CPU seconds in 50 s on `cores` cores.
    expect(cpu.utilisation).toBeCloseTo(118 / (50 * cpu.cores));
  });

  it('prints the total, the bound and each component with its share', () => {
    // Act
    const lines = formatCpu(cpuPerOrder(before, after, 100, 50_000));

    // Assess
    expect(lines[0]).toMatch(/^CPU per order +1180 ms of CPU on \d+ cores/);
    expect(lines.find((line) => line.includes('DynamoDB Local'))).toMatch(/400 ms \(34 %\)$/);
    expect(lines.find((line) => line.trim().startsWith('A'))).toMatch(/400 ms$/);
  });
});
