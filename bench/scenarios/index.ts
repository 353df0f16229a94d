// The scenario registry: name -> scenario, in the order `all` runs them.

import type { Scenario } from '../runner.ts';
import { limitsScenario } from './limits.ts';
import { produceScenario } from './produce.ts';
import { consumeScenario } from './consume.ts';
import { catchUpScenario } from './catch-up.ts';
import { latencyScenario } from './latency.ts';
import { responsivenessScenario } from './responsiveness.ts';
import { defaultsScenario } from './defaults.ts';

export const SCENARIOS: ReadonlyMap<string, Scenario> = new Map(
  [limitsScenario, produceScenario, consumeScenario, catchUpScenario, latencyScenario, responsivenessScenario, defaultsScenario].map((s) => [s.name, s]),
);
