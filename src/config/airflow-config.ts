import { apply, isLiteral, OpDef, Val } from '../expr/core';
import { Include, template } from '../expr/tree';
import {
  AIRFLOW_REFERENCE, closestName, ReferenceOption, ReferenceType, referenceOption, retiredOption, retiredSections, sectionSource,
  SENSITIVE_VARIANTS,
} from './config-reference';

/** A value of one Airflow setting. */
export type AirflowConfigValue = string | number | boolean;

/**
 * Non-secret Airflow settings, by section then key, as in `airflow.cfg`:
 * `{ core: { parallelism: 64 }, logging: { log_filename_template: '{{ ti.dag_id }}/...' } }`.
 * Airflow's own Jinja (`{{ ... }}`) is kept verbatim.
 * @see https://airflow.apache.org/docs/apache-airflow/stable/configurations-ref.html
 */
export type AirflowConfig = { readonly [section: string]: { readonly [key: string]: AirflowConfigValue } };

/** Section names: `[a-z0-9_]`, with dots between words (`common.io`); key names: `[a-z0-9_]`. */
const SECTION_NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;
const NAME = /^[a-z0-9_]+$/;

/** A setting the chart provides: how to set it instead, as a prop (TypeScript) and as a value (Helm). */
interface ChartSetting {
  /** It holds a secret (the chart passes it from a Kubernetes Secret). */
  readonly secret?: boolean;
  readonly prop: string;
  readonly value: string;
}

const CHART_SETTINGS: Record<string, ChartSetting> = {
  'database.sql_alchemy_conn': { secret: true, prop: 'the database prop (MetadataDatabase.embedded/external)', value: 'postgres (embedded) or externalDatabase' },
  'database.sql_alchemy_conn_async': { secret: true, prop: 'the database prop', value: 'postgres (embedded) or externalDatabase' },
  'core.fernet_key': { secret: true, prop: 'secrets.fernetKey (a SecretKeyRef) or the generated Secret', value: 'secrets.fernetKey.existingSecret or the generated Secret' },
  'api_auth.jwt_secret': { secret: true, prop: 'secrets.jwtSecret (a SecretKeyRef) or the generated Secret', value: 'secrets.jwtSecret.existingSecret or the generated Secret' },
  'api.secret_key': { secret: true, prop: 'secrets.apiSecretKey (a SecretKeyRef) or the generated Secret', value: 'secrets.apiSecretKey.existingSecret or the generated Secret' },
  'celery.broker_url': { secret: true, prop: 'the broker prop (CeleryBroker.embedded/external)', value: 'redis (embedded) or externalRedis' },
  'celery.result_backend': { secret: true, prop: 'the broker prop', value: 'redis (embedded) or externalRedis' },
  'celery.flower_basic_auth': { secret: true, prop: 'flower.username and flower.password (SecretKeyRefs) or the generated Secret', value: 'flower.username and flower.password or the generated Secret' },
  'core.executor': { prop: 'the executor prop', value: 'the executor value' },
  'core.execution_api_server_url': { prop: 'nothing: the chart points it at the api-server Service', value: 'nothing: the chart points it at the api-server Service' },
  'core.dags_folder': { prop: 'nothing: the chart mounts DAGs at the image default', value: 'nothing: the chart mounts DAGs at the image default' },
  'core.auth_manager': { prop: 'nothing: the chart uses the FAB auth manager', value: 'nothing: the chart uses the FAB auth manager' },
  'scheduler.enable_health_check': { prop: 'nothing: the scheduler liveness probe needs it', value: 'nothing: the scheduler liveness probe needs it' },
  'scheduler.scheduler_health_check_server_port': { prop: 'nothing: the probe and NetworkPolicy use 8974', value: 'nothing: the probe and NetworkPolicy use 8974' },
  'logging.worker_log_server_port': { prop: 'nothing: the NetworkPolicy uses 8793', value: 'nothing: the NetworkPolicy uses 8793' },
  'logging.trigger_log_server_port': { prop: 'nothing: the NetworkPolicy uses 8794', value: 'nothing: the NetworkPolicy uses 8794' },
  'logging.base_log_folder': { prop: 'nothing: the writable log volume is mounted there', value: 'nothing: the writable log volume is mounted there' },
  'api.port': { prop: 'nothing: the Service and probes use 8080', value: 'nothing: the Service and probes use 8080' },
  'celery.flower_port': { prop: 'nothing: the Service and probes use 5555', value: 'nothing: the Service and probes use 5555' },
};

const settings = (secret: boolean, audience: Audience) => Object.fromEntries(Object.entries(CHART_SETTINGS)
  .filter(([, s]) => (s.secret ?? false) === secret).map(([path, s]) => [path, audience === 'props' ? s.prop : s.value]));

