import { describe, expect, it } from 'vitest';
import type { Verdict } from '#chaos/invariants';
import { failed, type ScenarioRow, table } from '#chaos/report';

const verdict = (overrides: Partial<Verdict> = {}): Verdict => ({
  orders: 8,
  terminal: 8,
  lostEvents: 0,
  doubleReservations: 0,
  doubleReleases: 0,
  stockDrift: 0,
  oversold: 0,
  unreleasedReservations: 0,
  doubleCharges: 0,
  chargesOnCancelled: 0,
  duplicateNotifications: 0,
  openDeadLetters: 0,
  expectedDeadLetters: 0,
  findings: [],
  ...overrides,
});

const row = (overrides: Partial<ScenarioRow> = {}): ScenarioRow => ({
  scenario: 'baseline',
  verdict: verdict(),
  drainSeconds: 3.25,
  drainTimeoutSeconds: 180,
  rejectedOrders: 0,
  notes: [],
  ...overrides,
});

describe('Function: failed', () => {
  it('passes a quiet scenario without violations and a skipped one', () => {
    // Prepare
    const rows = [row(), row({ skipped: 'local only', verdict: undefined })];

    // Act
    const results = rows.map(failed);

    // Assess
    expect(results).toEqual([false, false]);
  });

  it('fails a violation, an order left open, a refused order, a drain past its limit and an error', () => {
    // Prepare
    const rows = [
      row({ verdict: verdict({ doubleCharges: 1 }) }),
      row({ verdict: verdict({ terminal: 7 }) }),
      row({ rejectedOrders: 1 }),
      row({ drainSeconds: undefined }),
      row({ error: 'could not inject', verdict: undefined }),
    ];

    // Act
    const results = rows.map(failed);

    // Assess
    expect(results).toEqual([true, true, true, true, true]);
  });
});

describe('Function: table', () => {
  it('prints one aligned Markdown row per scenario with the poison dead letters apart', () => {
    // Prepare
    const rows = [
      row(),
      row({ scenario: 'poison', verdict: verdict({ expectedDeadLetters: 18 }) }),
      row({ scenario: 'crashes', drainSeconds: undefined, verdict: verdict({ terminal: 7 }) }),
      row({ scenario: 'replay', verdict: verdict({ oversold: 2, unreleasedReservations: 1 }) }),
    ];

    // Act
    const lines = table(rows).split('\n');

    // Assess
    expect(lines).toHaveLength(6);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
    expect(lines[0]).toMatch(/^\| scenario +\| orders \| terminal \| lost events \|/);
    expect(lines[2]).toMatch(/\| 3\.3 s +\| ok +\|$/);
    expect(lines[3]).toContain('0 (+18 poison)');
    expect(lines[4]).toMatch(/\| > 180 s +\| VIOLATED \|$/);
    expect(lines[5]).toMatch(/\| 0 \/ 2 \/ 1 +\|.*\| VIOLATED \|$/);
  });
});
