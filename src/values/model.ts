import { ImageIdentity } from '../security/pod-security';
import {
  chartSecretVariantMessage, chartSettingMessage, CONFIG_TEXT, emptyAllowed, retiredMessage, SECRET_NAME, sensitiveMessage, TYPE_WORDS,
  unknownKeyText, unknownSectionText,
} from '../config/airflow-config';
import { AIRFLOW_REFERENCE, ReferenceOption, ReferenceType, retiredSections, SENSITIVE_VARIANTS, splitPath } from '../config/config-reference';
import { DagAccess, FAB_ACTIONS } from '../config/auth';
import { PG_IDENTIFIER } from '../config/database';

/**
 * The ONE values model: every Helm value is declared here once, with its type, default, constraints and doc.
 * values.yaml, values.schema.json, the chart README table and the TypeScript mapping (`propsFromValues`) all derive
 * from it; the chart's templates read the values through src/values/inputs.ts.
 */

/** JSON-schema type of a value. */
export type ValueType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

/** A leaf value. */
export interface ValueLeaf {
  readonly type: ValueType | ValueType[];
  readonly default: unknown;
  readonly description: string;
  /** Extra JSON-schema keywords (enum, minimum, pattern, items, ...). */
  readonly schema?: Record<string, unknown>;
}

