import { OWNED_KEYS, SECRET_KEYS, SECRET_NAME } from '../config/airflow-config';
import { DagAccess, FAB_ACTIONS, roleMappingJson, sortedJson } from '../config/auth';

/**
 * The ONE values model: every Helm value is declared here once, with its type, default, constraints, doc
 * and how the Helm generator finds where it lands (its probe). values.yaml, values.schema.json, the chart
 * README table and the TypeScript mapping (`propsFromValues`) all derive from it.
 */

/** JSON-schema type of a value. */
export type ValueType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** A condition both as a Go-template expression and as a predicate over values (to check the generator). */
export interface Condition {
  readonly helm: string;
  readonly js: (values: Values) => boolean;
}

/** Another rendering of a value that may appear in manifests (e.g. `index + 1`). */
export interface DerivedForm {
  /** Go-template pipeline turning the value (`$v`, written as `%s`) into what appears in manifests. */
  readonly helm: string;
  readonly js: (value: any) => string | number;
}

/**
 * How the generator learns where a key lands: it synthesizes the constructs with the key at its default
 * and at `value` (with `context` set in both runs) and turns the difference into template code.
 */
export type Probe =
  /** The value appears as-is (or inside a string); anything else changing is an error, or guarded by `structural`. */
  | { readonly kind: 'scalar'; readonly value: unknown; readonly structural?: Condition; readonly forms?: DerivedForm[]; readonly context?: Values; readonly verify?: unknown }
  /**
   * A closed set: each alternative (a value, or `{ value, with }` adding values it needs) is synthesized;
   * differences become if/else branches.
   */
  | { readonly kind: 'choice'; readonly values: unknown[]; readonly with?: Values; readonly context?: Values }
  /** Empty means "not set": differences are guarded by the value being set; the value itself is substituted. */
  | { readonly kind: 'optional'; readonly value: unknown; readonly forms?: DerivedForm[]; readonly when?: Condition; readonly context?: Values; readonly verify?: unknown }
  /** Kubernetes YAML passed through (maps, lists): rendered with toYaml where it lands. */
  | { readonly kind: 'yaml'; readonly value: unknown; readonly context?: Values }
  /** A list of scalars each rendered into an element (e.g. CIDRs into ipBlocks); empty may drop structure. */
  | { readonly kind: 'list'; readonly value: unknown[]; readonly whenEmpty?: Condition; readonly context?: Values }
  /** Handled by the generator itself (Airflow config, release-wide settings). */
  | { readonly kind: 'special'; readonly reason: string };

/** A leaf value. */
export interface ValueLeaf {
  readonly type: ValueType | ValueType[];
  readonly default: unknown;
  readonly description: string;
  /** Extra JSON-schema keywords (enum, minimum, pattern, items, ...). */
  readonly schema?: Record<string, unknown>;
  readonly probe: Probe;
}

/** A group of values (a nested map in values.yaml). */
export interface ValueGroup {
  readonly description: string;
  readonly children: Record<string, ValueNode>;
  /** When the group's values are used at all (e.g. externalDatabase only without the embedded PostgreSQL). */
  readonly relevant?: Condition;
  /** Extra JSON-schema keywords on the group (if/then requirements). */
  readonly schema?: Record<string, unknown>;
}

export type ValueNode = ValueLeaf | ValueGroup;
export type Values = { [key: string]: any };