/**
 * Settings that hold secrets: they come from Kubernetes Secrets, never from `config`.
 */
export const SECRET_KEYS: Record<string, string> = settings(true, 'props');

/** Settings the chart owns because other resources depend on them. */
export const OWNED_KEYS: Record<string, string> = settings(false, 'props');

/** {@link SECRET_KEYS} and {@link OWNED_KEYS} with the fix named in Helm values. */
export const CHART_VALUES_FIX = { secret: settings(true, 'values'), owned: settings(false, 'values') };

/** Keys whose name says they hold a secret, whatever the section (checked in extraConfig, which the reference does not describe). */
export const SECRET_NAME = /(password|passwd|secret|token|private_key|fernet)/;
/** Names that look like secrets but are not: the `_cmd` / `_secret` variants and `sensitive*` switches. */
const NOT_SECRET_NAME = [/_(cmd|secret)$/, /^(hide_sensitive|sensitive)/];

/** Who reads a message: TypeScript users (props) or Helm users (values). */
export type Audience = 'props' | 'values';

/** The text Airflow parses as an integer, a float or a boolean (the chart's schema uses the same patterns). */
export const CONFIG_TEXT = {
  integer: '^[-+]?[0-9]+$',
  float: '^[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?$',
  // Airflow's getboolean: t, true, f, false, 1, 0 in any case.
  boolean: '^([Tt]([Rr][Uu][Ee])?|[Ff]([Aa][Ll][Ss][Ee])?|[01])$',
};

/** What a value of each type must be, as messages say it. */
export const TYPE_WORDS: Record<ReferenceType, string> = {
  string: 'a string',
  integer: 'an integer',
  float: 'a number',
  boolean: 'a boolean (true or false)',
};

const ESCAPE_SECTION = 'sections of plugins go in extraConfig';
const ESCAPE_KEY = 'keys of plugins go in extraConfig';

/** Why a section Airflow does not describe is refused (the chart's schema prints it without the path and hint). */
export function unknownSectionMessage(where: string, section: string, suggestion?: string): string {
  const moved = retiredSections().get(section);
  const why = moved
    ? `Airflow ${AIRFLOW_REFERENCE.airflow} has no [${section}]: its options were removed${moved.length ? ` or moved to ${moved.map((s) => `[${s}]`).join(', ')}` : ''}`
    : `Airflow ${AIRFLOW_REFERENCE.airflow} and its providers have no [${section}]`;
  return `${where}.${section}: unknown section${suggestion ? `; did you mean '${suggestion}'?` : ''} (${why}; ${ESCAPE_SECTION})`;
}

/** The chart's schema's words for an unknown section (Helm prints the path before it; the schema cannot suggest). */
export function unknownSectionText(section?: string): string {
  if (section === undefined) return `unknown section (Airflow ${AIRFLOW_REFERENCE.airflow} and its providers have no such section; ${ESCAPE_SECTION})`;
  return unknownSectionMessage('config', section).replace(/^config\.[^:]*: /, '');
}

/** The chart's schema's words for an unknown key of a known section. */
export function unknownKeyText(section: string): string {
  return `unknown key (${sectionSource(section)} has no such key in [${section}]; ${ESCAPE_KEY})`;
}

/** Why a key a known section does not describe is refused. */
export function unknownKeyMessage(where: string, section: string, key: string, suggestion?: string): string {
  return `${where}.${section}.${key}: unknown key${suggestion ? `; did you mean '${suggestion}'?` : ''} (${sectionSource(section)} has no [${section}] ${key}; ${ESCAPE_KEY})`;
}

/** Why a secret or chart-owned setting is refused, with its fix (in props or values). */
export function chartSettingMessage(where: string, path: string, audience: Audience): string | undefined {
  const s = CHART_SETTINGS[path];
  if (!s) return undefined;
  const fix = audience === 'props' ? s.prop : s.value;
  return s.secret
    ? `${where}.${path} holds a secret and cannot be set in ${where} (it would land in a ConfigMap); use ${fix}`
    : `${where}.${path} is managed by the chart; use ${fix}`;
}

/** `<key>_cmd` / `<key>_secret` of a secret the chart provides: the chart's environment variable would win over it. */
export function chartSecretVariantMessage(where: string, section: string, key: string, audience: Audience): string | undefined {
  for (const suffix of SENSITIVE_VARIANTS) {
    const base = `${section}.${key.slice(0, -suffix.length)}`;
    const s = CHART_SETTINGS[base];
    if (key.endsWith(suffix) && s?.secret) {
      return `${where}.${section}.${key} is ignored: the chart sets ${base} from a Secret (environment variables win over airflow.cfg); use ${audience === 'props' ? s.prop : s.value}`;
    }
  }
  return undefined;
}

/**
 * Why a renamed, removed or deprecated setting is refused, naming what replaces it. `where` (config, extraConfig)
 * prefixes the name; the chart's schema, shared by both, leaves it out.
 */
