import type { Verdict } from './invariants';
import { violationsOf } from './invariants';

/** One row of the chaos table: a scenario and what became of the steady state. */
export interface ScenarioRow {
  scenario: string;
  verdict?: Verdict;
  /** Seconds from the end of the fault until the system was quiet; undefined when it never was. */
  drainSeconds?: number;
  drainTimeoutSeconds: number;
  /** Orders the API never accepted (after the client's retries). */
  rejectedOrders: number;
  notes: string[];
  /** The scenario could not run to the end (a fault could not be injected, the system is missing something). */
  error?: string;
  /** Why the scenario did not run on this target. */
  skipped?: string;
}

/** Whether a row breaks the steady state (an error, an order the API refused, or any invariant). */
export function failed(row: ScenarioRow): boolean {
  if (row.skipped) return false;
  if (row.error || !row.verdict || row.drainSeconds === undefined || row.rejectedOrders > 0) return true;
  return violationsOf(row.verdict) > 0;
}

const HEADER = [
  'scenario',
  'orders',
  'terminal',
  'lost events',
  'double reservations / releases',
  'stock drift / oversold / unreleased',
  'double charges',
  'charges on cancelled orders',
  'duplicate notifications',
  'open dead letters',
  'time to drain',
  'result',
];

function cells(row: ScenarioRow): string[] {
  if (row.skipped) return [row.scenario, ...HEADER.slice(1, -1).map(() => '–'), `skipped: ${row.skipped}`];
  const v = row.verdict;
  const drain =
    row.drainSeconds === undefined ? `> ${row.drainTimeoutSeconds} s` : `${row.drainSeconds.toFixed(1)} s`;
  if (!v) return [row.scenario, ...HEADER.slice(1, -2).map(() => '–'), drain, `error: ${row.error ?? '?'}`];
  return [
    row.scenario,
    `${v.orders}${row.rejectedOrders ? ` (+${row.rejectedOrders} refused)` : ''}`,
    String(v.terminal),
    String(v.lostEvents),
    `${v.doubleReservations} / ${v.doubleReleases}`,
    `${v.stockDrift} / ${v.oversold} / ${v.unreleasedReservations}`,
    String(v.doubleCharges),
    String(v.chargesOnCancelled),
    String(v.duplicateNotifications),
    `${v.openDeadLetters}${v.expectedDeadLetters ? ` (+${v.expectedDeadLetters} poison)` : ''}`,
    drain,
    row.error ? `error: ${row.error}` : failed(row) ? 'VIOLATED' : 'ok',
  ];
}

/** The chaos table as Markdown (aligned, so it also reads well on a terminal). */
export function table(rows: readonly ScenarioRow[]): string {
  const body = rows.map(cells);
  const widths = HEADER.map((title, column) =>
    Math.max(title.length, ...body.map((line) => (line[column] ?? '').length)),
  );
  const line = (values: string[]) =>
    `| ${values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(HEADER), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

/** The findings of the rows that failed, and their notes. */
export function details(rows: readonly ScenarioRow[], limit = 10): string {
  const lines: string[] = [];
  for (const row of rows) {
    if (row.notes.length > 0) lines.push(`${row.scenario}: ${row.notes.join('; ')}`);
    const findings = row.verdict?.findings ?? [];
    for (const finding of findings.slice(0, limit)) lines.push(`  ${row.scenario}: ${finding}`);
    if (findings.length > limit) lines.push(`  ${row.scenario}: ... and ${findings.length - limit} more`);
  }
  return lines.join('\n');
}