export function isGroup(n: ValueNode): n is ValueGroup {
  return (n as ValueGroup).children !== undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Building blocks

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
const HOSTNAME = '^(([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)\\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$';
const CIDR = '^((\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}|[0-9a-fA-F:]+/\\d{1,3})$';
const CPU = '^([0-9]+m|[0-9]+(\\.[0-9]{1,3})?)$';
const MEMORY = '^[0-9]+(Ki|Mi|Gi|Ti)$';
const SECRET_KEY = '^[-._a-zA-Z0-9]{1,253}$';

/** Builds a values path reference for Go templates: `$.Values.a.b` (root-anchored, so it works inside range and with). */
export function valuesRef(path: string): string {
  return `$.Values.${path}`;
}

function get(values: Values, path: string): any {
  return path.split('.').reduce((v: any, k) => (v === undefined || v === null ? undefined : v[k]), values);
}

/** Whether a value counts as set (Go templates' truthiness: non-empty string, map, list; true; non-zero). */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

export const cond = {
  /** The value at `path` is set. */
  set: (path: string): Condition => ({ helm: valuesRef(path), js: (v) => truthy(get(v, path)) }),
  /** The value at `path` equals `value`. */
  eq: (path: string, value: string | boolean | number): Condition => ({
    helm: typeof value === 'string' ? `eq ${valuesRef(path)} ${JSON.stringify(value)}` : `eq ${valuesRef(path)} ${value}`,
    js: (v) => get(v, path) === value,
  }),
  /** An integer value is above `n`. */
  gt: (path: string, n: number): Condition => ({ helm: `gt (int ${valuesRef(path)}) ${n}`, js: (v) => Number(get(v, path)) > n }),
  and: (...cs: Condition[]): Condition => (cs.length === 1 ? cs[0] : {
    helm: `and ${cs.map((c) => `(${c.helm})`).join(' ')}`,
    js: (v) => cs.every((c) => c.js(v)),
  }),
  or: (...cs: Condition[]): Condition => (cs.length === 1 ? cs[0] : {
    helm: `or ${cs.map((c) => `(${c.helm})`).join(' ')}`,
    js: (v) => cs.some((c) => c.js(v)),
  }),
  not: (c: Condition): Condition => ({ helm: `not (${c.helm})`, js: (v) => !c.js(v) }),
};

function leaf(type: ValueType | ValueType[], def: unknown, description: string, probe: Probe, schema?: Record<string, unknown>): ValueLeaf {
  return { type, default: def, description, probe, schema };
}

function group(description: string, children: Record<string, ValueNode>, schema?: Record<string, unknown>, relevant?: Condition): ValueGroup {
  return { description, children, schema, relevant };
}

const CELERY = (): Condition => cond.eq('executor', 'CeleryExecutor');

const RESOURCES_SCHEMA = {
  additionalProperties: false,
  properties: {
    requests: {
      type: 'object', additionalProperties: false, description: 'Requests (cpu and memory are required).',
      properties: {
        cpu: { type: 'string', pattern: CPU, description: 'CPU request, e.g. 250m.' },
        memory: { type: 'string', pattern: MEMORY, description: 'Memory request, e.g. 512Mi.' },
        'ephemeral-storage': { type: 'string', pattern: MEMORY, description: 'Ephemeral storage request.' },
      },
      required: ['cpu', 'memory', 'ephemeral-storage'],
    },
    limits: {
      type: 'object', additionalProperties: false, description: 'Limits (memory is required).',
      properties: {
        cpu: { type: 'string', pattern: CPU, description: 'CPU limit (none by default: throttling hurts Airflow more than sharing).' },
        memory: { type: 'string', pattern: MEMORY, description: 'Memory limit.' },
        'ephemeral-storage': { type: 'string', pattern: MEMORY, description: 'Ephemeral storage limit.' },
      },
      required: ['memory', 'ephemeral-storage'],
    },
  },
  // Empty: the component default; otherwise requests (cpu, memory) and a memory limit.
  anyOf: [{ maxProperties: 0 }, { required: ['requests', 'limits'] }],
};

const OBJECT_MAP = { additionalProperties: { type: 'string' } };
const K8S_LIST = { items: { type: 'object' } };

/** Scheduling and customization keys every component has. */
function workloadKeys(defaults: { resources: string }, context: Values = {}): Record<string, ValueNode> {
  const yamlProbe = (value: unknown): Probe => ({ kind: 'yaml', value, context });
  return {
    resources: leaf('object', {}, `CPU, memory and ephemeral storage; empty: the component default (${defaults.resources}; ephemeral storage sized from its emptyDirs). Otherwise give requests (cpu, memory, ephemeral-storage) and limits (memory, ephemeral-storage).`,
      {
        kind: 'optional', context,
        value: { requests: { 'cpu': '333m', 'memory': '333Mi', 'ephemeral-storage': '33Mi' }, 'limits': { 'memory': '777Mi', 'ephemeral-storage': '777Mi' } },
        verify: { requests: { 'cpu': '1', 'memory': '1024Mi', 'ephemeral-storage': '1024Mi' }, 'limits': { 'cpu': '2', 'memory': '2048Mi', 'ephemeral-storage': '3072Mi' } },
      }, RESOURCES_SCHEMA),
    nodeSelector: leaf('object', {}, 'Node labels the pods must match.', yamlProbe({ 'probe/node': 'yes' }), OBJECT_MAP),
    tolerations: leaf('array', [], 'Tolerations of the pods.', yamlProbe([{ key: 'probe', operator: 'Exists', effect: 'NoSchedule' }]), K8S_LIST),
    affinity: leaf('object', {}, 'Affinity of the pods.', yamlProbe({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'probe', operator: 'Exists' }] }] } } })),
    topologySpreadConstraints: leaf('array', [], 'Topology spread constraints of the pods (give labelSelector explicitly).',
      yamlProbe([{ maxSkew: 1, topologyKey: 'probe', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { probe: 'yes' } } }]),
      { items: { type: 'object', required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable', 'labelSelector'] } }),
    priorityClassName: leaf('string', '', 'PriorityClass of the pods.', { kind: 'optional', value: 'probe-priority', context }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
    podAnnotations: leaf('object', {}, 'Extra pod annotations.', yamlProbe({ 'probe/annotation': 'yes' }), OBJECT_MAP),
    podLabels: leaf('object', {}, 'Extra pod labels (app.kubernetes.io/* are reserved).', yamlProbe({ 'probe/label': 'yes' }),
      { ...OBJECT_MAP, propertyNames: { not: { pattern: '^app\\.kubernetes\\.io/' } } }),
    extraEnv: leaf('array', [], 'Extra environment variables of the main container (use valueFrom.secretKeyRef for secrets).',
      yamlProbe([{ name: 'PROBE_ENV', value: 'yes' }]), { items: { type: 'object', required: ['name'] } }),
    extraVolumes: leaf('array', [], 'Extra pod volumes.', yamlProbe([{ name: 'probe-volume', emptyDir: {} }]), { items: { type: 'object', required: ['name'] } }),
    extraVolumeMounts: leaf('array', [], 'Extra volume mounts of the main container.', yamlProbe([{ name: 'probe-volume', mountPath: '/probe' }]),
      { items: { type: 'object', required: ['name', 'mountPath'] } }),
  };
}

function replicas(path: string, def: number, description: string, context: Values = {}, pdb = true): ValueLeaf {
  return leaf('integer', def, description, {
    kind: 'scalar', value: def > 1 ? 1 : 3, context,
    // More than one replica adds a PodDisruptionBudget.
    structural: pdb ? cond.gt(path, 1) : undefined,
  }, { minimum: 1 });
}

function image(path: string, repository: string, tag: string): ValueGroup {
  // The registry and digest probes run with a distinctive repository and tag (and registry), so the image
  // reference learnt in their branch templates every part; their forms include the separators they bring.
  const ctx = (extra: Values = {}) => setPath({}, path, { repository: 'ctxprobe/repository', tag: 'ctxprobe-tag', ...extra });
  return group(`Image of ${path.split('.').pop()}.`, {
    repository: leaf('string', repository, 'Repository.', { kind: 'scalar', value: `probe/${repository.replace('/', '-')}` },
      { pattern: '^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$' }),
    tag: leaf('string', tag, 'Tag (never latest).', { kind: 'scalar', value: 'probe-tag' },
      { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', not: { const: 'latest' } }),
    registry: leaf('string', '', 'Registry host[:port] in front of the repository; empty: as given (Docker Hub).', {
      kind: 'optional', value: 'probe-registry.example:5000', verify: 'registry.example.net', context: ctx(),
      forms: [{ helm: 'ternary (print %s "/") "" (ne %s "")', js: (v: string) => (v ? `${v}/` : '') }],
    }, { pattern: '^$|^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?$' }),
    digest: leaf('string', '', 'Content digest (sha256:...); when set it decides what runs.', {
      kind: 'optional', value: `sha256:${'ab'.repeat(32)}`, verify: `sha256:${'cd'.repeat(32)}`, context: ctx({ registry: 'ctxprobe-registry.example:5000' }),
      forms: [{ helm: 'ternary (print "@" %s) "" (ne %s "")', js: (v: string) => (v ? `@${v}` : '') }],
    }, { pattern: '^$|^sha256:[a-f0-9]{64}$' }),
    pullPolicy: leaf('string', 'IfNotPresent', 'Pull policy.', { kind: 'choice', values: ['Always', 'Never'] }, { enum: ['IfNotPresent', 'Always', 'Never'] }),
  });
}

// ---------------------------------------------------------------------------------------------------------
// The model

// Values the bases set are distinctive (and non-default, down to ports): where structure appears only under a
// combination of bases, the generator recognizes them in it and templates them (see generator.ts contextForms).
const EXTERNAL_DB = {
  postgres: { enabled: false },
  externalDatabase: {
    host: 'base-db.example.net', port: 5439, database: 'base_db_name', user: 'base_db_user',
    password: { existingSecret: 'base-db-password-secret', key: 'base-db-password-key' }, caCertificate: { existingSecret: 'base-db-ca-secret', key: 'base-db-ca.pem' },
  },
};
const EXTERNAL_REDIS = {
  redis: { enabled: false },
  externalRedis: { host: 'base-redis.example.net', port: 6389, databaseIndex: 13, password: { existingSecret: 'base-redis-password-secret' } },
};
const FLOWER = { flower: { enabled: true } };
const INGRESS = { ingress: { enabled: true, host: 'base-airflow.example.net', tls: { certManager: { issuer: 'base-issuer' } } } };

/**
 * A reference to a key of a Secret. Generated references: empty `existingSecret` means "generated once in the
 * cluster"; the `key` probe runs with `existingSecret` set, because generated Secrets use fixed keys.
 */
/** `existingSecret` paths of the Secrets the release generates when they are empty. */
export const GENERATED_SECRET_PATHS: string[] = [];

function ref(what: string, defaultKey: string, path: string, probeName: string, context: Values = {}, mode: 'generated' | 'required' | 'optional' = 'generated'): ValueGroup {
  if (mode === 'generated') GENERATED_SECRET_PATHS.push(`${path}.existingSecret`);
  const withSecret = mode !== 'required' ? mergeValues(context, setPath({}, `${path}.existingSecret`, probeName)) : context;
  const doc = {
    generated: `Existing Secret holding ${lower(what)}; empty: generated once in the cluster and kept across upgrades.`,
    required: `Existing Secret holding ${lower(what)} (required).`,
    optional: `Existing Secret holding ${lower(what)}; empty: none.`,
  }[mode];
  return group(`${what}.`, {
    existingSecret: leaf('string', '', doc,
      mode === 'required' ? { kind: 'scalar', value: probeName, context } : { kind: 'optional', value: probeName, context },
      { pattern: `^$|${DNS_SUBDOMAIN}` }),
    key: leaf('string', defaultKey, 'Key in that Secret.', { kind: 'scalar', value: `probe-${defaultKey}`, context: withSecret }, { pattern: SECRET_KEY }),
  });
}

/**
 * Schema of `config`: section and key names, scalar values, and what the constructs refuse (SECRET_KEYS,
 * OWNED_KEYS, secret-looking names), so that `helm lint` refuses them too (it ignores the chart's `fail`s).
 */
function configSchema(): Record<string, unknown> {
  const refused: Record<string, Record<string, unknown>> = {};
  const refuse = (path: string, why: string) => {
    const [section, key] = path.split('.');
    refused[section] ??= {};
    refused[section][key] = { not: {}, description: why };
  };
  for (const [path, use] of Object.entries(SECRET_KEYS)) refuse(path, `Holds a secret: use ${use}.`);
  for (const [path, use] of Object.entries(OWNED_KEYS)) refuse(path, `Managed by the chart: ${use}.`);
  const section = (props: Record<string, unknown> = {}) => ({
    type: 'object',
    properties: props,
    // Secret-looking names (their `_cmd` / `_secret` variants and `sensitive*` switches are fine).
    propertyNames: {
      pattern: '^[a-z0-9_]+$',
      not: { allOf: [{ pattern: SECRET_NAME.source }, { not: { pattern: '_(cmd|secret)$' } }, { not: { pattern: '^(hide_sensitive|sensitive)' } }] },
    },
    additionalProperties: { type: ['string', 'number', 'boolean'] },
  });
  return {
    propertyNames: { pattern: '^[a-z0-9_]+$' },
    properties: Object.fromEntries(Object.entries(refused).map(([k, props]) => [k, section(props)])),
    additionalProperties: section(),
  };
}

function lower(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------------------
// Authentication (src/config/auth.ts): how people log in to the FAB auth manager

const BUILTIN_ROLES = ['Admin', 'Op', 'User', 'Viewer', 'Public'];
/** Text that lands inside a Python string literal of webserver_config.py: no quote, backslash or control character. */
const NO_QUOTES = '[^"\\\\\\x00-\\x1f]';
/**
 * A role name, as roleSyncSpecs checks it (1-64 characters, no leading or trailing space), and without backslash or
 * control character: role names are printed as JSON, which must not hold escapes (see jsJson).
 */
const ROLE_NAME = '[^\\s\\\\\\x00-\\x1f]([^\\\\\\x00-\\x1f]{0,62}[^\\s\\\\\\x00-\\x1f])?';
/** `Admin|admin|ADMIN|...` without an inline flag (JSON-schema patterns are ECMA regexps, which have none). */
const anyCase = (s: string) => [...s].map((c) => `[${c.toUpperCase()}${c.toLowerCase()}]`).join('');
const DN_PART = `[A-Za-z][A-Za-z0-9.-]*=[^,"\\\\\\x00-\\x1f]+`;
/** A DN, as LdapDirectory checks it (no quote or backslash: the value is printed into a Python string). */
const DN = `^${DN_PART}(,\\s*${DN_PART})*$`;
const LDAP_URL = '^ldaps?://([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?$';
/** An https URL without a trailing slash (the constructs strip it). */
const HTTPS_URL = `^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s"'\\\\]*[^\\s"'\\\\/])?$`;
const LDAP_ATTRIBUTE = '^[A-Za-z][A-Za-z0-9-]{0,63}$';
const CLAIM = '^[A-Za-z0-9_:/.-]{1,128}$';
/** FAB's own provider names, which a generic provider may not take. */
const FAB_PROVIDERS = ['github', 'githublocal', 'twitter', 'linkedin', 'google', 'azure', 'openshift', 'okta', 'auth0', 'keycloak', 'keycloak_before_17', 'authentik'];

/** Login settings are environment variables: booleans as `true`/`false`. */
const ENV_BOOL: DerivedForm = { helm: 'ternary "true" "false" %s', js: (v: boolean) => String(v) };

/**
 * JSON as JavaScript's JSON.stringify writes it: Go's encoder also escapes <, >, &, U+2028 and U+2029, which the
 * values cannot otherwise contain escaped (no backslash is allowed in them).
 */
const jsJson = (pipeline: string) => `toJson ${pipeline} | replace "\\\\u003c" "<" | replace "\\\\u003e" ">" | replace "\\\\u0026" "&"`
  + ' | replace "\\\\u2028" "\\u2028" | replace "\\\\u2029" "\\u2029"';

/** `AUTH_ROLES_MAPPING` as the api-server's environment holds it: JSON with keys sorted like Helm's toJson sorts them. */
const ROLE_MAPPING: DerivedForm = { helm: jsJson('%s'), js: roleMappingJson };
/** `ROLES_SPEC` as the sync Job's environment holds it: the declared roles as JSON, keys sorted like Helm's toJson. */
const ROLES_SPEC: DerivedForm = { helm: jsJson('%s'), js: sortedJson };

/**
 * Schema of `auth.roles`: what roleSyncSpecs checks (src/config/auth-roles.ts), plus what keeps `ROLES_SPEC` the same
 * text in the chart and the constructs: no empty list (the constructs leave empty lists out), no backslash or
 * control character (see jsJson). Duplicate names, and roles that roleMapping or defaultRole name without declaring
 * them, are refused by the chart's validate template (a schema cannot compare values).
 */
function rolesSchema(): Record<string, unknown> {
  const text = '[^\\\\\\x00-\\x1f]';
  const dagGrant = {
    type: 'object', additionalProperties: false, required: ['access'],
    description: 'Access to DAGs named by id (dagIds) or by tag (tags), not both.',
    properties: {
      dagIds: { type: 'array', minItems: 1, description: 'DAG ids.', items: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,250}$' } },
      tags: {
        type: 'array', minItems: 1, description: 'DAG tags: every DAG carrying one of them, as found in the metadata database when the role sync runs.',
        items: { type: 'string', pattern: '^[^\\s,\\\\\\x00-\\x1f][^,\\\\\\x00-\\x1f]{0,99}$' },
      },
      access: { type: 'string', enum: Object.values(DagAccess), description: 'read (see the DAG, its runs, tasks, logs, code), edit (also pause, clear, mark), trigger (also trigger runs; FAB requires edit to trigger).' },
    },
    oneOf: [{ required: ['dagIds'] }, { required: ['tags'] }],
  };
  const permission = {
    type: 'object', additionalProperties: false, required: ['action', 'resource'], description: 'A FAB permission, granted globally.',
    properties: {
      action: { type: 'string', enum: FAB_ACTIONS, description: 'FAB action.' },
      resource: {
        type: 'string', minLength: 1, maxLength: 250, pattern: `^${text}+$`, not: { pattern: '^DAG( Run)?:' },
        description: 'FAB resource, e.g. Pools (per-DAG resources DAG:<id> and DAG Run:<id> come from dags).',
      },
    },
  };
  return {
    items: {
      type: 'object', additionalProperties: false, required: ['name'],
      properties: {
        name: {
          type: 'string', pattern: `^${ROLE_NAME}$`, not: { pattern: `^(${BUILTIN_ROLES.map(anyCase).join('|')})$` },
          description: 'Role name (1-64 characters; not a built-in role name, in any case).',
        },
        dags: { type: 'array', minItems: 1, items: dagGrant, description: 'Per-DAG access.' },
        permissions: { type: 'array', minItems: 1, items: permission, description: 'Further FAB permissions, granted globally.' },
      },
      anyOf: [{ required: ['dags'] }, { required: ['permissions'] }],
    },
  };
}

/** The scopes as the client requests them; empty: the provider's default. */
const scopes = (defaults: string[]): DerivedForm => ({
  helm: `join " " (%s | default (list ${defaults.map((s) => JSON.stringify(s)).join(' ')}))`,
  js: (v: string[]) => (v.length ? v : defaults).join(' '),
});

/**
 * What every login mode needs, so that each auth key's probe can run on every auth base (see PROBE_BASES): a
 * base sets only the mode and its structural switches, the probe's context the rest. The values are distinctive
 * (they occur nowhere else), so structure learnt under a base gets them templated.
 */
const AUTH_REQUIRED = {
  roleMapping: { 'cn=base-admins,ou=base-groups,dc=base,dc=net': ['Admin'] },
  ldap: { url: 'ldaps://base-ldap.example.net:6636', userBase: 'ou=base-people,dc=base,dc=net' },
  oidc: {
    clientId: 'base-oidc-client',
    clientSecret: { existingSecret: 'base-oidc-secret', key: 'base-client-pw' },
    generic: { discoveryUrl: 'https://base-sso.example.net:7443/.well-known/openid-configuration' },
    azureEntraId: { tenantId: 'base-tenant.example.net' },
    okta: { domain: 'base-okta.example.net' },
    keycloak: { url: 'https://base-keycloak.example.net:7444', realm: 'base-realm' },
  },
};
const AUTH_LDAP = { auth: { type: 'ldap', ...AUTH_REQUIRED } };
const AUTH_OIDC = { auth: { type: 'oidc', ...AUTH_REQUIRED } };
/** Complete values of each external login mode (e.g. where a combination of other choices is sampled with them). */
export const EXTERNAL_LOGINS: Values[] = [AUTH_LDAP, AUTH_OIDC];
const oidcWith = (provider: string): Values => mergeValues(AUTH_OIDC, { auth: { oidc: { provider } } });
// Secret keys too are distinctive: structure learnt under a combination of bases gets them templated.
const LDAP_BIND_SETTINGS = { auth: { ldap: { bindDn: 'cn=base-bind,ou=base-services,dc=base,dc=net', bindPassword: { existingSecret: 'base-ldap-bind', key: 'base-bind-pw' } } } };
const LDAP_CA_SETTINGS = { auth: { ldap: { caCertificate: { existingSecret: 'base-ldap-ca', key: 'base-ca-pem' } } } };
const LDAP_BIND = mergeValues(AUTH_LDAP, LDAP_BIND_SETTINGS);
const LDAP_CA = mergeValues(AUTH_LDAP, LDAP_CA_SETTINGS);
/** Declared roles bring the sync Job: every other key is probed again with it in place (its database settings). */
const CUSTOM_ROLES = { auth: { roles: [{ name: 'base-role', dags: [{ tags: ['base-tag'], access: 'edit' }] }] } };
/** Plain ldap:// (with startTls, or allowInsecureLdap). */
const LDAP_PLAIN = { auth: { ldap: { url: 'ldap://base-ldap-plain.example.net:3389' } } };

/** A login setting the api-server's environment holds as-is (or inside a URL). */
function authScalar(def: string, description: string, value: string, context: Values, pattern: string, verify?: string, schema: Record<string, unknown> = {}, forms?: DerivedForm[]): ValueLeaf {
  return leaf('string', def, description, { kind: 'scalar', value, context, verify, forms }, { pattern: def === '' ? `^$|${pattern}` : pattern, ...schema });
}

/** The port of an ldap(s):// URL (the NetworkPolicy egress to the directory). */
const LDAP_PORT: DerivedForm = {
  helm: 'int (default (ternary "636" "389" (hasPrefix "ldaps://" %s)) (trimPrefix ":" (regexFind ":[0-9]+$" %s)))',
  js: (v: string) => {
    const m = /:(\d+)$/.exec(v);
    return m ? Number(m[1]) : v.startsWith('ldaps://') ? 636 : 389;
  },
};
/** The port of an https:// URL (the NetworkPolicy egress to the identity provider). */
const HTTPS_PORT: DerivedForm = {
  helm: 'int (default "443" (trimPrefix ":" (regexFind ":[0-9]+$" (regexFind "^https://[^/]+" %s))))',
  js: (v: string) => {
    const m = /^https:\/\/[^/:]+:(\d+)/.exec(v);
    return m ? Number(m[1]) : 443;
  },
};

/**
 * The structures the login settings take (each mode and provider sets its own environment variables; a directory CA
 * and a search account add volumes, mounts and variables), so that every auth key is templated in each. Most set
 * only the switches: the auth keys' contexts bring the rest, and keys without such a context are refused there
 * (nothing to learn). LDAP with a CA and a search account is complete, so that every other key is probed with the
 * api-server's auth volumes and mounts in place too.
 */
const AUTH_BASES: Values[] = (() => {
  const ldap = (l: Values): Values => ({ auth: { type: 'ldap', ldap: l } });
  const startTls = { ...LDAP_PLAIN.auth.ldap, startTls: true };
  const insecure = { ...LDAP_PLAIN.auth.ldap, allowInsecureLdap: true };
  const ca = LDAP_CA_SETTINGS.auth.ldap;
  const bind = LDAP_BIND_SETTINGS.auth.ldap;
  return [
    AUTH_OIDC,
    { auth: { type: 'oidc', oidc: { provider: 'azureEntraId' } } },
    { auth: { type: 'oidc', oidc: { provider: 'okta' } } },
    { auth: { type: 'oidc', oidc: { provider: 'okta', okta: { authorizationServerId: 'ausbaseserver1' } } } },
    { auth: { type: 'oidc', oidc: { provider: 'keycloak' } } },
    ldap(ca), ldap(bind), mergeValues(AUTH_LDAP, { auth: { ldap: { ...ca, ...bind } } }),
    ldap(startTls), ldap(insecure),
  ];
})();

/** The auth keys: how people log in. */
export function authGroup(): ValueGroup {
  const isLdap = cond.eq('auth.type', 'ldap');
  const isOidc = cond.eq('auth.type', 'oidc');
  const provider = (p: string) => cond.and(isOidc, cond.eq('auth.oidc.provider', p));
  return group('How people log in (FAB auth manager): database users, an LDAP directory or OpenID Connect; groups map to roles.', {
    type: leaf('string', 'database', 'Login mode: database (users in the metadata database, the first one from adminUser), ldap or oidc.',
      { kind: 'choice', values: [{ value: 'ldap', with: AUTH_LDAP }, { value: 'oidc', with: AUTH_OIDC }] },
      { enum: ['database', 'ldap', 'oidc'] }),
    roleMapping: leaf('object', {}, 'LDAP and OIDC: group -> roles. Keys are LDAP group DNs (as the directory spells them) or values of the OIDC groups claim; roles are built-in roles (Admin, Op, User, Viewer, Public) or names declared in roles. ldap and oidc need roleMapping or defaultRole.',
      {
        kind: 'scalar', context: AUTH_LDAP, forms: [ROLE_MAPPING],
        value: { 'cn=probe-admins,ou=groups,dc=example,dc=org': ['Admin', 'Op'], 'cn=probe-viewers,ou=groups,dc=example,dc=org': ['Viewer'] },
        verify: { 'cn=probe-users,dc=example,dc=net': ['User'] },
      },
      {
        propertyNames: { minLength: 1, maxLength: 512, pattern: `^${NO_QUOTES}+$` },
        additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', pattern: `^${ROLE_NAME}$` } },
      }),
    syncRolesAtLogin: leaf('boolean', true, 'LDAP and OIDC: recompute a user\'s roles from their groups at every login (removing someone from a group removes the role at their next login).',
      { kind: 'scalar', value: false, context: AUTH_LDAP, forms: [ENV_BOOL] }),
    selfRegistration: leaf('boolean', true, 'LDAP and OIDC: create the Airflow user at first login; false: an administrator creates users beforehand.',
      { kind: 'scalar', value: false, context: AUTH_LDAP, forms: [ENV_BOOL] }),
    defaultRole: leaf('string', '', 'LDAP and OIDC: role every user gets besides the mapped ones, built-in or declared in roles (never Admin; needs selfRegistration); empty: a user whose groups map to no role is refused.',
      { kind: 'scalar', value: 'User', verify: 'Op', context: AUTH_LDAP },
      { pattern: `^$|^${ROLE_NAME}$`, not: { const: 'Admin' } }),
    roles: leaf('array', [], 'Custom roles, created and kept in sync (exactly the declared permissions) by the Job <release>-sync-roles-<hash>: each has a name and dags ([{dagIds: [...] or tags: [...], access: read|edit|trigger}]) or permissions ([{action, resource}]) or both. roleMapping and defaultRole may name them; roles no longer declared are left in the database.',
      {
        kind: 'optional', forms: [ROLES_SPEC],
        value: [
          { name: 'probe-role', dags: [{ dagIds: ['probe_dag', 'probe.dag-2'], access: 'read' }, { tags: ['probe tag'], access: 'trigger' }], permissions: [{ action: 'can_read', resource: 'Pools' }] },
          { name: 'probe-role-2', permissions: [{ action: 'can_edit', resource: 'Variables' }] },
        ],
        verify: [{ name: 'verify-role', dags: [{ access: 'edit', dagIds: ['verify_dag'] }] }],
      }, rolesSchema()),
    ldap: group('LDAP directory (auth.type ldap). TLS is required: ldaps://, or ldap:// with startTls; the certificate is always verified.', {
      url: authScalar('', 'Server URI, ldaps://host[:port] or ldap://host[:port] (required; ldap:// needs startTls or allowInsecureLdap).',
        'ldaps://probe-ldap.example.org:1636', AUTH_LDAP, LDAP_URL, 'ldaps://ldap2.example.net', {}, [LDAP_PORT]),
      startTls: leaf('boolean', false, 'Upgrade an ldap:// connection with StartTLS before any bind (not with ldaps://).',
        { kind: 'choice', values: [{ value: true, with: LDAP_PLAIN }], context: AUTH_LDAP }),
      allowInsecureLdap: leaf('boolean', false, 'Allow plain ldap:// without StartTLS: bind and user passwords cross the network in clear text. A relaxation of the secure defaults, warned about in NOTES.',
        { kind: 'choice', values: [{ value: true, with: LDAP_PLAIN }], context: AUTH_LDAP }),
      caCertificate: group('PEM CA certificate that signs the directory\'s certificate (mounted into the api-server only).', {
        existingSecret: leaf('string', '', 'Existing Secret holding the CA certificate; empty: the image\'s system trust store.',
          { kind: 'optional', value: 'probe-ldap-ca', context: AUTH_LDAP }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
        key: leaf('string', 'ca.crt', 'Key in that Secret.', { kind: 'scalar', value: 'probe-ca.pem', context: LDAP_CA }, { pattern: SECRET_KEY }),
      }),
      // Probed with bindPassword named: propsFromValues reads bindPassword only with a bindDn.
      bindDn: leaf('string', '', 'DN of the service account that searches the directory (with bindPassword); empty: users bind directly and search as themselves.',
        { kind: 'optional', value: 'cn=probe-bind,ou=services,dc=example,dc=org', verify: 'cn=airflow2,dc=example,dc=net', context: mergeValues(AUTH_LDAP, { auth: { ldap: { bindPassword: LDAP_BIND_SETTINGS.auth.ldap.bindPassword } } }) },
        { pattern: `^$|${DN}` }),
      bindPassword: group('Password of bindDn (mounted into the api-server only).', {
        existingSecret: leaf('string', '', 'Existing Secret holding the bind password (required with bindDn).',
          { kind: 'scalar', value: 'probe-ldap-bind', context: LDAP_BIND }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
        key: leaf('string', 'password', 'Key in that Secret.', { kind: 'scalar', value: 'probe-bind-password', context: LDAP_BIND }, { pattern: SECRET_KEY }),
      }),
      userBase: authScalar('', 'Base DN under which users are searched, e.g. ou=people,dc=example,dc=org (required).',
        'ou=probe-people,dc=example,dc=org', AUTH_LDAP, DN),
      usernameAttribute: authScalar('uid', 'Attribute holding the login name.', 'probeUid', AUTH_LDAP, LDAP_ATTRIBUTE),
      userObjectClass: authScalar('inetOrgPerson', 'Object class of user entries.', 'probePerson', AUTH_LDAP, LDAP_ATTRIBUTE),
      emailAttribute: authScalar('mail', 'Attribute holding the e-mail address.', 'probeMail', AUTH_LDAP, LDAP_ATTRIBUTE),
      firstNameAttribute: authScalar('givenName', 'Attribute holding the first name.', 'probeGiven', AUTH_LDAP, LDAP_ATTRIBUTE),
      lastNameAttribute: authScalar('sn', 'Attribute holding the last name.', 'probeSurname', AUTH_LDAP, LDAP_ATTRIBUTE),
      userGroupAttribute: authScalar('memberOf', 'Attribute of a user entry listing the DNs of its groups (memberOf overlay, Active Directory).',
        'probeMemberOf', AUTH_LDAP, LDAP_ATTRIBUTE),
      groupBase: leaf('string', '', 'Base DN of the groups: a user\'s groups are also searched there (directories without memberOf); roleMapping keys must then be under it. Empty: groups come from userGroupAttribute only.',
        { kind: 'optional', value: 'ou=base-groups,dc=base,dc=net', verify: 'dc=base,dc=net', context: AUTH_LDAP }, { pattern: `^$|${DN}` }),
      groupObjectClass: authScalar('groupOfNames', 'Object class of group entries.', 'probeGroup', AUTH_LDAP, LDAP_ATTRIBUTE),
      groupMemberAttribute: authScalar('member', 'Attribute of a group listing its members: a member DN (member, uniqueMember), or the login name with memberUid (posixGroup).',
        'probeMember', AUTH_LDAP, LDAP_ATTRIBUTE),
      cidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs the directory lives in: the api-server\'s NetworkPolicy egress, on the port of url.',
        { kind: 'list', value: ['10.7.0.0/16', '10.8.0.0/16'], context: AUTH_LDAP }, { items: { type: 'string', pattern: CIDR }, minItems: 1 }),
    }, undefined, isLdap),
    oidc: group('OpenID Connect (auth.type oidc): browser login through the provider, MFA as the provider enforces it.', {
      provider: leaf('string', 'generic', 'Provider: generic (any OpenID Connect provider with a discovery document), azureEntraId, okta or keycloak; each reads its settings from the key of its name.',
        { kind: 'choice', values: ['azureEntraId', 'okta', 'keycloak'], context: AUTH_OIDC }, { enum: ['generic', 'azureEntraId', 'okta', 'keycloak'] }),
      clientId: authScalar('', 'OAuth client id registered at the provider (required).', 'probe-client', AUTH_OIDC, '^[^\\s"\'\\\\]{1,256}$'),
      clientSecret: group('The OAuth client secret (mounted into the api-server only).', {
        existingSecret: leaf('string', '', 'Existing Secret holding the client secret (required).',
          { kind: 'scalar', value: 'probe-oidc-secret', context: AUTH_OIDC }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
        key: leaf('string', 'client-secret', 'Key in that Secret.', { kind: 'scalar', value: 'probe-client-secret', context: AUTH_OIDC }, { pattern: SECRET_KEY }),
      }),
      scopes: leaf('array', [], 'Scopes requested; empty: openid email profile (okta adds groups). A generic provider needs openid.',
        {
          kind: 'scalar', value: ['openid', 'email', 'probe-scope'], verify: ['openid', 'profile', 'offline_access'], context: AUTH_OIDC,
          forms: [scopes(['openid', 'email', 'profile']), scopes(['openid', 'email', 'profile', 'groups'])],
        },
        { items: { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$' } }),
      generic: group('provider generic: any OpenID Connect provider; users and groups come from the validated ID token.', {
        discoveryUrl: authScalar('', 'OpenID discovery document, https://.../.well-known/openid-configuration (required).',
          'https://probe-sso.example.org:8443/realms/probe/.well-known/openid-configuration', AUTH_OIDC, HTTPS_URL, 'https://sso2.example.net/.well-known/openid-configuration', {}, [HTTPS_PORT]),
        name: leaf('string', 'oidc', 'Provider name: the login button and the /auth/oauth-authorized/<name> redirect path.',
          { kind: 'scalar', value: 'probe-idp', context: AUTH_OIDC }, { pattern: '^[a-z][a-z0-9_-]{0,31}$', not: { enum: FAB_PROVIDERS } }),
        usernameClaim: authScalar('preferred_username', 'Claim holding the login name (dotted paths reach nested claims).', 'probe_login', AUTH_OIDC, CLAIM),
        groupsClaim: authScalar('groups', 'Claim holding the groups matched against roleMapping (dotted paths reach nested claims, e.g. realm_access.roles).',
          'probe.claim', AUTH_OIDC, CLAIM),
      }, undefined, provider('generic')),
      azureEntraId: group('provider azureEntraId: Microsoft Entra ID (FAB\'s azure provider).', {
        tenantId: authScalar('', 'Directory (tenant) id or domain (required; not common, organizations or consumers).',
          'probe-tenant.example.org', oidcWith('azureEntraId'), '^[A-Za-z0-9.-]{1,64}$', undefined, { not: { enum: ['common', 'organizations', 'consumers'] } }),
        rolesClaim: authScalar('roles', 'Claim of the ID token matched against roleMapping (app roles by default).', 'probe_roles', oidcWith('azureEntraId'), '^[A-Za-z0-9_.-]{1,128}$'),
      }, undefined, provider('azureEntraId')),
      okta: group('provider okta: Okta (FAB\'s okta provider; add the groups claim in Okta).', {
        domain: authScalar('', 'Okta domain, e.g. example.okta.com (required).', 'probe.okta.example.org', oidcWith('okta'), '^[A-Za-z0-9.-]{1,253}$'),
        authorizationServerId: leaf('string', '', 'Custom authorization server id; empty: the org authorization server.',
          { kind: 'optional', value: 'ausprobe1', verify: 'ausprobe2', context: oidcWith('okta') }, { pattern: '^$|^[A-Za-z0-9]{1,64}$' }),
      }, undefined, provider('okta')),
      keycloak: group('provider keycloak: Keycloak (FAB\'s keycloak provider; add a group-membership mapper).', {
        url: authScalar('', 'Keycloak base URL, e.g. https://sso.example.com (add /auth before Keycloak 17; required).',
          'https://probe-keycloak.example.org:9443', oidcWith('keycloak'), HTTPS_URL, 'https://kc2.example.net/auth', {}, [HTTPS_PORT]),
        realm: authScalar('', 'Realm (required).', 'probe-realm', oidcWith('keycloak'), '^[A-Za-z0-9_.-]{1,255}$'),
      }, undefined, provider('keycloak')),
      cidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs the provider lives in: the api-server\'s NetworkPolicy egress, on the provider\'s HTTPS port (443 or the port of its URL).',
        { kind: 'list', value: ['10.9.0.0/16', '10.10.0.0/16'], context: AUTH_OIDC }, { items: { type: 'string', pattern: CIDR }, minItems: 1 }),
    }, undefined, isOidc),
  });
}

export const VALUES_MODEL: ValueGroup = group('cdk8s-airflow values', {
  executor: leaf('string', 'CeleryExecutor', 'Airflow executor.', { kind: 'choice', values: ['LocalExecutor', 'KubernetesExecutor'] },
    { enum: ['CeleryExecutor', 'LocalExecutor', 'KubernetesExecutor'] }),
  images: group('Container images (pinned; never latest).', {
    airflow: image('images.airflow', 'apache/airflow', '3.3.2'),
    postgres: image('images.postgres', 'postgres', '17.11-bookworm'),
    redis: image('images.redis', 'redis', '7.4.11-bookworm'),
  }),
  imagePullSecrets: leaf('array', [], 'Secrets used to pull images, as `[{name: ...}]`.', { kind: 'yaml', value: [{ name: 'probe-pull' }] },
    { items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', pattern: DNS_SUBDOMAIN } } } }),
  config: leaf('object', {}, 'Non-secret Airflow settings, `{section: {key: value}}`, merged over the chart\'s; keys the chart owns and secrets are refused.',
    { kind: 'special', reason: 'rendered into airflow.cfg by the chart\'s config template' },
    configSchema()),
  dags: group('Where DAG files come from.', {
    persistentVolumeClaim: leaf('string', '', 'Existing PVC (ReadOnlyMany/ReadWriteMany) with the DAGs, mounted read-only; empty: DAGs baked into the image.',
      { kind: 'optional', value: 'probe-dags' }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
  }),
  secrets: group('Airflow\'s own secret keys; each is generated once in the cluster unless an existing Secret is named.', {
    fernetKey: ref('The Fernet key', 'fernet-key', 'secrets.fernetKey', 'probe-fernet'),
    jwtSecret: ref('The JWT signing secret', 'jwt-secret', 'secrets.jwtSecret', 'probe-jwt'),
    apiSecretKey: ref('The [api] secret_key', 'api-secret-key', 'secrets.apiSecretKey', 'probe-api-key'),
  }),
  apiServer: group('api-server (`airflow api-server`: UI, REST API, execution API).', {
    replicas: replicas('apiServer.replicas', 2, 'Number of pods.'),
    workers: leaf('integer', 1, 'Uvicorn worker processes per pod.', { kind: 'scalar', value: 3 }, { minimum: 1, maximum: 64 }),
    ...workloadKeys({ resources: 'cpu 250m, memory 1024Mi, limit 2048Mi' }),
  }),
  scheduler: group('Scheduler.', {
    replicas: replicas('scheduler.replicas', 2, 'Number of schedulers (active-active).'),
    ...workloadKeys({ resources: 'cpu 250m, memory 1024Mi, limit 2048Mi; with LocalExecutor cpu 500m, limit 4096Mi' }),
  }),
  dagProcessor: group('DAG processor.', {
    replicas: replicas('dagProcessor.replicas', 1, 'Number of pods.'),
    ...workloadKeys({ resources: 'cpu 250m, memory 1024Mi, limit 2048Mi' }),
  }),
  triggerer: group('Triggerer.', {
    replicas: replicas('triggerer.replicas', 1, 'Number of pods.'),
    ...workloadKeys({ resources: 'cpu 250m, memory 1024Mi, limit 2048Mi' }),
  }),
  workers: group('Celery workers (CeleryExecutor only).', {
    replicas: replicas('workers.replicas', 2, 'Number of worker pods.'),
    concurrency: leaf('integer', 16, 'Task slots per worker.', { kind: 'scalar', value: 7 }, { minimum: 1, maximum: 1024 }),
    terminationGracePeriodSeconds: leaf('integer', 600, 'Seconds a stopping worker may finish running tasks.', { kind: 'scalar', value: 1234 }, { minimum: 30, maximum: 86400 }),
    queues: leaf('array', ['default'], 'Queues the workers consume.', {
      kind: 'scalar', value: ['probe-q1', 'probe-q2'],
      forms: [{ helm: 'join "," %s', js: (v: string[]) => v.join(',') }],
    }, { items: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' }, minItems: 1 }),
    logVolumeSize: leaf('string', '5120Mi', 'Size of the emptyDir holding task logs, in Mi (the default ephemeral-storage limit adds /tmp and headroom to it).', {
      kind: 'scalar', value: '777Mi',
      // The workers' default ephemeral-storage limit: logs + /tmp (512Mi) + headroom (256Mi, or 1Gi with a writable root).
      forms: [
        { helm: 'printf "%dMi" (add 768 (trimSuffix "Mi" %s | int))', js: (v: string) => `${parseInt(v, 10) + 768}Mi` },
        { helm: 'printf "%dMi" (add 1536 (trimSuffix "Mi" %s | int))', js: (v: string) => `${parseInt(v, 10) + 1536}Mi` },
      ],
    }, { pattern: '^[0-9]+Mi$' }),
    ...workloadKeys({ resources: 'cpu 500m, memory 2048Mi, limit 4096Mi' }),
  }, undefined, CELERY()),
  flower: group('Flower, the Celery monitoring UI (CeleryExecutor only).', {
    enabled: leaf('boolean', false, 'Deploy Flower.', { kind: 'choice', values: [true] }),
    replicas: replicas('flower.replicas', 1, 'Number of pods.', FLOWER),
    username: ref('The basic-auth user name', 'username', 'flower.username', 'probe-flower-user', FLOWER),
    password: ref('The basic-auth password', 'password', 'flower.password', 'probe-flower-password', FLOWER),
    ...workloadKeys({ resources: 'cpu 100m, memory 256Mi, limit 512Mi' }, FLOWER),
  }, undefined, cond.and(CELERY(), cond.eq('flower.enabled', true))),
  postgres: group('Embedded PostgreSQL (a StatefulSet in the release).', {
    enabled: leaf('boolean', true, 'Run PostgreSQL in the release; false: use externalDatabase.', { kind: 'choice', values: [false], with: EXTERNAL_DB }),
    storageSize: leaf('string', '8192Mi', 'Size of the data volume.', { kind: 'scalar', value: '999Mi' }, { pattern: MEMORY }),
    storageClassName: leaf('string', '', 'StorageClass of the data volume; empty: the cluster default.', { kind: 'optional', value: 'probe-storage' }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
    password: ref('The database password', 'password', 'postgres.password', 'probe-pg-password'),
    ...workloadKeys({ resources: 'cpu 250m, memory 512Mi, limit 1024Mi' }),
  }, undefined, cond.eq('postgres.enabled', true)),
  externalDatabase: group('External PostgreSQL (used when postgres.enabled is false).', {
    host: leaf('string', '', 'DNS name or IP of the server (required).', { kind: 'scalar', value: 'probe-db.example.org', context: EXTERNAL_DB }, { pattern: `^$|${HOSTNAME}` }),
    port: leaf('integer', 5432, 'Port.', { kind: 'scalar', value: 15432, context: EXTERNAL_DB }, { minimum: 1, maximum: 65535 }),
    database: leaf('string', 'airflow', 'Database name.', { kind: 'scalar', value: 'probedb', context: EXTERNAL_DB }, { pattern: '^[A-Za-z_][A-Za-z0-9_$-]{0,62}$' }),
    user: leaf('string', 'airflow', 'User name.', { kind: 'scalar', value: 'probeuser', context: EXTERNAL_DB }, { pattern: '^[A-Za-z_][A-Za-z0-9_$-]{0,62}$' }),
    password: ref('The database password', 'password', 'externalDatabase.password', 'probe-extdb-password', EXTERNAL_DB, 'required'),
    sslMode: leaf('string', 'verify-full', 'libpq sslmode; verify-ca and verify-full need caCertificate, the others refuse it.', {
      kind: 'choice',
      values: [
        { value: 'require', with: { externalDatabase: { caCertificate: { existingSecret: '' } } } },
        { value: 'disable', with: { externalDatabase: { caCertificate: { existingSecret: '' } } } },
        'verify-ca',
      ],
      context: EXTERNAL_DB,
    }, { enum: ['disable', 'require', 'verify-ca', 'verify-full'] }),
    caCertificate: ref('The CA certificate (PEM) for verify-ca/verify-full', 'ca.crt', 'externalDatabase.caCertificate', 'probe-db-ca', EXTERNAL_DB, 'required'),
    cidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs the server lives in (NetworkPolicy egress).', { kind: 'list', value: ['10.1.0.0/16', '10.2.0.0/16'], context: EXTERNAL_DB },
      { items: { type: 'string', pattern: CIDR }, minItems: 1 }),
  }, undefined, cond.eq('postgres.enabled', false)),
  redis: group('Embedded Redis, the Celery broker and result backend (CeleryExecutor only).', {
    enabled: leaf('boolean', true, 'Run Redis in the release; false: use externalRedis.', { kind: 'choice', values: [false], with: EXTERNAL_REDIS }),
    password: ref('The Redis password', 'password', 'redis.password', 'probe-redis-password'),
    ...workloadKeys({ resources: 'cpu 100m, memory 256Mi, limit 512Mi' }),
  }, undefined, cond.and(CELERY(), cond.eq('redis.enabled', true))),
  externalRedis: group('External Redis (used when redis.enabled is false).', {
    host: leaf('string', '', 'DNS name or IP of the server (required).', { kind: 'scalar', value: 'probe-redis.example.org', context: EXTERNAL_REDIS }, { pattern: `^$|${HOSTNAME}` }),
    port: leaf('integer', 6379, 'Port.', { kind: 'scalar', value: 16379, context: EXTERNAL_REDIS }, { minimum: 1, maximum: 65535 }),
    password: ref('The Redis password', 'password', 'externalRedis.password', 'probe-extredis-password', EXTERNAL_REDIS, 'required'),
    tls: leaf('boolean', true, 'Connect with TLS (rediss://).', { kind: 'choice', values: [false], with: { externalRedis: { caCertificate: { existingSecret: '' } } }, context: EXTERNAL_REDIS }),
    caCertificate: ref('The CA certificate (PEM) of the server; empty: the system CAs', 'ca.crt', 'externalRedis.caCertificate', 'probe-redis-ca', EXTERNAL_REDIS, 'optional'),
    databaseIndex: leaf('integer', 0, 'Database index of the broker; results use the next one.', {
      kind: 'scalar', value: 5, context: EXTERNAL_REDIS, forms: [{ helm: 'add1 (int %s)', js: (v: number) => v + 1 }],
    }, { minimum: 0, maximum: 14 }),
    cidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs the server lives in (NetworkPolicy egress).', { kind: 'list', value: ['10.3.0.0/16', '10.4.0.0/16'], context: EXTERNAL_REDIS },
      { items: { type: 'string', pattern: CIDR }, minItems: 1 }),
  }, undefined, cond.and(CELERY(), cond.eq('redis.enabled', false))),
  adminUser: group('The first admin user (database login only: LDAP and OIDC logins do not check database passwords).', {
    enabled: leaf('boolean', true, 'Create the admin user with auth.type database (never with a default password).', { kind: 'choice', values: [false] }),
    username: ref('The admin user name', 'username', 'adminUser.username', 'probe-admin-user'),
    password: ref('The admin password', 'password', 'adminUser.password', 'probe-admin-password'),
    email: leaf('string', 'admin@example.com', 'E-mail.', { kind: 'scalar', value: 'probe@example.org' }, { pattern: '^[^\\s@\'"]+@[^\\s@\'"]+$' }),
    firstName: leaf('string', 'Airflow', 'First name.', { kind: 'scalar', value: 'Probefirst' }, { pattern: '^[\\p{L}\\p{N} ._-]{1,64}$' }),
    lastName: leaf('string', 'Admin', 'Last name.', { kind: 'scalar', value: 'Probelast' }, { pattern: '^[\\p{L}\\p{N} ._-]{1,64}$' }),
  }, undefined, cond.and(cond.eq('adminUser.enabled', true), cond.eq('auth.type', 'database'))),
  auth: authGroup(),
  ingress: group('Ingress of the api-server (TLS only).', {
    enabled: leaf('boolean', false, 'Create the Ingress (requires host and a TLS source).', { kind: 'choice', values: [true], with: INGRESS }),
    host: leaf('string', '', 'Public host name, e.g. airflow.example.com.', { kind: 'scalar', value: 'probe.example.org', context: INGRESS }, { pattern: `^$|${HOSTNAME}` }),
    className: leaf('string', '', 'IngressClass; empty: the cluster default. With nginx the HTTPS redirect is forced.',
      { kind: 'choice', values: ['nginx', 'probe-class'], context: INGRESS }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
    annotations: leaf('object', {}, 'Extra annotations.', { kind: 'yaml', value: { 'probe/annotation': 'yes' }, context: INGRESS }, OBJECT_MAP),
    tls: group('TLS certificate source: an existing Secret, or cert-manager.', {
      secretName: leaf('string', '', 'Existing kubernetes.io/tls Secret (wins over certManager).', { kind: 'optional', value: 'probe-tls', context: INGRESS }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
      certManager: group('cert-manager issuing `<release>-tls`.', {
        issuer: leaf('string', '', 'Issuer name.', { kind: 'scalar', value: 'probe-issuer', context: INGRESS }, { pattern: `^$|${DNS_SUBDOMAIN}` }),
        kind: leaf('string', 'ClusterIssuer', 'Issuer kind.', { kind: 'choice', values: ['Issuer'], context: INGRESS },
          { enum: ['ClusterIssuer', 'Issuer'] }),
      }),
    }),
    controllerNamespaceLabels: leaf('object', { 'kubernetes.io/metadata.name': 'ingress-nginx' }, 'Labels of the ingress controller\'s namespace (only it may reach the api-server).',
      { kind: 'yaml', value: { 'probe/ns': 'yes' }, context: INGRESS }, { ...OBJECT_MAP, minProperties: 1 }),
  }, undefined, cond.eq('ingress.enabled', true)),
  networkPolicy: group('NetworkPolicies: default deny plus one allow per real connection.', {
    enabled: leaf('boolean', true, 'Create NetworkPolicies (false is a relaxation, warned about in NOTES).', { kind: 'choice', values: [false] }),
    taskEgressCidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs task-running pods may reach on any port; empty confines tasks to the release.',
      { kind: 'list', value: ['10.5.0.0/16', '10.6.0.0/16'], whenEmpty: { helm: valuesRef('networkPolicy.taskEgressCidrs'), js: (v) => truthy(get(v, 'networkPolicy.taskEgressCidrs')) } },
      { items: { type: 'string', pattern: CIDR } }),
    dnsNamespaceLabels: leaf('object', { 'kubernetes.io/metadata.name': 'kube-system' }, 'Labels of the cluster DNS namespace.', { kind: 'yaml', value: { 'probe/dns-ns': 'yes' } }, { ...OBJECT_MAP, minProperties: 1 }),
    dnsPodLabels: leaf('object', { 'k8s-app': 'kube-dns' }, 'Labels of the cluster DNS pods.', { kind: 'yaml', value: { 'probe/dns': 'yes' } }, { ...OBJECT_MAP, minProperties: 1 }),
  }),
  security: group('Explicit relaxations of the security defaults (each is warned about in NOTES).', {
    writableRootFilesystem: leaf('boolean', false, 'Let containers write to their root filesystem.', { kind: 'choice', values: [true] }),
  }),
  jobs: group('The release\'s Jobs (migrations, admin user, secrets).', {
    ttlSecondsAfterFinished: leaf(['integer', 'null'], null, 'Delete finished Jobs after this many seconds; null keeps them (right for Argo CD and Flux).',
      { kind: 'optional', value: 3600, when: { helm: 'not (kindIs "invalid" $.Values.jobs.ttlSecondsAfterFinished)', js: (v) => getPath(v, 'jobs.ttlSecondsAfterFinished') !== null && getPath(v, 'jobs.ttlSecondsAfterFinished') !== undefined } },
      { minimum: 0 }),
  }),
});

/**
 * Choices that bring structure of their own (a component, a branch of a connection string, a task pod
 * template). The Helm generator probes every key again on each, so a value is templated wherever it lands.
 */
export const PROBE_BASES: Values[] = [
  { executor: 'LocalExecutor' },
  { executor: 'KubernetesExecutor' },
  FLOWER,
  EXTERNAL_DB,
  mergeValues(EXTERNAL_DB, { externalDatabase: { sslMode: 'require', caCertificate: { existingSecret: '' } } }),
  mergeValues(EXTERNAL_DB, { externalDatabase: { sslMode: 'verify-ca' } }),
  EXTERNAL_REDIS,
  mergeValues(EXTERNAL_REDIS, { externalRedis: { tls: false } }),
  mergeValues(EXTERNAL_REDIS, { externalRedis: { caCertificate: { existingSecret: 'base-redis-ca-secret' } } }),
  INGRESS,
  mergeValues(INGRESS, { ingress: { className: 'nginx', tls: { secretName: 'base-tls-secret' } } }),
  { security: { writableRootFilesystem: true } },
  ...AUTH_BASES,
  CUSTOM_ROLES,
];

// ---------------------------------------------------------------------------------------------------------
// Helpers over the model

/**
 * Deep copy of JSON data. Not `structuredClone`: under jest it returns objects of another realm, which cdk8s then
 * does not see as plain objects (their fields vanish from synthesized manifests).
 */
export function jsonClone<T>(x: T): T {
  return x === undefined ? x : JSON.parse(JSON.stringify(x));
}

/** Sets a dotted path in a (copied) values object. */
export function setPath(values: Values, path: string, value: unknown): Values {
  const out: Values = jsonClone(values);
  const keys = path.split('.');
  let o = out;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== 'object' || o[k] === null || Array.isArray(o[k])) o[k] = {};
    o = o[k];
  }
  o[keys[keys.length - 1]] = jsonClone(value);
  return out;
}

/** Reads a dotted path. */
export function getPath(values: Values, path: string): any {
  return get(values, path);
}

/** Deep-merges maps (lists and scalars of `over` replace), like Helm merges values files. */
export function mergeValues(base: Values, over: Values): Values {
  const out: Values = jsonClone(base);
  for (const [k, v] of Object.entries(over)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' && !Array.isArray(out[k])) {
      out[k] = mergeValues(out[k], v);
    } else {
      out[k] = jsonClone(v);
    }
  }
  return out;
}

/** Every leaf with its dotted path, in declaration order, and when its group is used at all. */
export function leaves(node: ValueGroup = VALUES_MODEL, prefix = '', relevant: Condition[] = []): { path: string; leaf: ValueLeaf; relevant?: Condition }[] {
  const out: { path: string; leaf: ValueLeaf; relevant?: Condition }[] = [];
  const here = node.relevant ? [...relevant, node.relevant] : relevant;
  for (const [k, n] of Object.entries(node.children)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isGroup(n)) out.push(...leaves(n, path, here));
    // A group's own switch (e.g. postgres.enabled) is always relevant.
    else out.push({ path, leaf: n, relevant: here.length && k !== 'enabled' ? cond.and(...here) : undefined });
  }
  return out;
}

/** The default values (what values.yaml holds). */
export function defaultValues(node: ValueGroup = VALUES_MODEL): Values {
  const out: Values = {};
  for (const [k, n] of Object.entries(node.children)) {
    out[k] = isGroup(n) ? defaultValues(n) : jsonClone(n.default);
  }
  return out;
}
