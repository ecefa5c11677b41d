import { apply, isLiteral, OpDef, Val } from '../expr/core';
import { Include, template } from '../expr/tree';

/** A value of one Airflow setting. */
export type AirflowConfigValue = string | number | boolean;

/**
 * Non-secret Airflow settings, by section then key, as in `airflow.cfg`:
 * `{ core: { parallelism: 64 }, logging: { log_filename_template: '{{ ti.dag_id }}/...' } }`.
 * Airflow's own Jinja (`{{ ... }}`) is kept verbatim.
 * @see https://airflow.apache.org/docs/apache-airflow/stable/configurations-ref.html
 */
export interface AirflowConfig {
  readonly [section: string]: { readonly [key: string]: AirflowConfigValue };
}

const NAME = /^[a-z0-9_]+$/;

/** What to use instead of a refused setting: in the constructs' props, and in the chart's values. */
export interface Instead {
  readonly prop: string;
  readonly value: string;
}

const same = (both: string): Instead => ({ prop: both, value: both });

/**
 * Settings that hold secrets: they come from Kubernetes Secrets, never from `config`.
 */
export const SECRET_KEYS: Record<string, Instead> = {
  'database.sql_alchemy_conn': { prop: 'the database prop (MetadataDatabase.embedded/external)', value: 'postgres.* or externalDatabase.*' },
  'database.sql_alchemy_conn_async': { prop: 'the database prop', value: 'postgres.* or externalDatabase.*' },
  'core.fernet_key': { prop: 'secrets.fernetKey (a SecretKeyRef) or the generated Secret', value: 'secrets.fernetKey.existingSecret or the generated Secret' },
  'api_auth.jwt_secret': { prop: 'secrets.jwtSecret (a SecretKeyRef) or the generated Secret', value: 'secrets.jwtSecret.existingSecret or the generated Secret' },
  'api.secret_key': { prop: 'secrets.apiSecretKey (a SecretKeyRef) or the generated Secret', value: 'secrets.apiSecretKey.existingSecret or the generated Secret' },
  'celery.broker_url': { prop: 'the redis prop (CeleryBroker.embedded/external)', value: 'redis.* or externalRedis.*' },
  'celery.result_backend': { prop: 'the redis prop', value: 'redis.* or externalRedis.*' },
  'celery.flower_basic_auth': { prop: 'flower.credentials', value: 'flower.username and flower.password' },
};

/** Settings the chart owns because other resources depend on them. */
export const OWNED_KEYS: Record<string, Instead> = {
  'core.executor': { prop: 'set the executor prop instead', value: 'set executor instead' },
  'core.execution_api_server_url': same('the chart points it at the api-server Service'),
  'core.dags_folder': same('the chart mounts DAGs at the image default'),
  'core.auth_manager': same('the chart uses the FAB auth manager'),
  'scheduler.enable_health_check': same('the scheduler liveness probe needs it'),
  'scheduler.scheduler_health_check_server_port': same('the probe and NetworkPolicy use 8974'),
  'logging.worker_log_server_port': same('the NetworkPolicy uses 8793'),
  'logging.trigger_log_server_port': same('the NetworkPolicy uses 8794'),
  'logging.base_log_folder': same('the writable log volume is mounted there'),
  'api.port': same('the Service and probes use 8080'),
  'celery.flower_port': same('the Service and probes use 5555'),
};

/** Keys whose name says they hold a secret, whatever the section. */
export const SECRET_NAME = /(password|passwd|secret|token|private_key|fernet)/;

/** Validates user config: names, types, and that no secret or chart-owned setting is set through it. */
export function validateConfig(config: AirflowConfig): void {
  for (const [section, keys] of Object.entries(config)) {
    if (!NAME.test(section)) {
      throw new Error(`config section '${section}' is invalid: Airflow sections use only [a-z0-9_] (e.g. 'core', 'celery_kubernetes_executor')`);
    }
    if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) {
      throw new Error(`config.${section} must be an object of key: value settings`);
    }
    for (const [key, value] of Object.entries(keys)) {
      const path = `${section}.${key}`;
      if (!NAME.test(key)) {
        throw new Error(`config.${path} is invalid: Airflow keys use only [a-z0-9_] (write 'dags_are_paused_at_creation', not 'dagsArePausedAtCreation')`);
      }
      if (!['string', 'number', 'boolean'].includes(typeof value) || (typeof value === 'number' && !Number.isFinite(value))) {
        throw new Error(`config.${path} must be a string, finite number or boolean, got ${JSON.stringify(value)}`);
      }
      if (SECRET_KEYS[path]) {
        throw new Error(`config.${path} holds a secret and cannot be set in config (it would land in a ConfigMap); use ${SECRET_KEYS[path].prop}`);
      }
      if (OWNED_KEYS[path]) {
        throw new Error(`config.${path} is managed by the chart: ${OWNED_KEYS[path].prop}`);
      }
      if (SECRET_NAME.test(key) && !/_(cmd|secret)$/.test(key) && !/^(hide_sensitive|sensitive)/.test(key)) {
        throw new Error(`config.${path} looks like a secret and cannot be set in config (it would land in a ConfigMap); `
          + `pass it as an environment variable from a Secret with extraEnv, or use its '${key}_secret' / '${key}_cmd' variant`);
      }
    }
  }
}

