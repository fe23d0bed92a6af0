import type { AwsClients } from './aws';
import type { ApiClient } from './client';
import { FaultLedger, type LocalFaultEndpoint } from './faults';
import { isQuiet, judge } from './invariants';
import type { Scope } from './model';
import type { ScenarioRow } from './report';
import type { RunParams, Scenario, ScenarioContext, ScenarioResult } from './scenarios';
import { stockAndHeld, takeSnapshot } from './snapshot';
import type { SystemMap } from './system';
import type { TopicWatcher } from './topics';
import { pause } from './wait';

export interface RunSetup {
  clients: AwsClients;
  system: SystemMap;
  api: ApiClient;
  params: RunParams;
  runId: string;
  localFaults?: LocalFaultEndpoint;
  topics?: TopicWatcher;
  log: (line: string) => void;
  /** Called with every ledger while it may hold faults, so that Ctrl-C can remove them. */
  track: (ledger: FaultLedger) => () => void;
  /** Something to add to a row's notes once the scenario is quiet (e.g. what the relay gave up on). */
  observe?: () => string | undefined;
  /** True once the run is interrupted: no further scenario starts. */
  interrupted?: () => boolean;
}

/** How often a long drain reports what the system is still waiting for. */
const DRAIN_PROGRESS_MS = 15_000;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs the scenarios one after another, each as an experiment: its faults for a bounded time under
 * load, then every fault removed, then the wait for quiet (the drain), then the invariants over its
 * orders. A scenario that fails still has its faults removed, and the next one runs.
 */
export async function runScenarios(setup: RunSetup, scenarios: readonly Scenario[]): Promise<ScenarioRow[]> {
  const { clients, system, params, log } = setup;
  const start = await takeSnapshot(clients, system);
  const stockBaseline = stockAndHeld(start);
  const rows: ScenarioRow[] = [];
  for (const scenario of scenarios) {
    if (setup.interrupted?.()) break;
    log(`\n[${scenario.name}] ${scenario.description}`);
    const faults = new FaultLedger(log);
    const tuning = new FaultLedger(log);
    const untrack = [setup.track(faults), setup.track(tuning)];
    const context: ScenarioContext = {
      clients,
      system,
      api: setup.api,
      params,
      runId: setup.runId,
      faults,
      tuning,
      ...(setup.localFaults ? { localFaults: setup.localFaults } : {}),
      ...(setup.topics ? { topics: setup.topics } : {}),
      stock: async () => (await takeSnapshot(clients, system)).stock,
      log,
    };
    const row: ScenarioRow = {
      scenario: scenario.name,
      drainTimeoutSeconds: params.drainTimeoutSeconds,
      rejectedOrders: 0,
      notes: [],
    };
    rows.push(row);
    let outcome: ScenarioResult | undefined;
    try {
      outcome = await scenario.run(context);
    } catch (error) {
      row.error = message(error);
      log(`  error: ${row.error}`);
    } finally {
      await faults.clear().catch((error: unknown) => {
        row.error = row.error ?? message(error);
      });
    }
    const faultEnded = Date.now();
    try {
      if (outcome) {
        row.rejectedOrders = outcome.load.failed.length;
        row.notes.push(...outcome.notes);
        for (const failed of outcome.load.failed.slice(0, 3))
          row.notes.push(`an order was refused: ${failed.status} ${failed.error ?? ''}`.trim());
        const scope: Scope = {
          orderIds: new Set(outcome.load.accepted),
          poison: outcome.poison,
          stockBaseline,
        };
        const drainDeadline = faultEnded + params.drainTimeoutSeconds * 1000;
        let waitingFor: string[] = [];
        let reported = faultEnded;
        for (;;) {
          const probe = isQuiet(await takeSnapshot(clients, system), scope);
          waitingFor = probe.waitingFor;
          if (probe.quiet) {
            row.drainSeconds = (Date.now() - faultEnded) / 1000;
            break;
          }
          if (Date.now() >= drainDeadline) break;
          if (Date.now() - reported >= DRAIN_PROGRESS_MS) {
            reported = Date.now();
            log(
              `  draining for ${Math.round((reported - faultEnded) / 1000)} s, waiting for ${waitingFor.join(', ')}`,
            );
          }
          await pause(1_000);
        }
        log(
          row.drainSeconds === undefined
            ? `  not quiet after ${params.drainTimeoutSeconds} s, waiting for ${waitingFor.join(', ')}`
            : `  quiet ${row.drainSeconds.toFixed(1)} s after the fault ended`,
        );
        await tuning.clear();
        await setup.topics?.caughtUp();
        row.verdict = judge(await takeSnapshot(clients, system, setup.topics), scope);
        const observed = setup.observe?.();
        if (observed) row.notes.push(observed);
      }
    } catch (error) {
      row.error = row.error ?? message(error);
      log(`  error: ${row.error}`);
    } finally {
      await tuning.clear().catch((error: unknown) => {
        row.error = row.error ?? message(error);
      });
      for (const stop of untrack) stop();
    }
  }
  return rows;
}