export function retiredMessage(where: string, section: string, key: string, audience: Audience): string | undefined {
  const name = where ? `${where}.${section}.${key}` : `${section}.${key}`;
  const deprecated = referenceOption(section, key)?.deprecated;
  if (deprecated) {
    return `${name} is deprecated${deprecated.since ? ` since Airflow ${deprecated.since}` : ''}${deprecated.reason ? `: ${deprecated.reason}` : ''}`;
  }
  const r = retiredOption(section, key);
  if (!r) return undefined;
  const since = r.since ? ` since Airflow ${r.since}` : '';
  const status = r.status === 'deprecated' ? `is deprecated${since}` : `is no longer read by Airflow ${AIRFLOW_REFERENCE.airflow}`;
  if (!r.replacement) return `${name} ${status} (removed in Airflow 3)${r.reason ? `: ${r.reason.replace(/\.$/, '')}` : ''}; remove it`;
  const now = r.status === 'deprecated' ? `it is now ${r.replacement}` : `it moved to ${r.replacement} in Airflow 3`;
  const owner = CHART_SETTINGS[r.replacement];
  if (!owner) return `${name} ${status}: ${now}; set config.${r.replacement} instead`;
  const fix = audience === 'props' ? owner.prop : owner.value;
  return `${name} ${status}: ${now}, which ${owner.secret ? 'holds a secret' : 'the chart manages'}; use ${fix}`;
}

/** Why a setting Airflow marks sensitive is refused from config. */
export function sensitiveMessage(where: string, section: string, key: string): string {
  const env = `AIRFLOW__${section.replace(/\./g, '_').toUpperCase()}__${key.toUpperCase()}`;
  return `${where}.${section}.${key} holds a secret (Airflow marks it sensitive) and cannot be set in ${where} (it would land in a ConfigMap); `
    + `set ${key}_secret (a key of your secrets backend) or ${key}_cmd (a command printing it) instead, or pass ${env} from a Secret with extraEnv`;
}

/** Why a key of extraConfig that the reference describes is refused. */
export function inReferenceMessage(section: string, key: string): string {
  return `extraConfig.${section}.${key} is described by the Airflow configuration reference; set it in config, where it is checked`;
}

export function secretLikeMessage(where: string, section: string, key: string): string | undefined {
  if (!SECRET_NAME.test(key) || NOT_SECRET_NAME.some((r) => r.test(key))) return undefined;
  return `${where}.${section}.${key} looks like a secret and cannot be set in ${where} (it would land in a ConfigMap); `
    + `pass it from a Secret with extraEnv, or use its '${key}_secret' / '${key}_cmd' variant`;
}

/** Whether `value` is what Airflow parses as `type` ('' also stands for "none" where Airflow's default is none). */
export function matchesType(type: ReferenceType, value: AirflowConfigValue, emptyAllowed: boolean): boolean {
  if (type === 'string') return true;
  if (typeof value === 'string') return (emptyAllowed && value === '') || new RegExp(CONFIG_TEXT[type]).test(value);
  if (type === 'integer') return typeof value === 'number' && Number.isInteger(value);
  if (type === 'float') return typeof value === 'number';
  return typeof value === 'boolean';
}

/** Airflow's default is none: '' leaves it so. */
export function emptyAllowed(option: ReferenceOption): boolean {
  return option.default === null || option.default === '';
}

const shown = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** What is wrong with `config.<section>.<key>`, checked against Airflow's reference; undefined when it is fine. */
function configProblem(section: string, key: string, value: AirflowConfigValue, audience: Audience): string | undefined {
  const where = 'config';
  const fixed = chartSettingMessage(where, `${section}.${key}`, audience) ?? chartSecretVariantMessage(where, section, key, audience)
    ?? retiredMessage(where, section, key, audience);
  if (fixed) return fixed;
  const described = AIRFLOW_REFERENCE.sections[section];
  if (!described) return unknownSectionMessage(where, section, closestName(section, Object.keys(AIRFLOW_REFERENCE.sections)));
  const option = referenceOption(section, key);
  if (!option) return unknownKeyMessage(where, section, key, keySuggestion(section, key));
  if (option.sensitive) return sensitiveMessage(where, section, key);
  if (!matchesType(option.type, value, emptyAllowed(option))) {
    return `${where}.${section}.${key} must be ${TYPE_WORDS[option.type]}${emptyAllowed(option) ? ' or empty (none)' : ''}, got ${shown(value)}`;
  }
  return undefined;
}