/** Merges config layers; later layers win key by key. */
export function mergeConfig(...layers: AirflowConfig[]): AirflowConfig {
  const out: Record<string, Record<string, AirflowConfigValue>> = {};
  for (const layer of layers) {
    for (const [section, keys] of Object.entries(layer)) {
      out[section] = { ...(out[section] ?? {}), ...keys };
    }
  }
  return out;
}

function renderValue(value: AirflowConfigValue): string {
  const text = typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
  if (/[\r\n]/.test(text)) {
    // Multi-line values continue on indented lines in ConfigParser syntax.
    return text.split(/\r?\n/).map((l, i) => (i === 0 ? l : `    ${l}`)).join('\n').replace(/%/g, '%%');
  }
  // Airflow reads airflow.cfg with ConfigParser interpolation: a literal % is written %%.
  return text.replace(/%/g, '%%');
}

/** Renders `airflow.cfg` text, sections and keys sorted so the output (and its checksum) is stable. */
export function renderAirflowCfg(config: AirflowConfig): string {
  const lines: string[] = [];
  for (const section of Object.keys(config).sort()) {
    const keys = config[section];
    const names = Object.keys(keys).sort();
    if (names.length === 0) continue;
    lines.push(`[${section}]`);
    for (const key of names) lines.push(`${key} = ${renderValue(keys[key])}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The chart's own settings: sections of settings whose values (or whole sections) may depend on values. */
export type ChartConfig = Record<string, unknown>;

/** Go text of airflow.cfg: the chart's settings (a named template) with `.Values.config` merged over them. */
const CONFIG_DEFINES: Record<string, string> = {
  'airflow.config.value': [
    '{{- /* One airflow.cfg value: True/False, integers without exponent, multi-line values indented, % doubled. */ -}}',
    '{{- define "airflow.config.value" -}}',
    '{{- $t := "" -}}',
    '{{- if kindIs "bool" . -}}',
    '{{- $t = ternary "True" "False" . -}}',
    '{{- else if and (kindIs "float64" .) (eq (float64 .) (floor .)) -}}',
    '{{- $t = printf "%d" (int64 .) -}}',
    '{{- else -}}',
    '{{- $t = toString . -}}',
    '{{- end -}}',
    '{{- $t = regexReplaceAll "\\r?\\n" $t "\\n    " -}}',
    '{{- replace "%" "%%" $t -}}',
    '{{- end }}',
  ].join('\n'),
  'airflow.config': [
    '{{- /* airflow.cfg: the chart\'s settings with .Values.config merged over them, sections and keys sorted. */ -}}',
    '{{- define "airflow.config" -}}',
    '{{- $cfg := include "airflow.config.chart" . | fromYaml -}}',
    '{{- range $section, $keys := .Values.config -}}',
    '{{- $_ := set $cfg $section (mergeOverwrite (deepCopy (get $cfg $section | default dict)) $keys) -}}',
    '{{- end -}}',
    '{{- $lines := list -}}',
    '{{- range $section, $keys := $cfg -}}',
    '{{- if $keys -}}',
    '{{- $lines = append $lines (printf "[%s]" $section) -}}',
    '{{- range $key, $value := $keys -}}',
    '{{- $lines = append $lines (printf "%s = %s" $key (include "airflow.config.value" $value)) -}}',
    '{{- end -}}',
    '{{- $lines = append $lines "" -}}',
    '{{- end -}}',
    '{{- end -}}',
    '{{- join "\\n" $lines -}}',
    '{{- end }}',
  ].join('\n'),
};

const RENDER_CONFIG: OpDef = {
  name: 'airflowConfig',
  kind: 'string',
  evaluate: (chart: AirflowConfig, user: AirflowConfig) => renderAirflowCfg(mergeConfig(chart, user ?? {})),
  go: (_args, _operand, ctx) => `include "airflow.config" ${ctx.root}`,
  defines: CONFIG_DEFINES,
};

/**
 * airflow.cfg text from the chart's settings and the user's (merged key by key, the user's winning). In a chart the
 * chart's settings are the named template `airflow.config.chart` and the merge happens at render time.
 */
export function renderConfig(chart: ChartConfig, user: Val<Record<string, Record<string, unknown>>>): Val<string> {
  if (isLiteral(chart) && isLiteral(user)) {
    return renderAirflowCfg(mergeConfig(stripAbsent(chart) as AirflowConfig, (user ?? {}) as AirflowConfig));
  }
  const chartTemplate = template<Record<string, never>>({
    name: 'airflow.config.chart',
    doc: 'The settings the chart owns in airflow.cfg (.Values.config is merged over them).',
    kind: 'map',
    params: {},
    body: () => chart,
  })({}) as Include;
  return apply(RENDER_CONFIG, [chartTemplate, user]);
}

/** Drops absent entries (conditional settings that do not apply). */
function stripAbsent(x: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(x));
}
