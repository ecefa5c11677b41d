/**
 * charts/airflow is committed: generating it now must give exactly the files in the tree (fix: `npm run chart`, then
 * commit charts/airflow). The chart is emitted from the constructs in well under a second, so this runs in process.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { generateHelmChart } from '../../src/helm/chart';
import { CHART_DIR } from './helm';

function filesUnder(dir: string): Map<string, string> {
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  return new Map(walk(dir).map((f) => [relative(dir, f), readFileSync(f, 'utf8')]));
}

test('charts/airflow is what the emitter produces now (fix: npm run chart, then commit charts/airflow)', () => {
  const generated = generateHelmChart();
  const committed = filesUnder(CHART_DIR);
  const stale = [...new Set([...generated.keys(), ...committed.keys()])].sort()
    .filter((f) => generated.get(f) !== committed.get(f))
    .map((f) => `${f}: ${!committed.has(f) ? 'missing' : !generated.has(f) ? 'no longer generated' : 'differs'}`);
  expect(stale).toEqual([]);
  expect(generated.size).toBeGreaterThan(50);
});
