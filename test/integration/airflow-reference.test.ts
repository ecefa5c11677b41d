/**
 * src/config/airflow-reference.json is what the pinned packages say: regenerated here from the Airflow 3.3.2 venv of
 * .ci/tools/auth-stack.sh (the one the LDAP test runs) by test/integration/airflow-reference.py, and compared byte for
 * byte. The cncf.kubernetes provider's wheel is downloaded once from PyPI into the tools cache.
 */
import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { authStack } from './stack';

const REPO = join(__dirname, '..', '..');
const COMMITTED = join(REPO, 'src', 'config', 'airflow-reference.json');

test('the committed Airflow configuration reference is what Airflow 3.3.2 and its providers say', () => {
  const { python } = authStack();
  const started = Date.now();
  const r = spawnSync(python, [join(__dirname, 'airflow-reference.py')], { encoding: 'utf-8', cwd: REPO, timeout: 300_000, maxBuffer: 16 << 20 });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  console.log(`airflow-reference.py: ${((Date.now() - started) / 1000).toFixed(1)} s, ${r.stdout.length} bytes`);
  const stale = r.stdout !== readFileSync(COMMITTED, 'utf-8');
  expect({ stale, fix: stale ? 'npm run config:reference, then review and commit src/config/airflow-reference.json' : '' }).toEqual({ stale: false, fix: '' });
}, 300_000);
