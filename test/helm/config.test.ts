import { spawnSync } from 'child_process';
import { chartSettingMessage, secretLikeMessage, validateConfig } from '../../src/config/airflow-config';
import { asciiJson, CHART_DIR, helmBinary, helmTemplate, REPO } from './helm';

// One refusal, three places: the constructs (validateConfig), the chart's schema (what helm install, template and
// lint print) and templates/validate.yaml (what `helm install --skip-schema-validation` still stops). The chart names
// the fix in values, the constructs in props; the sentence is the same.

function helmOutput(values: object, ...flags: string[]): { status: number; output: string } {
  const r = spawnSync(helmBinary(), ['template', 'airflow', CHART_DIR, '--namespace', 'airflow', '--values', '-', ...flags], {
    encoding: 'utf8', cwd: REPO, input: asciiJson(values), maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

function tsError(where: string, layer: object): string {
  try {
    validateConfig(where === 'config' ? layer as any : {}, where === 'extraConfig' ? layer as any : {});
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
}

const CASES: [where: 'config' | 'extraConfig', section: string, key: string, value: unknown][] = [
  ['config', 'core', 'fernet_key', 'x'],
  ['config', 'celery', 'flower_basic_auth', 'admin:x'],
  ['config', 'core', 'executor', 'LocalExecutor'],
  ['extraConfig', 'api', 'port', 9090],
  ['extraConfig', 'database', 'sql_alchemy_conn', 'postgresql://x'],
];

describe('config refusals agree between the constructs, the schema and validate.yaml', () => {
  test.each(CASES)('%s.%s.%s', (where, section, key, value) => {
    const values = { [where]: { [section]: { [key]: value } } };
    const chart = chartSettingMessage(where, `${section}.${key}`, 'values')!;
    const props = chartSettingMessage(where, `${section}.${key}`, 'props')!;
    // The constructs throw the sentence with the prop to set.
    expect(tsError(where, values[where])).toBe(props);
    expect(chart.replace(/; use .*$/, '')).toBe(props.replace(/; use .*$/, ''));
    // The schema prints it with the value to set...
    const bySchema = helmOutput(values);
    expect({ status: bySchema.status, output: bySchema.output }).toEqual({ status: 1, output: expect.stringContaining(`at '/${where}/${section}/${key}': value must be '(refused: ${chart})'`) });
    // ...and so does validate.yaml when the schema is skipped.
    const byTemplate = helmOutput(values, '--skip-schema-validation');
    expect({ status: byTemplate.status, output: byTemplate.output }).toEqual({ status: 1, output: expect.stringContaining(`execution error at (airflow/templates/validate.yaml:`) });
    expect(byTemplate.output).toContain(`: ${chart}`);
  }, 60_000);

  test('a secret-looking key in extraConfig: the same sentence from the constructs and validate.yaml', () => {
    const values = { extraConfig: { my_plugin: { api_token: 'x' } } };
    const message = secretLikeMessage('extraConfig', 'my_plugin', 'api_token')!;
    expect(tsError('extraConfig', values.extraConfig)).toBe(message);
    expect(helmOutput(values).output).toContain('invalid propertyName \'api_token\'');
    expect(helmOutput(values, '--skip-schema-validation').output).toContain(`: ${message}`);
  }, 60_000);

  test('the escape hatch: plugins\' settings reach airflow.cfg through the chart as through the constructs', () => {
    const values = { config: { core: { parallelism: 64 } }, extraConfig: { my_plugin: { endpoint: 'https://plugin.example.org', retries: 3 }, core: { my_plugin_flag: true } } };
    expect(tsError('config', values.config)).toBe('(no error)');
    expect(tsError('extraConfig', values.extraConfig)).toBe('(no error)');
    const cm = helmTemplate({ values }).find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'airflow-config')!;
    expect(cm.data['airflow.cfg']).toContain('[my_plugin]\nendpoint = https://plugin.example.org\nretries = 3\n');
    expect(cm.data['airflow.cfg']).toMatch(/\[core\]\n(.+\n)*my_plugin_flag = True\n(.+\n)*parallelism = 64\n/);
  }, 60_000);
});
