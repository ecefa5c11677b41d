import Ajv from 'ajv';
import { OWNED_KEYS, SECRET_KEYS, validateConfig } from '../../src/config/airflow-config';
import { AIRFLOW_REFERENCE, retiredSections, SENSITIVE_VARIANTS, splitPath } from '../../src/config/config-reference';
import { defaultValues, mergeValues } from '../../src/values/model';
import { valuesSchema } from '../../src/values/schema';

// The chart's schema of `config` and `extraConfig` and the constructs' validateConfig are generated from the same
// reference: over every key it describes and every name it retired, both must accept and refuse the same settings.
// (test/helm/bad-values proves the real helm prints the schema's reasons; ajv stands in for it here, in milliseconds.)

const validate = new Ajv({ strict: false, allErrors: true }).compile(valuesSchema());
const schemaErrors = (values: object): string[] => (validate(mergeValues(defaultValues(), values))
  ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}${e.params.allowedValue ? ` ${e.params.allowedValue}` : ''}`));
const tsError = (config: object, extraConfig: object = {}): string | undefined => {
  try {
    validateConfig(config as any, extraConfig as any);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

type Setting = [section: string, key: string, value: unknown];
/** Both judge `{ [where]: { section: { key: value } } }` the same way. */
function verdicts(where: 'config' | 'extraConfig', [section, key, value]: Setting) {
  const layer = { [section]: { [key]: value } };
  return {
    setting: `${where}.${section}.${key} = ${JSON.stringify(value)}`,
    ts: tsError(where === 'config' ? layer : {}, where === 'extraConfig' ? layer : {}) === undefined,
    schema: schemaErrors({ [where]: layer }).length === 0,
  };
}

const VALID: Record<string, unknown[]> = { string: ['x', 3, true], integer: [64, '-3'], float: [2.5, 3, '1e3'], boolean: [true, 'False', 't', '0'] };
const INVALID: Record<string, unknown[]> = { string: [], integer: ['many', 1.5, true, '1.0'], float: ['fast', false], boolean: ['yes', 1, 'on'] };

const described: { section: string; key: string; type: string; empty: boolean; refusedByDesign: boolean }[] = [];
for (const [section, s] of Object.entries(AIRFLOW_REFERENCE.sections)) {
  for (const [key, o] of Object.entries(s.options)) {
    const empty = o.default === null || o.default === '';
    described.push({ section, key, type: o.type, empty, refusedByDesign: Boolean(o.sensitive || o.deprecated) || tsError({ [section]: { [key]: VALID[o.type][0] } }) !== undefined });
    for (const suffix of o.sensitive ? SENSITIVE_VARIANTS : []) {
      described.push({ section, key: `${key}${suffix}`, type: 'string', empty: true, refusedByDesign: tsError({ [section]: { [`${key}${suffix}`]: 'x' } }) !== undefined });
    }
  }
}
const retired: Setting[] = Object.keys(AIRFLOW_REFERENCE.retired).map((p) => [...splitPath(p), 'x']);

describe('config: the chart\'s schema and the constructs agree', () => {
  test('on every described key with values of its type, and with values of other types', () => {
    let accepted = 0;
    let refused = 0;
    for (const d of described) {
      const valid = d.refusedByDesign ? ['x'] : [...VALID[d.type], ...(d.empty ? [''] : [])];
      const invalid = d.refusedByDesign ? [] : INVALID[d.type];
      for (const value of valid) {
        const v = verdicts('config', [d.section, d.key, value]);
        expect(v).toEqual({ ...v, ts: !d.refusedByDesign, schema: !d.refusedByDesign });
        if (d.refusedByDesign) refused++; else accepted++;
      }
      for (const value of invalid) {
        const v = verdicts('config', [d.section, d.key, value]);
        expect(v).toEqual({ ...v, ts: false, schema: false });
        refused++;
      }
    }
    console.log(`config: ${described.length} described keys, ${accepted} settings accepted and ${refused} refused by both`);
    expect(accepted).toBeGreaterThan(800);
  });

  test('refuses by design exactly the sensitive and deprecated keys, and those the chart provides or owns', () => {
    const chart = [...Object.keys(SECRET_KEYS), ...Object.keys(OWNED_KEYS)];
    const expected = described.filter(({ section, key }) => {
      const o = AIRFLOW_REFERENCE.sections[section].options[key];
      const variantOfChartSecret = SENSITIVE_VARIANTS.some((x) => key.endsWith(x) && Object.keys(SECRET_KEYS).includes(`${section}.${key.slice(0, -x.length)}`));
      return o?.sensitive || o?.deprecated || chart.includes(`${section}.${key}`) || variantOfChartSecret;
    });
    expect(described.filter((d) => d.refusedByDesign)).toEqual(expected);
    expect(expected.length).toBeLessThan(60);
  });

  test('on every renamed, removed or deprecated name: both refuse it, in config and in extraConfig', () => {
    for (const s of retired) {
      for (const where of ['config', 'extraConfig'] as const) {
        const v = verdicts(where, s);
        expect(v).toEqual({ ...v, ts: false, schema: false });
      }
    }
    expect(retired.length).toBeGreaterThan(100);
  });

  test('on unknown sections and keys: refused in config, accepted in extraConfig', () => {
    const unknown: Setting[] = [
      ['schedular', 'parsing_processes', 2], ['my_plugin', 'endpoint', 'https://x'], ['core', 'paralellism', 64], ['celery', 'my_queue', 'gpu'],
      ...[...retiredSections().keys()].map((s): Setting => [s, 'plugin_option', 'x']),
    ];
    for (const s of unknown) {
      const inConfig = verdicts('config', s);
      expect(inConfig).toEqual({ ...inConfig, ts: false, schema: false });
      const inExtra = verdicts('extraConfig', s);
      expect(inExtra).toEqual({ ...inExtra, ts: true, schema: true });
    }
  });

  test('on every described key in extraConfig: both refuse it (it belongs in config)', () => {
    for (const d of described) {
      const v = verdicts('extraConfig', [d.section, d.key, 'x']);
      expect(v).toEqual({ ...v, ts: false, schema: false });
    }
  });

  test('on secret-looking names in extraConfig', () => {
    for (const [key, ok] of [['api_token', false], ['db_password', false], ['api_token_cmd', true], ['password_secret', true], ['sensitive_fields', true]] as const) {
      const v = verdicts('extraConfig', ['my_plugin', key, 'x']);
      expect(v).toEqual({ ...v, ts: ok, schema: ok });
    }
  });

  test('the schema says why, as the constructs do', () => {
    expect(schemaErrors({ config: { core: { parallelism: 'many' } } })).toContain('/config/core/parallelism must be equal to constant an integer');
    expect(schemaErrors({ config: { webserver: { instance_name: 'x' } } })).toContain(
      '/config/webserver/instance_name must be equal to constant (refused: webserver.instance_name is deprecated since Airflow 3.1.0: it is now api.instance_name; set config.api.instance_name instead)');
    expect(schemaErrors({ config: { core: { executor: 'x' } } })).toContain(
      '/config/core/executor must be equal to constant (refused: config.core.executor is managed by the chart; use the executor value)');
  });
});