/** A group of values (a nested map in values.yaml). */
export interface ValueGroup {
  readonly description: string;
  readonly children: Record<string, ValueNode>;
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

/**
 * Lengths are maxLength, not bounded repetitions in patterns: Go's regexp (Helm's schema validator) unrolls
 * `{0,251}` into 251 copies of the class, and Helm compiles every pattern of values.schema.json twice per render, so
 * these three patterns (48 uses) were most of the schema's cost in `helm template` (about 30 ms of CPU per render).
 */
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
/** A DNS subdomain name (RFC 1123: at most 253 characters), optionally empty. */
const dnsName = (optional = true) => ({ pattern: optional ? `^$|${DNS_SUBDOMAIN}` : DNS_SUBDOMAIN, maxLength: 253 });
const HOSTNAME = '^(([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)\\.)*[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$';
const CIDR = '^((\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}|[0-9a-fA-F:]+/\\d{1,3})$';
const CPU = '^([0-9]+m|[0-9]+(\\.[0-9]{1,3})?)$';
const MEMORY = '^[0-9]+(Ki|Mi|Gi|Ti)$';
/** A key of a Secret (1-253 characters). */
const SECRET_KEY = { pattern: '^[-._a-zA-Z0-9]+$', maxLength: 253 };

function leaf(type: ValueType | ValueType[], def: unknown, description: string, schema?: Record<string, unknown>): ValueLeaf {
  return { type, default: def, description, schema };
}

function group(description: string, children: Record<string, ValueNode>, schema?: Record<string, unknown>): ValueGroup {
  return { description, children, schema };
}

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
/**
 * A Kubernetes object checked against its definition (core/v1 `name`) in values.schema.json's `definitions`
 * (src/values/k8s-definitions.json, extracted from the Kubernetes OpenAPI by test/validate/k8s-definitions.ts).
 * Wrapped in an allOf: draft-07 ignores the siblings of a `$ref` (the leaf's type, description and default).
 */
const k8sObject = (name: string) => ({ allOf: [{ $ref: `#/definitions/io.k8s.api.core.v1.${name}` }] });
/** A list of Kubernetes objects of the core/v1 definition `name`. */
const k8sList = (name: string) => ({ items: { $ref: `#/definitions/io.k8s.api.core.v1.${name}` } });

/** Extra containers: Kubernetes Containers with a name, an image and resources, and no securityContext (the chart's). */
const EXTRA_CONTAINER = {
  allOf: [
    { $ref: '#/definitions/io.k8s.api.core.v1.Container' },
    {
      required: ['name', 'image', 'resources'],
      properties: {
        resources: RESOURCES_SCHEMA,
        securityContext: refused('the chart sets the securityContext of extra containers (the pod user, read-only root, no privilege escalation, no capabilities); mount an emptyDir from extraVolumes where the container writes'),
      },
    },
  ],
};
/** A list of extra containers: one shared definition (`extraContainer`), referenced by every component's two lists. */
const EXTRA_CONTAINERS = { items: { $ref: '#/definitions/extraContainer' } };
/**
 * A value the schema refuses with a reason: Helm prints only the failed keyword, and for `const` that is the expected
 * value (`at '/config/core/executor': value must be '(refused: ...)'`); `maxLength: 0` refuses the message itself (it
 * is never empty), so nothing passes. (`not: {}` would too, but it is one more subschema for Helm to compile, and the
 * chart has hundreds of refusals.) Helm escapes ' in its output, so the reason uses ".
 */
export function refused(why: string): Record<string, unknown> {
  return { const: `(refused: ${why.replace(/'/g, '"')})`, maxLength: 0, description: why };
}

/** Refuses the values that match `match`, with the reason in helm's message. */
function refuseWhen(match: Record<string, unknown>, why: string): Record<string, unknown> {
  return { if: match, then: refused(why) };
}

/** Label or annotation keys the chart sets itself: refused with the reason. */
const RESERVED = (pattern: string, why: string) => ({ patternProperties: { [pattern]: refused(why) } });

/** Scheduling and customization keys every component has. */
function workloadKeys(defaults: { resources: string }): Record<string, ValueNode> {
  return {
    resources: leaf('object', {}, `CPU, memory and ephemeral storage; empty: the component default (${defaults.resources}; ephemeral storage sized from its emptyDirs). Otherwise give requests (cpu, memory, ephemeral-storage) and limits (memory, ephemeral-storage).`,
      RESOURCES_SCHEMA),
    nodeSelector: leaf('object', {}, 'Node labels the pods must match.', OBJECT_MAP),
    tolerations: leaf('array', [], 'Tolerations of the pods.', k8sList('Toleration')),
    affinity: leaf('object', {}, 'Affinity of the pods. Without a podAntiAffinity of yours, a component running more than one replica gets a preferred anti-affinity across nodes.',
      k8sObject('Affinity')),
    topologySpreadConstraints: leaf('array', [], 'Topology spread constraints of the pods (give labelSelector explicitly).',
      { items: { ...k8sObject('TopologySpreadConstraint'), required: ['labelSelector'] } }),
    priorityClassName: leaf('string', '', 'PriorityClass of the pods.', dnsName()),
    podAnnotations: leaf('object', {}, 'Extra pod annotations (checksum/* are the chart\'s).',
      { ...OBJECT_MAP, ...RESERVED('^checksum/', 'checksum/* annotations belong to the chart: they roll the pods when the configuration changes') }),
    podLabels: leaf('object', {}, 'Extra pod labels (app.kubernetes.io/* are the chart\'s).',
      { ...OBJECT_MAP, ...RESERVED('^app\\.kubernetes\\.io/', 'app.kubernetes.io/* labels belong to the chart: they select the pods') }),
    extraEnv: leaf('array', [], 'Extra environment variables of the main container, after the chart\'s (use valueFrom.secretKeyRef for secrets).',
      k8sList('EnvVar')),
    extraVolumes: leaf('array', [], 'Extra pod volumes.', k8sList('Volume')),
    extraVolumeMounts: leaf('array', [], 'Extra volume mounts of the main container.', k8sList('VolumeMount')),
    extraContainers: leaf('array', [], 'Sidecar containers of each pod. The chart sets their securityContext (the pod\'s user, read-only root, no privilege escalation, no capabilities); each needs name, image and resources (requests cpu, memory, ephemeral-storage; limits memory, ephemeral-storage).',
      EXTRA_CONTAINERS),
    extraInitContainers: leaf('array', [], 'Init containers run after the component\'s own, hardened and sized like extraContainers.', EXTRA_CONTAINERS),
  };
}

function replicas(def: number, description: string, minimum = 1): ValueLeaf {
  return leaf('integer', def, description, { minimum });
}

function image(name: string, repository: string, tag: string, registry = ''): ValueGroup {
  return group(`Image of ${name}.`, {
    repository: leaf('string', repository, 'Repository.', { pattern: '^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$' }),
    tag: leaf('string', tag, 'Tag (never latest).', { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$', ...refuseWhen({ const: 'latest' }, 'latest moves under you: pin a version tag or a digest') }),
    registry: leaf('string', registry, 'Registry host[:port] in front of the repository; empty: as given (Docker Hub).',
      { pattern: '^$|^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?(:[0-9]+)?$' }),
    digest: leaf('string', '', 'Content digest (sha256:...); when set it decides what runs.', { pattern: '^$|^sha256:[a-f0-9]{64}$' }),
    pullPolicy: leaf('string', 'IfNotPresent', 'Pull policy.', { enum: ['IfNotPresent', 'Always', 'Never'] }),
  });
}

/** A Secret the release generates when none is named: `<path>.existingSecret` and the key a generated one uses. */
export interface GeneratedSecretRef {
  readonly path: string;
  readonly defaultKey: string;
}

/** Every Secret reference the release generates when it is not named (the schema keeps their key at the default then). */
export const GENERATED_SECRETS: GeneratedSecretRef[] = [];

/** A reference to a key of a Secret: generated once in the cluster when not named, required, or optional. */
function ref(what: string, defaultKey: string, path: string, mode: 'generated' | 'required' | 'optional' = 'generated'): ValueGroup {
  if (mode === 'generated') GENERATED_SECRETS.push({ path, defaultKey });
  const doc = {
    generated: `Existing Secret holding ${lower(what)}; empty: generated once in the cluster and kept across upgrades.`,
    required: `Existing Secret holding ${lower(what)} (required).`,
    optional: `Existing Secret holding ${lower(what)}; empty: none.`,
  }[mode];
  return group(`${what}.`, {
    existingSecret: leaf('string', '', doc, dnsName()),
    key: leaf('string', defaultKey, mode === 'generated' ? `Key in that Secret (a generated Secret uses ${defaultKey}).` : 'Key in that Secret.', SECRET_KEY),
  });
}

/** A value Airflow parses as `type` ('' too where Airflow's default is none), reported as `value must be 'an integer'`. */
function typed(type: Exclude<ReferenceType, 'string'>, empty: boolean): Record<string, unknown> {
  const text = { type: 'string', pattern: empty ? `^$|${CONFIG_TEXT[type]}` : CONFIG_TEXT[type] };
  const words = `${TYPE_WORDS[type]}${empty ? ' or empty (none)' : ''}`;
  return { if: { not: { anyOf: [{ type: type === 'float' ? 'number' : type }, text] } }, then: { const: words, maxLength: 0 } };
}

const definition = (name: string) => ({ $ref: `#/definitions/${name}` });
const SCALAR = { type: ['string', 'number', 'boolean'] };
const SECTION_NAME = '^[a-z0-9_]+([.][a-z0-9_]+)*$';
/** Secret-looking names (their `_cmd` / `_secret` variants and `sensitive*` switches are fine). */
const SECRET_LIKE_NAMES = {
  pattern: '^[a-z0-9_]+$',
  not: { allOf: [{ pattern: SECRET_NAME.source }, { not: { pattern: '_(cmd|secret)$' } }, { not: { pattern: '^(hide_sensitive|sensitive)' } }] },
};

/** values.schema.json's shared definitions: the value types of Airflow's settings, and an extra container. */
export const SCHEMA_DEFINITIONS: Record<string, unknown> = {
  'extraContainer': EXTRA_CONTAINER,
  'config.string': SCALAR,
  'config.notSecretLike': SECRET_LIKE_NAMES,
  ...Object.fromEntries((['integer', 'float', 'boolean'] as const).flatMap((t) => [[`config.${t}`, typed(t, false)], [`config.${t}OrEmpty`, typed(t, true)]])),
  'config.inReference': refused('the Airflow configuration reference describes this key; set it in config, where it is checked'),
  // Renamed, removed and deprecated settings, refused in config and extraConfig alike.
  ...Object.fromEntries(retiredPaths().map(([section, key]) => [`config.retired.${section}.${key}`, refused(retiredMessage('', section, key, 'values')!)])),
};

/** Every `[section, key]` Airflow renamed, removed or deprecated, and still describes or not. */
function retiredPaths(): [string, string][] {
  const inPlace = Object.entries(AIRFLOW_REFERENCE.sections)
    .flatMap(([section, s]) => Object.entries(s.options).filter(([, o]) => o.deprecated).map(([key]): [string, string] => [section, key]));
  return [...Object.keys(AIRFLOW_REFERENCE.retired).map(splitPath), ...inPlace].sort((a, b) => `${a}`.localeCompare(`${b}`));
}

/**
 * The schema of each setting of a known section in `config`, and of the names its section retired. The settings that
 * share a value schema are one `patternProperties` entry (`^(parallelism|...)$`), not one property each: Helm's
 * compiler pays for every subschema it is given (one pattern is cheaper than 100 properties); the refusals, each with its own reason, stay
 * properties.
 */
function configSectionSchema(section: string): Record<string, unknown> {
  const properties: Record<string, unknown> = retiredKeys(section);
  const byDefinition = new Map<string, string[]>();
  const accept = (key: string, name: string) => byDefinition.set(name, [...(byDefinition.get(name) ?? []), key]);
  for (const [key, option] of Object.entries(AIRFLOW_REFERENCE.sections[section].options)) {
    const known = knownKeySchema(section, key, option);
    if (typeof known === 'string') accept(key, known);
    else properties[key] = known;
    if (option.sensitive) {
      for (const suffix of SENSITIVE_VARIANTS) {
        const variant = `${key}${suffix}`;
        const chartSecret = chartSecretVariantMessage('config', section, variant, 'values');
        if (chartSecret) properties[variant] = refused(chartSecret);
        else accept(variant, 'config.string');
      }
    }
  }
  const patternProperties = Object.fromEntries([...byDefinition].sort(([a], [b]) => a.localeCompare(b))
    .map(([name, keys]) => [namesPattern(keys), definition(name)]));
  return { type: 'object', properties, patternProperties, additionalProperties: refused(unknownKeyText(section)) };
}

/** A pattern matching exactly `names` (one alternation; Airflow's names hold no regex metacharacter but `.` or `-`). */
function namesPattern(names: string[]): string {
  return `^(${[...names].sort().map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
}

/** A refusal, or the name of the shared definition of the setting's values. */
function knownKeySchema(section: string, key: string, option: ReferenceOption): Record<string, unknown> | string {
  const chart = chartSettingMessage('config', `${section}.${key}`, 'values');
  if (chart) return refused(chart);
  if (option.deprecated) return retiredRef(section, key);
  if (option.sensitive) return refused(sensitiveMessage('config', section, key));
  return option.type === 'string' ? 'config.string' : `config.${option.type}${emptyAllowed(option) ? 'OrEmpty' : ''}`;
}

const retiredRef = (section: string, key: string) => definition(`config.retired.${section}.${key}`);

/** Refusals of the renamed and removed names of a section (shared definitions), each naming its replacement. */
function retiredKeys(section: string): Record<string, unknown> {
  return Object.fromEntries(Object.keys(AIRFLOW_REFERENCE.retired).map(splitPath).filter(([s]) => s === section)
    .map(([, key]) => [key, retiredRef(section, key)]));
}

/**
 * Schema of `config`, generated from Airflow's configuration reference like the constructs' checks
 * (src/config/airflow-config.ts): every known section closed, each key typed, and refusals that say why (unknown
 * sections and keys, renamed, removed and deprecated settings, secrets, keys the chart owns), so that `helm lint`
 * refuses them too (it ignores the chart's `fail`s).
 */
function configSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const section of Object.keys(AIRFLOW_REFERENCE.sections)) properties[section] = configSectionSchema(section);
  for (const section of retiredSections().keys()) {
    properties[section] = { type: 'object', properties: retiredKeys(section), additionalProperties: refused(unknownSectionText(section)) };
  }
  return { propertyNames: { pattern: SECTION_NAME }, properties, additionalProperties: refused(unknownSectionText()) };
}

/**
 * Schema of `extraConfig`: what Airflow's reference does not describe, so keys it describes are refused (they belong
 * in config), as are secrets, secret-looking names and keys the chart owns. The described keys are one pattern per
 * section, not properties: editors must not offer them here.
 */
function extraConfigSchema(): Record<string, unknown> {
  const section = (name: string): Record<string, unknown> => {
    const properties: Record<string, unknown> = retiredKeys(name);
    const described: string[] = [];
    for (const [key, option] of Object.entries(AIRFLOW_REFERENCE.sections[name]?.options ?? {})) {
      const chart = chartSettingMessage('extraConfig', `${name}.${key}`, 'values');
      if (chart) properties[key] = refused(chart);
      else if (option.deprecated) properties[key] = retiredRef(name, key);
      else described.push(key);
      for (const suffix of option.sensitive ? SENSITIVE_VARIANTS : []) {
        const variant = chartSecretVariantMessage('extraConfig', name, `${key}${suffix}`, 'values');
        if (variant) properties[`${key}${suffix}`] = refused(variant);
        else described.push(`${key}${suffix}`);
      }
    }
    return {
      type: 'object',
      propertyNames: definition('config.notSecretLike'),
      properties,
      ...(described.length ? { patternProperties: { [namesPattern(described)]: definition('config.inReference') } } : {}),
      additionalProperties: definition('config.string'),
    };
  };
  const names = [...Object.keys(AIRFLOW_REFERENCE.sections), ...retiredSections().keys()];
  return {
    propertyNames: { pattern: SECTION_NAME },
    properties: Object.fromEntries(names.map((n) => [n, section(n)])),
    additionalProperties: { type: 'object', propertyNames: definition('config.notSecretLike'), additionalProperties: definition('config.string') },
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
/** A PostgreSQL identifier (database and user names), as src/config/database.ts checks it. */
const PG_NAME = PG_IDENTIFIER.source;
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
        type: 'string', minLength: 1, maxLength: 250, pattern: `^${text}+$`,
        ...refuseWhen({ pattern: '^DAG( Run)?:' }, 'per-DAG resources come from dags: [{dagIds, access}]'),
        description: 'FAB resource, e.g. Pools (per-DAG resources DAG:<id> and DAG Run:<id> come from dags).',
      },
    },
  };
  return {
    items: {
      type: 'object', additionalProperties: false, required: ['name'],
      properties: {
        name: {
          type: 'string', pattern: `^${ROLE_NAME}$`,
          ...refuseWhen({ pattern: `^(${BUILTIN_ROLES.map(anyCase).join('|')})$` }, `a built-in role name (${BUILTIN_ROLES.join(', ')}): choose another name`),
          description: 'Role name (1-64 characters; not a built-in role name, in any case).',
        },
        dags: { type: 'array', minItems: 1, items: dagGrant, description: 'Per-DAG access.' },
        permissions: { type: 'array', minItems: 1, items: permission, description: 'Further FAB permissions, granted globally.' },
      },
      anyOf: [{ required: ['dags'] }, { required: ['permissions'] }],
    },
  };
}

/** A login setting the api-server's environment holds as-is. */
function authScalar(def: string, description: string, pattern: string, schema: Record<string, unknown> = {}): ValueLeaf {
  return leaf('string', def, description, { pattern: def === '' ? `^$|${pattern}` : pattern, ...schema });
}

/** The auth keys: how people log in. */
function authGroup(): ValueGroup {
  return group('How people log in (FAB auth manager): database users, an LDAP directory or OpenID Connect; groups map to roles.', {
    type: leaf('string', 'database', 'Login mode: database (users in the metadata database, the first one from adminUser), ldap or oidc.',
      { enum: ['database', 'ldap', 'oidc'] }),
    roleMapping: leaf('object', {}, 'LDAP and OIDC: group -> roles. Keys are LDAP group DNs (as the directory spells them) or values of the OIDC groups claim; roles are built-in roles (Admin, Op, User, Viewer, Public) or names declared in roles. ldap and oidc need roleMapping or defaultRole.',
      {
        propertyNames: { minLength: 1, maxLength: 512, pattern: `^${NO_QUOTES}+$` },
        additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', pattern: `^${ROLE_NAME}$` } },
      }),
    syncRolesAtLogin: leaf('boolean', true, 'LDAP and OIDC: recompute a user\'s roles from their groups at every login (removing someone from a group removes the role at their next login).'),
    selfRegistration: leaf('boolean', true, 'LDAP and OIDC: create the Airflow user at first login; false: an administrator creates users beforehand.'),
    defaultRole: leaf('string', '', 'LDAP and OIDC: role every user gets besides the mapped ones, built-in or declared in roles (never Admin; needs selfRegistration); empty: a user whose groups map to no role is refused.',
      { pattern: `^$|^${ROLE_NAME}$`, ...refuseWhen({ const: 'Admin' }, 'every user would be an administrator: map an admin group to Admin in roleMapping') }),
    roles: leaf('array', [], 'Custom roles, created and kept in sync (exactly the declared permissions) by the Job <release>-sync-roles-<hash>: each has a name and dags ([{dagIds: [...] or tags: [...], access: read|edit|trigger}]) or permissions ([{action, resource}]) or both. roleMapping and defaultRole may name them; roles no longer declared are left in the database.',
      rolesSchema()),
    ldap: group('LDAP directory (auth.type ldap). TLS is required: ldaps://, or ldap:// with startTls; the certificate is always verified.', {
      url: authScalar('', 'Server URI, ldaps://host[:port] or ldap://host[:port] (required; ldap:// needs startTls or allowInsecureLdap).', LDAP_URL),
      startTls: leaf('boolean', false, 'Upgrade an ldap:// connection with StartTLS before any bind (not with ldaps://).'),
      allowInsecureLdap: leaf('boolean', false, 'Allow plain ldap:// without StartTLS: bind and user passwords cross the network in clear text. A relaxation of the secure defaults, warned about in NOTES.'),
      caCertificate: group('PEM CA certificate that signs the directory\'s certificate (mounted into the api-server only).', {
        existingSecret: leaf('string', '', 'Existing Secret holding the CA certificate; empty: the image\'s system trust store.', dnsName()),
        key: leaf('string', 'ca.crt', 'Key in that Secret.', SECRET_KEY),
      }),
      bindDn: leaf('string', '', 'DN of the service account that searches the directory (with bindPassword); empty: users bind directly and search as themselves.',
        { pattern: `^$|${DN}` }),
      bindPassword: group('Password of bindDn (mounted into the api-server only).', {
        existingSecret: leaf('string', '', 'Existing Secret holding the bind password (required with bindDn).', dnsName()),
        key: leaf('string', 'password', 'Key in that Secret.', SECRET_KEY),
      }),
      userBase: authScalar('', 'Base DN under which users are searched, e.g. ou=people,dc=example,dc=org (required).', DN),
      usernameAttribute: authScalar('uid', 'Attribute holding the login name.', LDAP_ATTRIBUTE),
      userObjectClass: authScalar('inetOrgPerson', 'Object class of user entries.', LDAP_ATTRIBUTE),
      emailAttribute: authScalar('mail', 'Attribute holding the e-mail address.', LDAP_ATTRIBUTE),
      firstNameAttribute: authScalar('givenName', 'Attribute holding the first name.', LDAP_ATTRIBUTE),
      lastNameAttribute: authScalar('sn', 'Attribute holding the last name.', LDAP_ATTRIBUTE),
      userGroupAttribute: authScalar('memberOf', 'Attribute of a user entry listing the DNs of its groups (memberOf overlay, Active Directory).', LDAP_ATTRIBUTE),
      groupBase: leaf('string', '', 'Base DN of the groups: a user\'s groups are also searched there (directories without memberOf); roleMapping keys must then be under it. Empty: groups come from userGroupAttribute only.',
        { pattern: `^$|${DN}` }),
      groupObjectClass: authScalar('groupOfNames', 'Object class of group entries.', LDAP_ATTRIBUTE),
      groupMemberAttribute: authScalar('member', 'Attribute of a group listing its members: a member DN (member, uniqueMember), or the login name with memberUid (posixGroup).', LDAP_ATTRIBUTE),
      cidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs the directory lives in: the api-server\'s NetworkPolicy egress, on the port of url.', { items: { type: 'string', pattern: CIDR }, minItems: 1 }),
    }),
    oidc: group('OpenID Connect (auth.type oidc): browser login through the provider, MFA as the provider enforces it.', {
      provider: leaf('string', 'generic', 'Provider: generic (any OpenID Connect provider with a discovery document), azureEntraId, okta or keycloak; each reads its settings from the key of its name.',
        { enum: ['generic', 'azureEntraId', 'okta', 'keycloak'] }),
      clientId: authScalar('', 'OAuth client id registered at the provider (required).', '^[^\\s"\'\\\\]{1,256}$'),
      clientSecret: group('The OAuth client secret (mounted into the api-server only).', {
        existingSecret: leaf('string', '', 'Existing Secret holding the client secret (required).', dnsName()),
        key: leaf('string', 'client-secret', 'Key in that Secret.', SECRET_KEY),
      }),
      scopes: leaf('array', [], 'Scopes requested; empty: openid email profile (okta adds groups). A generic provider needs openid.',
        { items: { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$' } }),
      generic: group('provider generic: any OpenID Connect provider; users and groups come from the validated ID token.', {
        discoveryUrl: authScalar('', 'OpenID discovery document, https://.../.well-known/openid-configuration (required).', HTTPS_URL),
        name: leaf('string', 'oidc', 'Provider name: the login button and the /auth/oauth-authorized/<name> redirect path.',
          { pattern: '^[a-z][a-z0-9_-]{0,31}$', ...refuseWhen({ enum: FAB_PROVIDERS }, 'a name FAB keeps for its built-in providers: choose another') }),
        usernameClaim: authScalar('preferred_username', 'Claim holding the login name (dotted paths reach nested claims).', CLAIM),
        groupsClaim: authScalar('groups', 'Claim holding the groups matched against roleMapping (dotted paths reach nested claims, e.g. realm_access.roles).', CLAIM),
      }),
      azureEntraId: group('provider azureEntraId: Microsoft Entra ID (FAB\'s azure provider).', {
        tenantId: authScalar('', 'Directory (tenant) id or domain (required; not common, organizations or consumers).', '^[A-Za-z0-9.-]{1,64}$',
          refuseWhen({ enum: ['common', 'organizations', 'consumers'] }, 'a multi-tenant endpoint lets any Microsoft account sign in: give your tenant id')),
        rolesClaim: authScalar('roles', 'Claim of the ID token matched against roleMapping (app roles by default).', '^[A-Za-z0-9_.-]{1,128}$'),
      }),
      okta: group('provider okta: Okta (FAB\'s okta provider; add the groups claim in Okta).', {
        domain: authScalar('', 'Okta domain, e.g. example.okta.com (required).', '^[A-Za-z0-9.-]{1,253}$'),
        authorizationServerId: leaf('string', '', 'Custom authorization server id; empty: the org authorization server.', { pattern: '^$|^[A-Za-z0-9]{1,64}$' }),
      }),
      keycloak: group('provider keycloak: Keycloak (FAB\'s keycloak provider; add a group-membership mapper).', {
        url: authScalar('', 'Keycloak base URL, e.g. https://sso.example.com (add /auth before Keycloak 17; required).', HTTPS_URL),
        realm: authScalar('', 'Realm (required).', '^[A-Za-z0-9_.-]{1,255}$'),
      }),
      cidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs the provider lives in: the api-server\'s NetworkPolicy egress, on the provider\'s HTTPS port (443 or the port of its URL).',
        { items: { type: 'string', pattern: CIDR }, minItems: 1 }),
    }),
  });
}

/** The cornflow keys: Cornflow next to Airflow. */
/**
 * The keys of an external PostgreSQL server at `path`: where it is, the user and its password (under `passwordKey`),
 * how the server is verified, and the CIDRs it lives in. `name` is the default database and user name; `lead`
 * starts each description where the group also holds other keys, `required` says when the host is.
 */
function externalPostgresKeys(path: string, name: string, passwordKey: string, lead = '', required = 'required'): Record<string, ValueNode> {
  // 'Port.' reads 'External server: port.'; an acronym (DNS, CIDRs) keeps its capitals.
  const say = (text: string) => lead + (lead && /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text);
  return {
    host: leaf('string', '', say(`DNS name or IP of the server (${required}).`), { pattern: `^$|${HOSTNAME}` }),
    port: leaf('integer', 5432, say('Port.'), { minimum: 1, maximum: 65535 }),
    database: leaf('string', name, say('Database name.'), { pattern: PG_NAME }),
    user: leaf('string', name, say('User name.'), { pattern: PG_NAME }),
    [passwordKey]: ref('The password of the user on the external server', 'password', `${path}.${passwordKey}`, 'required'),
    sslMode: leaf('string', 'verify-full', say('libpq sslmode; verify-ca and verify-full need caCertificate, the others refuse it.'),
      { enum: ['disable', 'require', 'verify-ca', 'verify-full'] }),
    caCertificate: ref('The CA certificate (PEM) of the external server for verify-ca/verify-full', 'ca.crt', `${path}.caCertificate`, 'required'),
    cidrs: leaf('array', ['0.0.0.0/0'], say('CIDRs the server lives in (NetworkPolicy egress).'), { items: { type: 'string', pattern: CIDR }, minItems: 1 }),
  };
}

function cornflowGroup(): ValueGroup {
  const USER = '^[A-Za-z0-9_.-]{1,64}$';
  const GROUP_CN = '^$|^[^,=\\s"\'\\\\][^,="\'\\\\]{0,127}$';
  const roleGroup = (role: string) => leaf('string', '', `cn of the LDAP group whose members get Cornflow's ${role} role; empty: no group gets it.`, { pattern: GROUP_CN });
  return group('Cornflow, the optimization server that runs its solvers as Airflow DAGs (cornflow 1.3.9), next to Airflow. Needs auth.type database or ldap: it logs in to Airflow\'s API with a password.', {
    enabled: leaf('boolean', false, 'Deploy Cornflow.'),
    replicas: replicas(2, 'Number of pods (a PodDisruptionBudget and spreading across nodes above 1).'),
    workers: leaf('integer', 2, 'gunicorn worker processes per pod.', { minimum: 1, maximum: 32 }),
    auth: group('How people log in to Cornflow.', {
      type: leaf('string', 'database', 'database (users in Cornflow\'s database: the admin and service users below) or ldap (the directory of auth.ldap, which then needs an ldaps:// url, bindDn, bindPassword and groupBase; Cornflow\'s LDAP client does not do StartTLS nor verify the certificate).',
        { enum: ['database', 'ldap'] }),
      roleGroups: group('LDAP: the group of each Cornflow role, by cn (Cornflow matches group names under auth.ldap.groupBase by their member attribute). At least one is required with ldap.', {
        admin: roleGroup('admin'),
        planner: roleGroup('planner'),
        viewer: roleGroup('viewer'),
        service: roleGroup('service'),
      }),
    }),
    adminUser: group('The first Cornflow administrator (auth.type database).', {
      username: leaf('string', 'cornflow_admin', 'Login name.', { pattern: USER }),
      email: leaf('string', 'cornflow_admin@cornflow.local', 'E-mail.', { pattern: '^[^\\s@\'"]+@[^\\s@\'"]+$' }),
      password: ref('The admin\'s password', 'admin-password', 'cornflow.adminUser.password'),
    }),
    serviceUser: group('The service user Airflow\'s tasks call Cornflow back with (the cf_uri connection). With auth.type ldap it is a directory account in the service group, and its password is required.', {
      username: leaf('string', 'service_user', 'Login name.', { pattern: USER }),
      email: leaf('string', 'service_user@cornflow.local', 'E-mail.', { pattern: '^[^\\s@\'"]+@[^\\s@\'"]+$' }),
      password: ref('The service user\'s password', 'service-password', 'cornflow.serviceUser.password'),
    }),
    airflowUser: group('Cornflow\'s account in Airflow, role Cornflow (DAGs, DAG runs, task instances, variables, connections; nothing about users, roles or configuration). With auth.type database the release creates it; with ldap it is a directory account whose group auth.roleMapping maps to Cornflow, and username and password are required.', {
      username: leaf('string', 'cornflow', 'Login name (set it with auth.type ldap).', { pattern: USER }),
      password: ref('Its password', 'airflow-password', 'cornflow.airflowUser.password'),
    }),
    secretKey: ref('The key signing Cornflow\'s tokens (SECRET_KEY)', 'secret-key', 'cornflow.secretKey'),
    biSecretKey: ref('The key signing Cornflow\'s BI tokens (SECRET_BI_KEY)', 'secret-bi-key', 'cornflow.biSecretKey'),
    database: group('Cornflow\'s database: a second database and user on the embedded PostgreSQL (created by a Job), or an external server (external: true; required when postgres.enabled is false).', {
      password: ref('The password of Cornflow\'s user on the embedded PostgreSQL', 'password', 'cornflow.database.password'),
      external: leaf('boolean', false, 'Use the external server below.'),
      ...externalPostgresKeys('cornflow.database', 'cornflow', 'externalPassword', 'External server: ', 'required with external'),
    }),
    ingress: group('Ingress of Cornflow (TLS only); only the controller of ingress.controllerNamespaceLabels may reach Cornflow.', {
      enabled: leaf('boolean', false, 'Create the Ingress (requires host and a TLS source).'),
      host: leaf('string', '', 'Public host name, e.g. cornflow.example.com (also the only CORS origin).', { pattern: `^$|${HOSTNAME}` }),
      className: leaf('string', '', 'IngressClass; empty: the cluster default. With nginx the HTTPS redirect is forced.', dnsName()),
      annotations: leaf('object', {}, `Extra annotations (${INGRESS_OWNED_ANNOTATIONS.join(', ')} are the chart's).`,
        { ...OBJECT_MAP, properties: Object.fromEntries(INGRESS_OWNED_ANNOTATIONS.map((a) => [a, refused(`${a} is set by the chart from cornflow.ingress.tls and cornflow.ingress.className`)])) }),
      tls: group('TLS certificate source: an existing Secret, or cert-manager.', {
        secretName: leaf('string', '', 'Existing kubernetes.io/tls Secret (wins over certManager).', dnsName()),
        certManager: group('cert-manager issuing `<release>-cornflow-tls`.', {
          issuer: leaf('string', '', 'Issuer name.', dnsName()),
          kind: leaf('string', 'ClusterIssuer', 'Issuer kind.', { enum: ['ClusterIssuer', 'Issuer'] }),
        }),
      }),
    }),
    ...workloadKeys({ resources: 'cpu 250m, memory 512Mi, limit 1024Mi' }),
  });
}

// ---------------------------------------------------------------------------------------------------------
// The model

/** Ingress annotations the chart sets itself (cert-manager's issuer, nginx's HTTPS redirect). */
export const INGRESS_OWNED_ANNOTATIONS = ['cert-manager.io/issuer', 'cert-manager.io/cluster-issuer', 'nginx.ingress.kubernetes.io/force-ssl-redirect'];

export const VALUES_MODEL: ValueGroup = group('cdk8s-airflow values', {
  executor: leaf('string', 'CeleryExecutor', 'Airflow executor.', { enum: ['CeleryExecutor', 'LocalExecutor', 'KubernetesExecutor'] }),
  images: group('Container images (pinned; never latest).', {
    airflow: image('airflow', 'apache/airflow', '3.3.2'),
    postgres: image('postgres', 'postgres', '17.11-bookworm'),
    redis: image('redis', 'redis', '7.4.11-bookworm'),
    cornflow: image('Cornflow', 'baobabsoluciones/cornflow', 'release-v1.3.9'),
    statsdExporter: image('the Prometheus statsd_exporter', 'prometheus/statsd-exporter', 'v0.28.0', 'quay.io'),
  }),
  imagePullSecrets: leaf('array', [], 'Secrets used to pull images, as `[{name: ...}]` (every pod, the test pod included).',
    { items: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', ...dnsName(false) } } } }),
  config: leaf('object', {}, 'Non-secret Airflow settings, `{section: {key: value}}`, merged over the chart\'s and checked against Airflow\'s configuration reference (Airflow 3.3.2 and its providers): unknown sections and keys, wrong types, renamed, removed and deprecated settings, secrets and keys the chart owns are refused.',
    configSchema()),
  extraConfig: leaf('object', {}, 'Settings Airflow\'s configuration reference does not describe (your plugins\' own sections and keys), `{section: {key: value}}`, written to airflow.cfg after config; keys the reference describes (set them in config), secrets and keys the chart owns are refused.',
    extraConfigSchema()),
  dags: group('Where DAG files come from.', {
    persistentVolumeClaim: leaf('string', '', 'Existing PVC (ReadOnlyMany/ReadWriteMany) with the DAGs, mounted read-only; empty: DAGs baked into the image.',
      dnsName()),
  }),
  secrets: group('Airflow\'s own secret keys; each is generated once in the cluster unless an existing Secret is named.', {
    fernetKey: ref('The Fernet key', 'fernet-key', 'secrets.fernetKey'),
    jwtSecret: ref('The JWT signing secret', 'jwt-secret', 'secrets.jwtSecret'),
    apiSecretKey: ref('The [api] secret_key', 'api-secret-key', 'secrets.apiSecretKey'),
  }),
  apiServer: group('api-server (`airflow api-server`: UI, REST API, execution API).', {
    replicas: replicas(2, 'Number of pods.'),
    workers: leaf('integer', 1, 'Uvicorn worker processes per pod.', { minimum: 1, maximum: 64 }),
    ...workloadKeys({ resources: 'cpu 250m, memory 1024Mi, limit 2048Mi' }),
  }),
  scheduler: group('Scheduler.', {
    replicas: replicas(2, 'Number of schedulers (active-active).'),
    ...workloadKeys({ resources: 'cpu 250m, memory 1024Mi, limit 2048Mi; with LocalExecutor cpu 500m, limit 4096Mi' }),
  }),
  dagProcessor: group('DAG processor.', {
    replicas: replicas(1, 'Number of pods.'),
    ...workloadKeys({ resources: 'cpu 250m, memory 1024Mi, limit 2048Mi' }),
  }),
  triggerer: group('Triggerer.', {
    replicas: replicas(1, 'Number of pods.'),
    ...workloadKeys({ resources: 'cpu 250m, memory 1024Mi, limit 2048Mi' }),
  }),
  workers: group('Celery workers (CeleryExecutor only).', {
    replicas: replicas(2, 'Number of worker pods.'),
    concurrency: leaf('integer', 16, 'Task slots per worker.', { minimum: 1, maximum: 1024 }),
    terminationGracePeriodSeconds: leaf('integer', 600, 'Seconds a stopping worker may finish running tasks.', { minimum: 30, maximum: 86400 }),
    queues: leaf('array', ['default'], 'Queues the workers consume.', { items: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' }, minItems: 1 }),
    logVolumeSize: leaf('string', '5120Mi', 'Size of the emptyDir holding task logs, in Mi (the default ephemeral-storage limit adds /tmp and headroom to it).',
      { pattern: '^[0-9]+Mi$' }),
    ...workloadKeys({ resources: 'cpu 500m, memory 2048Mi, limit 4096Mi' }),
  }),
  flower: group('Flower, the Celery monitoring UI (CeleryExecutor only).', {
    enabled: leaf('boolean', false, 'Deploy Flower.'),
    replicas: replicas(1, 'Number of pods.'),
    username: ref('The basic-auth user name', 'username', 'flower.username'),
    password: ref('The basic-auth password', 'password', 'flower.password'),
    ...workloadKeys({ resources: 'cpu 100m, memory 256Mi, limit 512Mi' }),
  }),
  metrics: group('Prometheus metrics: a statsd_exporter Airflow sends StatsD metrics to (UDP 9125), scraped on TCP 9102 at /metrics.', {
    enabled: leaf('boolean', false, 'Deploy the exporter and turn on Airflow\'s StatsD metrics ([metrics] statsd_on).'),
    extraMappings: leaf('array', [], 'statsd_exporter mapping rules put before the chart\'s (which turn the DAG, task and pool ids in Airflow\'s names into labels), so yours win for a name both match; e.g. `[{match: "airflow.my_metric.*", name: "airflow_my_metric", labels: {id: "$1"}}]`.',
      { items: { type: 'object', required: ['match', 'name'], properties: { match: { type: 'string', minLength: 1 }, name: { type: 'string', pattern: '^[a-zA-Z_:][a-zA-Z0-9_:]*$' } } } }),
    scrapeNamespaceLabels: leaf('object', {}, 'Labels of the namespace Prometheus runs in (only its pods may reach the metrics port); empty: kubernetes.io/metadata.name=monitoring. Your labels replace the default.',
      OBJECT_MAP),
    scrapePodLabels: leaf('object', {}, 'Labels of the Prometheus pods in that namespace; empty: every pod of the namespace.', OBJECT_MAP),
    ...workloadKeys({ resources: 'cpu 50m, memory 64Mi, limit 256Mi' }),
  }),
  postgres: group('Embedded PostgreSQL (a StatefulSet in the release).', {
    enabled: leaf('boolean', true, 'Run PostgreSQL in the release; false: use externalDatabase.'),
    storageSize: leaf('string', '8192Mi', 'Size of the data volume.', { pattern: MEMORY }),
    storageClassName: leaf('string', '', 'StorageClass of the data volume; empty: the cluster default.', dnsName()),
    runAsUser: leaf('integer', ImageIdentity.POSTGRES.user, 'UID PostgreSQL runs as; it owns the data directory. Releases first installed by charts that ran the image\'s own user keep 999.',
      { minimum: 1, maximum: 2147483647 }),
    runAsGroup: leaf('integer', ImageIdentity.POSTGRES.group, 'GID PostgreSQL runs as, also the pod\'s fsGroup (999 with runAsUser 999).', { minimum: 1, maximum: 2147483647 }),
    password: ref('The database password', 'password', 'postgres.password'),
    ...workloadKeys({ resources: 'cpu 250m, memory 512Mi, limit 1024Mi' }),
  }),
  externalDatabase: group('External PostgreSQL (used when postgres.enabled is false).',
    externalPostgresKeys('externalDatabase', 'airflow', 'password')),
  redis: group('Embedded Redis, the Celery broker and result backend (CeleryExecutor only).', {
    enabled: leaf('boolean', true, 'Run Redis in the release; false: use externalRedis.'),
    password: ref('The Redis password', 'password', 'redis.password'),
    ...workloadKeys({ resources: 'cpu 100m, memory 256Mi, limit 512Mi' }),
  }),
  externalRedis: group('External Redis (used when redis.enabled is false).', {
    host: leaf('string', '', 'DNS name or IP of the server (required).', { pattern: `^$|${HOSTNAME}` }),
    port: leaf('integer', 6379, 'Port.', { minimum: 1, maximum: 65535 }),
    password: ref('The Redis password', 'password', 'externalRedis.password', 'required'),
    tls: leaf('boolean', true, 'Connect with TLS (rediss://).'),
    caCertificate: ref('The CA certificate (PEM) of the server; empty: the system CAs', 'ca.crt', 'externalRedis.caCertificate', 'optional'),
    databaseIndex: leaf('integer', 0, 'Database index of the broker; results use the next one.', { minimum: 0, maximum: 14 }),
    cidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs the server lives in (NetworkPolicy egress).', { items: { type: 'string', pattern: CIDR }, minItems: 1 }),
  }),
  adminUser: group('The first admin user (database login only: LDAP and OIDC logins do not check database passwords).', {
    enabled: leaf('boolean', true, 'Create the admin user with auth.type database (never with a default password).'),
    username: ref('The admin user name', 'username', 'adminUser.username'),
    password: ref('The admin password', 'password', 'adminUser.password'),
    email: leaf('string', 'admin@example.com', 'E-mail.', { pattern: '^[^\\s@\'"]+@[^\\s@\'"]+$' }),
    firstName: leaf('string', 'Airflow', 'First name.', { pattern: '^[\\p{L}\\p{N} ._-]+$', maxLength: 64 }),
    lastName: leaf('string', 'Admin', 'Last name.', { pattern: '^[\\p{L}\\p{N} ._-]+$', maxLength: 64 }),
  }),
  auth: authGroup(),
  cornflow: cornflowGroup(),
  ingress: group('Ingress of the api-server (TLS only).', {
    enabled: leaf('boolean', false, 'Create the Ingress (requires host and a TLS source).'),
    host: leaf('string', '', 'Public host name, e.g. airflow.example.com.', { pattern: `^$|${HOSTNAME}` }),
    className: leaf('string', '', 'IngressClass; empty: the cluster default. With nginx the HTTPS redirect is forced.', dnsName()),
    annotations: leaf('object', {}, `Extra annotations (${INGRESS_OWNED_ANNOTATIONS.join(', ')} are the chart's: set tls and className instead).`,
      { ...OBJECT_MAP, properties: Object.fromEntries(INGRESS_OWNED_ANNOTATIONS.map((a) => [a, refused(`${a} is set by the chart from ingress.tls and ingress.className`)])) }),
    tls: group('TLS certificate source: an existing Secret, or cert-manager.', {
      secretName: leaf('string', '', 'Existing kubernetes.io/tls Secret (wins over certManager: cert-manager then leaves it alone).', dnsName()),
      certManager: group('cert-manager issuing `<release>-tls`.', {
        issuer: leaf('string', '', 'Issuer name.', dnsName()),
        kind: leaf('string', 'ClusterIssuer', 'Issuer kind.', { enum: ['ClusterIssuer', 'Issuer'] }),
      }),
    }),
    controllerNamespaceLabels: leaf('object', {}, 'Labels of the ingress controller\'s namespace (only it may reach the api-server); empty: kubernetes.io/metadata.name=ingress-nginx. Your labels replace the default, they are not added to it.',
      OBJECT_MAP),
  }),
  networkPolicy: group('NetworkPolicies: default deny plus one allow per real connection.', {
    enabled: leaf('boolean', true, 'Create NetworkPolicies (false is a relaxation, warned about in NOTES).'),
    taskEgressCidrs: leaf('array', ['0.0.0.0/0'], 'CIDRs task-running pods may reach on any port; empty confines tasks to the release.',
      { items: { type: 'string', pattern: CIDR } }),
    dnsNamespaceLabels: leaf('object', {}, 'Labels of the cluster DNS namespace; empty: kubernetes.io/metadata.name=kube-system. Your labels replace the default.', OBJECT_MAP),
    dnsPodLabels: leaf('object', {}, 'Labels of the cluster DNS pods; empty: k8s-app=kube-dns. Your labels replace the default.', OBJECT_MAP),
  }),
  security: group('Explicit relaxations of the security defaults (each is warned about in NOTES).', {
    writableRootFilesystem: leaf('boolean', false, 'Let containers write to their root filesystem.'),
  }),
  jobs: group('The release\'s Jobs (migrations, admin user, secrets).', {
    ttlSecondsAfterFinished: leaf(['integer', 'null'], null, 'Delete finished Jobs after this many seconds; null keeps them (right for Argo CD and Flux).',
      { minimum: 0 }),
  }),
});

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
  return path.split('.').reduce((v: any, k) => (v === undefined || v === null ? undefined : v[k]), values);
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

/** Every leaf with its dotted path, in declaration order. */
export function leaves(node: ValueGroup = VALUES_MODEL, prefix = ''): { path: string; leaf: ValueLeaf }[] {
  const out: { path: string; leaf: ValueLeaf }[] = [];
  for (const [k, n] of Object.entries(node.children)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isGroup(n)) out.push(...leaves(n, path));
    else out.push({ path, leaf: n });
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
