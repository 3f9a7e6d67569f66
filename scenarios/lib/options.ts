// Options every scenario shares: the trend statistics the reports print, and setup/teardown time for the
// bounded waits some invariants need.
import type { Options, Scenario, Threshold } from "k6/options";
import { TREND_STATS } from "./summary";

export function scenarioOptions(
  scenarios: Record<string, Scenario>,
  thresholds: Record<string, Threshold[]>,
  extra: Partial<Options> = {},
): Options {
  return { scenarios, thresholds, summaryTrendStats: TREND_STATS, ...extra };
}
