import { execFile } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { mergeValues } from '../../src/values/model';
import { CHART_DIR as CHART, helmBinary, REPO as ROOT } from './helm';

// Issue 3: a values file with one mistake must make the real helm fail with a message naming the key, and
// the committed schema must reject it in ajv too (or, for what only templates/validate.yaml can see,
// `# ajv: none`). Each file in bad-values/ starts with:
//   # expect: <text helm's output must contain> (one line per text)
//   # ajv: <text one of ajv's errors must contain> | none
// `helm lint` renders templates in lint mode, where a template's `fail` is only logged (`[INFO] Fail: ...`) and the
// exit status stays 0: for the `ajv: none` files it must log the message (install and template do fail).

const CORPUS = path.join(__dirname, 'bad-values');
/**
 * Values helm and the schema must accept, and a line their render must hold: a production-like file (its Ingress), and
 * Kubernetes objects of every kind users pass (the workers' PersistentVolumeClaim volume).
 */
const GOOD: [string, RegExp][] = [['good-values.yaml', /^kind: "?Ingress"?$/m], ['good-values-k8s-objects.yaml', /^ +claimName: "?airflow-shared-data"?$/m]];

interface BadValues {
  readonly file: string;
  readonly path: string;
  readonly expect: readonly string[];
  /** undefined: the schema cannot catch it (`# ajv: none`). */
  readonly ajv?: string;
}

function headers(file: string, text: string, key: string): string[] {
  const lines = text.split('\n').filter((l) => l.startsWith(`# ${key}: `));
  if (lines.length === 0) throw new Error(`${file} must start with a '# ${key}: ...' comment`);
  return lines.map((line) => line.slice(`# ${key}: `.length).trim());
}

const cases: BadValues[] = readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')).sort().map((file) => {
  const text = readFileSync(path.join(CORPUS, file), 'utf-8');
  const [ajv] = headers(file, text, 'ajv');
  return { file, path: path.join(CORPUS, file), expect: headers(file, text, 'expect'), ajv: ajv === 'none' ? undefined : ajv };
});

const HELM = helmBinary();
/** One helm run takes about 0.2 s alone, but several seconds on a loaded machine: jest's default 5 s is too short. */
const HELM_TIMEOUT = 60_000;

interface Run {
  readonly status: number;
  /** stdout and stderr together: helm prints the schema error on stderr, lint's findings on stdout. */
  readonly output: string;
}

/** Runs helm asynchronously, so that `test.concurrent` overlaps the calls. */
function helm(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(HELM, args, { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ status: code, output: `${stdout}${stderr}` });
    });
  });
}
const template = (file: string) => helm('template', 'rel', CHART, '-n', 'ns', '-f', file);
const lint = (file: string) => helm('lint', '--strict', CHART, '-f', file);

// What helm validates: the file merged over the chart's values.yaml (maps deeply, lists and scalars replace).
const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf-8')));
const chartDefaults = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf-8'));
function ajvErrors(file: string): string[] {
  const values = parse(readFileSync(file, 'utf-8')) ?? {};
  if (validate(mergeValues(chartDefaults, values))) return [];
  return validate.errors!.map((e) => {
    const name = e.params.additionalProperty ?? e.params.propertyName;
    const refusal = e.keyword === 'const' ? ` ${e.params.allowedValue}` : '';
    return `${e.instancePath || '/'} ${e.message}${name === undefined ? '' : ` '${name}'`}${refusal}`;
  });
}

/** helm exited 1 and said what the file expects; a failure shows helm's whole output. */
function expectRejected(c: BadValues, run: Run): void {
  for (const text of c.expect) expect(run.output).toContain(text);
  expect({ file: c.file, status: run.status, output: run.output }).toEqual({ file: c.file, status: 1, output: run.output });
}

describe('bad values', () => {
  test('the corpus holds at least 25 files, each naming what helm and ajv must say', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    for (const c of cases) expect({ file: c.file, expect: c.expect.length > 0 }).toEqual({ file: c.file, expect: true });
  });

  describe('helm template', () => {
    test.concurrent.each(cases)('fails when given $file', async (c) => expectRejected(c, await template(c.path)), HELM_TIMEOUT);
  });

  describe('helm lint --strict', () => {
    const bySchema = cases.filter((c) => c.ajv !== undefined);
    const byTemplate = cases.filter((c) => c.ajv === undefined);
    test.concurrent.each(bySchema)('fails when given $file', async (c) => expectRejected(c, await lint(c.path)), HELM_TIMEOUT);
    if (byTemplate.length > 0) {
      test.concurrent.each(byTemplate)('logs the validate template\'s failure when given $file', async (c) => {
        const run = await lint(c.path);
        expect({ file: c.file, logged: run.output.includes(`[INFO] Fail: ${c.expect[0]}`), output: run.output })
          .toEqual({ file: c.file, logged: true, output: run.output });
      }, HELM_TIMEOUT);
    }
  });

  describe('ajv on values.schema.json', () => {
    test.each(cases)('judges $file', (c) => {
      const errors = ajvErrors(c.path);
      if (c.ajv === undefined) {
        // Only templates/validate.yaml's `fail` catches it; the schema must not reject it for another reason.
        expect(errors).toEqual([]);
      } else {
        expect(errors.join('\n')).toContain(c.ajv);
      }
    });
  });
});

describe.each(GOOD)('good values (the control): %s', (name, rendered) => {
  const file = path.join(__dirname, name);
  test('helm template renders them', async () => {
    const run = await template(file);
    expect({ status: run.status, error: run.status === 0 ? '' : run.output }).toEqual({ status: 0, error: '' });
    expect(run.output).toMatch(rendered);
  }, HELM_TIMEOUT);

  test('helm lint --strict passes them', async () => {
    const run = await lint(file);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: expect.stringContaining('0 chart(s) failed') });
  }, HELM_TIMEOUT);

  test('ajv accepts them', () => {
    expect(ajvErrors(file)).toEqual([]);
  });
});
