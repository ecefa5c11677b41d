import { mergeConfig, renderAirflowCfg, validateConfig } from '../../src';

describe('airflow.cfg rendering', () => {
  test('sections and keys are sorted so the checksum is stable', () => {
    // GIVEN two orderings of the same settings
    const a = renderAirflowCfg({ core: { b: 1, a: 'x' }, api: { port: 8080 } });
    const b = renderAirflowCfg({ api: { port: 8080 }, core: { a: 'x', b: 1 } });
    // THEN the text is identical
    expect(a).toBe(b);
    expect(a).toBe('[api]\nport = 8080\n\n[core]\na = x\nb = 1\n');
  });

  test('booleans use Airflow spelling, % is doubled, Jinja and multi-line values survive', () => {
    const text = renderAirflowCfg({ s: { on: true, off: false, fmt: '%(levelname)s {{ ti.dag_id }}', multi: 'a\nb' } });
    expect(text).toContain('on = True\n');
    expect(text).toContain('off = False\n');
    expect(text).toContain('fmt = %%(levelname)s {{ ti.dag_id }}\n');
    expect(text).toContain('multi = a\n    b\n');
  });

  test('empty sections are left out', () => {
    expect(renderAirflowCfg({ empty: {}, core: { a: 1 } })).toBe('[core]\na = 1\n');
  });

  test('later layers win key by key', () => {
    expect(mergeConfig({ core: { a: 1, b: 2 } }, { core: { b: 3 }, api: { c: 4 } })).toEqual({ core: { a: 1, b: 3 }, api: { c: 4 } });
  });

  test('allows the _cmd and _secret variants and sensitive-var settings', () => {
    expect(() => validateConfig({ smtp: { smtp_password_secret: 'smtp/password' }, core: { hide_sensitive_var_conn_fields: true } })).not.toThrow();
  });

  test.each([
    ['throws if a number is not finite', { core: { parallelism: Infinity } }, /must be a string, finite number or boolean/],
    ['throws if the JWT secret is set in config', { api_auth: { jwt_secret: 'x' } }, /holds a secret and cannot be set in config/],
    ['throws if the broker URL is set in config', { celery: { broker_url: 'redis://' } }, /use the redis prop/],
    ['throws if the log folder is set in config', { logging: { base_log_folder: '/x' } }, /is managed by the chart/],
    ['throws if a section is an array', { core: [] as any }, /config\.core must be an object/],
  ])('%s', (_, config, message) => {
    expect(() => validateConfig(config as any)).toThrow(message);
  });
});