/** The closest key of the section, or else the same key in another section (`dag_processor.refresh_interval`). */
function keySuggestion(section: string, key: string): string | undefined {
  const close = closestName(key, Object.keys(AIRFLOW_REFERENCE.sections[section].options));
  if (close) return close;
  const elsewhere = Object.entries(AIRFLOW_REFERENCE.sections).find(([, s]) => Object.prototype.hasOwnProperty.call(s.options, key));
  return elsewhere ? `${elsewhere[0]}.${key}` : undefined;
}

/** What is wrong with `extraConfig.<section>.<key>`: only what the reference does not describe belongs there. */
function extraConfigProblem(section: string, key: string, audience: Audience): string | undefined {
  const where = 'extraConfig';
  return chartSettingMessage(where, `${section}.${key}`, audience) ?? chartSecretVariantMessage(where, section, key, audience)
    ?? retiredMessage(where, section, key, audience)
    ?? (referenceOption(section, key) ? inReferenceMessage(section, key) : undefined)
    ?? secretLikeMessage(where, section, key);
}

/**
 * Validates user config against Airflow's configuration reference (Airflow 3.3.2 and its providers): unknown sections
 * and keys (with the closest valid name), values of the wrong type, deprecated, renamed and removed settings (with what
 * replaces them), secrets, and the settings the chart owns. `extraConfig` holds what the reference does not describe
 * (plugins' own sections and keys): its names, secrets and chart-owned keys are checked, nothing else.
 */
export function validateConfig(config: AirflowConfig, extraConfig: AirflowConfig = {}): void {
  for (const [where, layer] of [['config', config], ['extraConfig', extraConfig]] as const) {
    for (const [section, keys] of Object.entries(layer)) {
      if (!SECTION_NAME.test(section)) {
        throw new Error(`${where} section '${section}' is invalid: Airflow sections use only [a-z0-9_] and dots (e.g. 'core', 'celery_kubernetes_executor', 'common.io')`);
      }
      if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) {
        throw new Error(`${where}.${section} must be an object of key: value settings`);
      }
      for (const [key, value] of Object.entries(keys)) {
        const path = `${section}.${key}`;
        if (!NAME.test(key) && !referenceOption(section, key)) { // a few provider keys hold a dash (client-config)
          throw new Error(`${where}.${path} is invalid: Airflow keys use only [a-z0-9_] (write 'dags_are_paused_at_creation', not 'dagsArePausedAtCreation')`);
        }
        if (!['string', 'number', 'boolean'].includes(typeof value) || (typeof value === 'number' && !Number.isFinite(value))) {
          throw new Error(`${where}.${path} must be a string, finite number or boolean, got ${typeof value === 'number' ? value : JSON.stringify(value)}`);
        }
        const problem = where === 'config' ? configProblem(section, key, value, 'props') : extraConfigProblem(section, key, 'props');
        if (problem) throw new Error(problem);
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

/** User settings as the composition takes them: literal, or a reference into the values. */
export type UserConfig = Record<string, Record<string, unknown>>;

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
    '{{- /* airflow.cfg: the chart\'s settings with .Values.config and .Values.extraConfig merged over them, sections and keys sorted. */ -}}',
    '{{- define "airflow.config" -}}',
    '{{- $cfg := include "airflow.config.chart" . | fromYaml -}}',
    '{{- range $layer := list .Values.config .Values.extraConfig -}}',
    '{{- range $section, $keys := $layer -}}',
    '{{- $_ := set $cfg $section (mergeOverwrite (deepCopy (get $cfg $section | default dict)) $keys) -}}',
    '{{- end -}}',
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
  evaluate: (chart: AirflowConfig, user: AirflowConfig, extra: AirflowConfig) => renderAirflowCfg(mergeConfig(chart, user ?? {}, extra ?? {})),
  go: (_args, _operand, ctx) => `include "airflow.config" ${ctx.root}`,
  defines: CONFIG_DEFINES,
};

/**
 * airflow.cfg text from the chart's settings and the user's `config` and `extraConfig` (merged key by key, the user's
 * winning; validateConfig keeps the two apart). In a chart the chart's settings are the named template
 * `airflow.config.chart` and the merge happens at render time.
 */
export function renderConfig(chart: ChartConfig, user: Val<UserConfig>, extra: Val<UserConfig>): Val<string> {
  if (isLiteral(chart) && isLiteral(user) && isLiteral(extra)) {
    return renderAirflowCfg(mergeConfig(stripAbsent(chart) as AirflowConfig, (user ?? {}) as AirflowConfig, (extra ?? {}) as AirflowConfig));
  }
  const chartTemplate = template<Record<string, never>>({
    name: 'airflow.config.chart',
    doc: 'The settings the chart owns in airflow.cfg (.Values.config is merged over them).',
    kind: 'map',
    params: {},
    body: () => chart,
  })({}) as Include;
  return apply(RENDER_CONFIG, [chartTemplate, user, extra]);
}

/** Drops absent entries (conditional settings that do not apply). */
function stripAbsent(x: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(x));
}
