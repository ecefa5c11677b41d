/**
 * charts/airflow is committed: regenerating it in memory must give exactly the files in the tree. Generation
 * synthesizes the constructs a few thousand times (about 45 s on two cores), so this file runs on its own worker.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { generateHelmChart } from '../../src/helm/chart';
import { CHART_DIR } from './helm';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

test('charts/airflow is what the generator produces now (fix: npm run chart, then commit charts/airflow)', () => {
  const generated = generateHelmChart();
  const committed = new Map(filesUnder(CHART_DIR).map((f) => [relative(CHART_DIR, f), readFileSync(f, 'utf8')]));
  const stale = [...new Set([...generated.keys(), ...committed.keys()])].sort()
    .filter((f) => generated.get(f) !== committed.get(f))
    .map((f) => `${f}: ${!committed.has(f) ? 'missing' : !generated.has(f) ? 'no longer generated' : 'differs'}`);
  expect(stale).toEqual([]);
}, 300_000);
