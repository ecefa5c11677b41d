import K8S_DEFINITIONS from './k8s-definitions.json';
import { GENERATED_SECRETS, isGroup, refused, SCHEMA_DEFINITIONS, ValueGroup, ValueLeaf, VALUES_MODEL } from './model';

/** JSON schema (draft-07) of one leaf: type, description, default, and its constraints. */
function leafSchema(leaf: ValueLeaf): Record<string, unknown> {
  return { type: leaf.type, description: leaf.description, default: leaf.default, ...(leaf.schema ?? {}) };
}

function groupSchema(g: ValueGroup): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [k, n] of Object.entries(g.children)) properties[k] = isGroup(n) ? groupSchema(n) : leafSchema(n);
  return { type: 'object', description: g.description, additionalProperties: false, properties, ...(g.schema ?? {}) };
}

const nonEmpty = { type: 'string', minLength: 1 };
const empty = { maxLength: 0 };
const req = (path: string[], leafSchema: Record<string, unknown>): Record<string, unknown> => {
  const [head, ...rest] = path;
  return { properties: { [head]: rest.length ? req(rest, leafSchema) : leafSchema }, required: [head] };
};
const at = (path: string, schema: Record<string, unknown>) => req(path.split('.'), schema);
const whenValue = (path: string, value: unknown) => at(path, { const: value });

/** The value at `path`, when there is one, must match `schema` (a missing key passes). */
const inside = (path: string[], schema: Record<string, unknown>): Record<string, unknown> => {
  const [head, ...rest] = path;
  return { properties: { [head]: rest.length ? inside(rest, schema) : schema } };
};

/**
 * When `when` holds, the value at `path` must match `must`; otherwise helm names the key and prints `why`
 * (`at '/ingress/host': value must be '(refused: ...)'`). The check sits at the key (`if: must, else: refused`)
 * rather than in the rule's condition, which spares Helm's compiler a second walk down the path for every rule.
 */
function rule(when: Record<string, unknown>[], path: string, must: Record<string, unknown>, why: string): Record<string, unknown> {
  return { if: when.length === 1 ? when[0] : { allOf: when }, then: inside(path.split('.'), { if: must, else: refused(why) }) };
}

const AUTH_LDAP = whenValue('auth.type', 'ldap');
const AUTH_OIDC = whenValue('auth.type', 'oidc');
const AUTH_GROUPS = at('auth.type', { enum: ['ldap', 'oidc'] });
const PLAIN_LDAP = { pattern: '^ldap://' };

/** The `auth` rules: each names the key to set or clear. */
function authRules(): Record<string, unknown>[] {
  const provider = (p: string) => [AUTH_OIDC, whenValue('auth.oidc.provider', p)];
  return [
    rule([AUTH_LDAP], 'auth.ldap.url', nonEmpty, 'auth.type ldap needs the directory: ldaps://host[:port], or ldap://host[:port] with startTls'),
    rule([AUTH_LDAP], 'auth.ldap.userBase', nonEmpty, 'auth.type ldap needs the base DN the users are searched under'),
    rule([AUTH_OIDC], 'auth.oidc.clientId', nonEmpty, 'auth.type oidc needs the client id registered at the provider'),
    rule([AUTH_OIDC], 'auth.oidc.clientSecret.existingSecret', nonEmpty, 'auth.type oidc needs the existing Secret holding the client secret'),
    rule(provider('generic'), 'auth.oidc.generic.discoveryUrl', nonEmpty, 'provider generic needs its discovery document, https://.../.well-known/openid-configuration'),
    rule(provider('azureEntraId'), 'auth.oidc.azureEntraId.tenantId', nonEmpty, 'provider azureEntraId needs your tenant id or domain'),
    rule(provider('okta'), 'auth.oidc.okta.domain', nonEmpty, 'provider okta needs your Okta domain'),
    rule(provider('keycloak'), 'auth.oidc.keycloak.url', nonEmpty, 'provider keycloak needs the Keycloak base URL'),
    rule(provider('keycloak'), 'auth.oidc.keycloak.realm', nonEmpty, 'provider keycloak needs the realm'),
    // A generic provider's users come from the validated ID token.
    rule([...provider('generic'), at('auth.oidc.scopes', { minItems: 1 })], 'auth.oidc.scopes', { contains: { const: 'openid' } },
      'a generic provider needs the openid scope (the users come from the ID token)'),
    // With neither a mapping nor a default role every login would be refused.
    rule([AUTH_GROUPS, at('auth.roleMapping', { maxProperties: 0 })], 'auth.defaultRole', nonEmpty,
      'every login would be refused: map groups to roles in auth.roleMapping, or give everyone auth.defaultRole'),
    rule([AUTH_GROUPS, at('auth.defaultRole', nonEmpty)], 'auth.selfRegistration', { const: true },
      'auth.defaultRole is given to users created at login: it needs selfRegistration'),
    // TLS to the directory: ldaps://, or ldap:// with StartTLS; plain LDAP only with allowInsecureLdap, which then
    // describes exactly that (not ldaps://, not StartTLS) and leaves no CA to verify with.
    rule([AUTH_LDAP, whenValue('auth.ldap.startTls', true)], 'auth.ldap.url', PLAIN_LDAP,
      'startTls upgrades an ldap:// connection; an ldaps:// one is TLS already (set startTls false)'),
    rule([AUTH_LDAP, at('auth.ldap.url', PLAIN_LDAP), whenValue('auth.ldap.startTls', false)], 'auth.ldap.allowInsecureLdap', { const: true },
      'plain ldap:// sends passwords in clear text: set startTls or use ldaps:// (allowInsecureLdap true accepts clear text)'),
    rule([AUTH_LDAP, whenValue('auth.ldap.allowInsecureLdap', true)], 'auth.ldap.url', PLAIN_LDAP,
      'allowInsecureLdap is for a plain ldap:// url: with ldaps:// set it false'),
    rule([AUTH_LDAP, whenValue('auth.ldap.allowInsecureLdap', true)], 'auth.ldap.startTls', { const: false },
      'allowInsecureLdap is for a connection without TLS: with startTls set it false'),
    rule([AUTH_LDAP, whenValue('auth.ldap.allowInsecureLdap', true)], 'auth.ldap.caCertificate.existingSecret', empty,
      'without TLS (allowInsecureLdap) no certificate is verified: remove the CA, or use TLS'),
    // A search account is a DN and its password.
    rule([AUTH_LDAP, at('auth.ldap.bindDn', nonEmpty)], 'auth.ldap.bindPassword.existingSecret', nonEmpty,
      'auth.ldap.bindDn needs its password: name the existing Secret holding it'),
    rule([AUTH_LDAP, at('auth.ldap.bindPassword.existingSecret', nonEmpty)], 'auth.ldap.bindDn', nonEmpty,
      'a bind password needs the DN it belongs to (auth.ldap.bindDn)'),
  ];
}

const CORNFLOW = whenValue('cornflow.enabled', true);
const CORNFLOW_LDAP = [CORNFLOW, whenValue('cornflow.auth.type', 'ldap')];
const CORNFLOW_EXTERNAL_DB = [CORNFLOW, whenValue('cornflow.database.external', true)];

/** The `cornflow` rules (src/airflow-chart.ts and src/config/cornflow.ts throw for the same). */
function cornflowRules(): Record<string, unknown>[] {
  const otherGroupsEmpty = (role: string) => ['admin', 'planner', 'viewer', 'service'].filter((r) => r !== role)
    .map((r) => at(`cornflow.auth.roleGroups.${r}`, empty));
  return [
    rule([CORNFLOW], 'auth.type', { enum: ['database', 'ldap'] },
      'Cornflow logs in to the Airflow API with a user name and password: use auth.type database or ldap, or disable cornflow'),
    rule([CORNFLOW, whenValue('postgres.enabled', false)], 'cornflow.database.external', { const: true },
      'the Cornflow database defaults to a second database on the embedded PostgreSQL, which postgres.enabled false turns off: set cornflow.database.external and its host'),
    rule(CORNFLOW_EXTERNAL_DB, 'cornflow.database.host', nonEmpty, 'cornflow.database.external needs the host of the server'),
    rule(CORNFLOW_EXTERNAL_DB, 'cornflow.database.externalPassword.existingSecret', nonEmpty,
      'cornflow.database.external needs the existing Secret holding the password of the database user'),
    rule([...CORNFLOW_EXTERNAL_DB, at('cornflow.database.sslMode', { enum: ['verify-ca', 'verify-full'] })], 'cornflow.database.caCertificate.existingSecret',
      nonEmpty, 'sslMode verify-ca and verify-full check the server certificate: name the existing Secret holding the CA'),
    rule([at('cornflow.database.sslMode', { enum: ['disable', 'require'] })], 'cornflow.database.caCertificate.existingSecret', empty,
      'sslMode disable and require do not check the certificate: use verify-full with the CA, or remove the CA'),
    // Cornflow's LDAP client: the directory of auth.ldap, always searched with the bind account, groups under groupBase.
    rule(CORNFLOW_LDAP, 'auth.ldap.url', nonEmpty, 'cornflow.auth.type ldap uses the directory of auth.ldap: set auth.ldap.url (ldaps://)'),
    rule([...CORNFLOW_LDAP, whenValue('auth.ldap.allowInsecureLdap', false)], 'auth.ldap.url', { pattern: '^ldaps://' },
      'the Cornflow LDAP client does not do StartTLS (it would send passwords in clear text): use an ldaps:// url'),
    rule(CORNFLOW_LDAP, 'auth.ldap.userBase', nonEmpty, 'cornflow.auth.type ldap needs auth.ldap.userBase'),
    rule(CORNFLOW_LDAP, 'auth.ldap.bindDn', nonEmpty, 'Cornflow always searches the directory with a bind account: set auth.ldap.bindDn and bindPassword'),
    rule(CORNFLOW_LDAP, 'auth.ldap.groupBase', nonEmpty, 'Cornflow finds the groups of a user under auth.ldap.groupBase: set it'),
    rule([...CORNFLOW_LDAP, ...otherGroupsEmpty('planner')], 'cornflow.auth.roleGroups.planner', nonEmpty,
      'cornflow.auth.type ldap needs the group of at least one role in cornflow.auth.roleGroups (admin, planner, viewer, service): nobody could log in'),
    rule(CORNFLOW_LDAP, 'cornflow.serviceUser.password.existingSecret', nonEmpty,
      'with LDAP the service user is a directory account: name the existing Secret holding its password (and set cornflow.serviceUser.username)'),
    rule([CORNFLOW, whenValue('auth.type', 'ldap')], 'cornflow.airflowUser.password.existingSecret', nonEmpty,
      'with auth.type ldap, the Airflow account of Cornflow is a directory account: set cornflow.airflowUser.username and the Secret of its password, and map its group to Cornflow in auth.roleMapping'),
    // Its Ingress needs a host and a TLS source.
    rule([CORNFLOW, whenValue('cornflow.ingress.enabled', true)], 'cornflow.ingress.host', nonEmpty, 'cornflow.ingress.enabled needs the public host name'),
    rule([CORNFLOW, whenValue('cornflow.ingress.enabled', true), at('cornflow.ingress.tls.certManager.issuer', empty)], 'cornflow.ingress.tls.secretName', nonEmpty,
      'cornflow.ingress.enabled needs TLS: an existing Secret here, or cornflow.ingress.tls.certManager.issuer (plain HTTP is not served)'),
  ];
}

const EXTERNAL_DATABASE = whenValue('postgres.enabled', false);
const EXTERNAL_REDIS = [whenValue('redis.enabled', false), whenValue('executor', 'CeleryExecutor')];

/**
 * Requirements between values, each naming the key to set or clear. The constructs throw for the same combinations.
 */
const RULES: Record<string, unknown>[] = [
  // An Ingress needs a host and a TLS source.
  rule([whenValue('ingress.enabled', true)], 'ingress.host', nonEmpty, 'ingress.enabled needs the public host name'),
  rule([whenValue('ingress.enabled', true), at('ingress.tls.certManager.issuer', empty)], 'ingress.tls.secretName', nonEmpty,
    'ingress.enabled needs TLS: an existing Secret here, or ingress.tls.certManager.issuer (plain HTTP is not served)'),
  // An external database needs a host and a password Secret; verify-* need a CA, the others refuse one.
  rule([EXTERNAL_DATABASE], 'externalDatabase.host', nonEmpty, 'postgres.enabled false needs the external database host'),
  rule([EXTERNAL_DATABASE], 'externalDatabase.password.existingSecret', nonEmpty,
    'postgres.enabled false needs the existing Secret holding the database password'),
  rule([EXTERNAL_DATABASE, at('externalDatabase.sslMode', { enum: ['verify-ca', 'verify-full'] })], 'externalDatabase.caCertificate.existingSecret',
    nonEmpty, 'sslMode verify-ca and verify-full check the server certificate: name the existing Secret holding the CA'),
  rule([at('externalDatabase.sslMode', { enum: ['disable', 'require'] })], 'externalDatabase.caCertificate.existingSecret', empty,
    'sslMode disable and require do not check the certificate: use verify-full with the CA, or remove the CA'),
  // An external Redis (Celery only) needs a host and a password Secret; a CA needs TLS.
  rule(EXTERNAL_REDIS, 'externalRedis.host', nonEmpty, 'redis.enabled false needs the external Redis host'),
  rule(EXTERNAL_REDIS, 'externalRedis.password.existingSecret', nonEmpty, 'redis.enabled false needs the existing Secret holding the Redis password'),
  rule([whenValue('externalRedis.tls', false)], 'externalRedis.caCertificate.existingSecret', empty,
    'a CA verifies a TLS connection: set externalRedis.tls true, or remove the CA'),
  // A Secret the release generates uses its default key: `key` applies to an existingSecret only.
  ...GENERATED_SECRETS.map(({ path, defaultKey }) => rule([at(`${path}.existingSecret`, empty)], `${path}.key`, { const: defaultKey },
    `key is the key of an existingSecret; the Secret the release generates uses ${defaultKey}`)),
  // Flower monitors Celery workers.
  rule([at('executor', { enum: ['LocalExecutor', 'KubernetesExecutor'] })], 'flower.enabled', { const: false },
    'Flower monitors Celery workers: it needs executor CeleryExecutor'),
];

/** The Kubernetes version whose definitions check the Kubernetes objects in values (e.g. `1.27.16`). */
export const K8S_DEFINITIONS_VERSION: string = K8S_DEFINITIONS.kubernetesVersion;

/**
 * The Kubernetes definitions for values.schema.json: those of src/values/k8s-definitions.json (generated, see
 * test/validate/k8s-definitions.ts), after checking that every `$ref` of the model finds its definition there.
 */
function k8sDefinitions(schema: unknown): Record<string, unknown> {
  const definitions: Record<string, unknown> = K8S_DEFINITIONS.definitions;
  const refs = JSON.stringify(schema).matchAll(/"\$ref":"#\/definitions\/(io\.k8s\.[^"]+)"/g);
  for (const [, name] of refs) {
    if (!(name in definitions)) {
      throw new Error(`the values model refers to the Kubernetes definition ${name}, which src/values/k8s-definitions.json does not hold; regenerate it: npx ts-node --transpileOnly test/validate/k8s-definitions.ts`);
    }
  }
  return definitions;
}

/**
 * values.schema.json: draft-07, closed at every level, with type, description and default on every key. `model`
 * lets tests validate the auth keys before they join VALUES_MODEL (see the note there).
 */
export function valuesSchema(model: ValueGroup = VALUES_MODEL): Record<string, unknown> {
  const root = groupSchema(model);
  return shareRepeatedSubschemas({
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'cdk8s-airflow chart values',
    ...root,
    properties: {
      ...(root.properties as object),
      // Helm passes `global` to every chart (subchart convention); it is accepted and unused.
      global: { type: 'object', description: 'Helm global values (unused by this chart).', default: {} },
    },
    // Login: what each mode needs, and the LDAP transport rules (src/config/auth.ts throws for the same).
    allOf: [...RULES, ...authRules(), ...cornflowRules()],
    // The Kubernetes definitions the values refer to (`$ref: '#/definitions/io.k8s.api.core.v1.Affinity'`, ...), and
    // the shapes of Airflow settings the config schema shares.
    definitions: { ...k8sDefinitions([root, SCHEMA_DEFINITIONS]), ...SCHEMA_DEFINITIONS },
  });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where draft-07 holds subschemas: one, a list, or a map of them. Other keywords (const, enum, default) hold data. */
const ONE = ['not', 'if', 'then', 'else', 'items', 'additionalItems', 'additionalProperties', 'contains', 'propertyNames'];
const LIST = ['allOf', 'anyOf', 'oneOf', 'items'];
const MAP = ['properties', 'patternProperties', 'dependencies', 'definitions'];

interface Occurrence {
  readonly parent: JsonObject | Json[];
  readonly key: string | number;
  readonly path: string[];
  /** What the occurrence keeps beside its `$ref`: its own description and default (and type, for readers). */
  readonly annotations: JsonObject;
}

/** Keywords that describe a key and check nothing: each occurrence keeps its own. */
const ANNOTATIONS = ['description', 'default', 'title', 'examples'];

/**
 * What a rule's condition tests, as a name: `auth.type.ldap` for `{properties: {auth: {properties: {type: {const:
 * 'ldap'}}}}}`, `cornflow.enabled.true.and.cornflow.auth.type.ldap` for an allOf of two, the name of a shared
 * condition it refers to; undefined for anything else.
 */
function conditionName(node: Json | undefined): string | undefined {
  if (!isObject(node)) return undefined;
  if (typeof node.$ref === 'string' && node.$ref.startsWith('#/definitions/when.')) return node.$ref.slice('#/definitions/when.'.length);
  if (Array.isArray(node.allOf)) {
    const parts = node.allOf.map(conditionName);
    return parts.every((p) => p !== undefined) ? parts.join('.and.') : undefined;
  }
  if ('const' in node || Array.isArray(node.enum)) {
    const value = String('const' in node ? node.const : (node.enum as Json[]).join('_or_'));
    return value.length <= 40 ? value : undefined;
  }
  if (isObject(node.properties) && Object.keys(node.properties).length === 1) {
    const [key, next] = Object.entries(node.properties)[0];
    const rest = conditionName(next);
    return rest === undefined ? undefined : `${key}.${rest}`;
  }
  return undefined;
}

/**
 * A readable name for the shared subschema first written at `path`: `when.auth.type.ldap` for a condition of the
 * root rules (`{properties: {auth: {properties: {type: {const: 'ldap'}}}}}`), `when.a.and.b` for a condition of
 * several, `must.ingress.host` for what a rule then checks, otherwise the values path (`scheduler.resources.requests`).
 */
function sharedName(path: string[], node: JsonObject): string {
  // Inside a rule: the keys on the way down (a part of a shared definition continues that definition's keys).
  const inRule = path[0] === 'allOf' || (path[0] === 'definitions' && /^(rules|when|must)\./.test(path[1] ?? ''));
  if (!inRule) return path.filter((p) => p !== 'definitions').join('.');
  const below = path[0] === 'definitions' ? path.slice(2) : path;
  const keys = below.filter((p) => !/^[0-9]+$/.test(p) && !['allOf', 'if', 'then', 'else', 'not'].includes(p));
  const must = path.includes('then') || path[1]?.startsWith('must.');
  // Down a chain of single properties, then what its end tests (a const, an enum, or a condition of several).
  let at: Json = node;
  while (isObject(at) && isObject(at.properties) && Object.keys(at.properties).length === 1) {
    const [key, next]: [string, Json] = Object.entries(at.properties)[0];
    keys.push(key);
    at = next;
  }
  const what = conditionName(at);
  if (keys.length === 0 && what === undefined) return `rules.${path.slice(1).join('.')}`;
  return [must ? 'must' : 'when', ...keys, ...(what === undefined ? [] : [what])].join('.').replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Every subschema written more than once (a component's resources, a condition several rules share, a pattern under
 * keys of different descriptions) becomes one definition, and its occurrences `$ref` it, each keeping its own
 * description and default: Helm's schema compiler checks, collects and compiles every subschema written, and compiles
 * each pattern twice (once to check it is a regular expression), while a definition is compiled once however often it
 * is referred to. A draft-07 `$ref` stands for its target, which holds every check of the occurrence (its other
 * keywords are annotations), and Helm prints the same errors through it. The largest repeated subschema goes first,
 * so what it holds is shared with it.
 */
export function shareRepeatedSubschemas(schema: Record<string, unknown>): Record<string, unknown> {
  const doc = JSON.parse(JSON.stringify(schema)) as JsonObject;
  const definitions = doc.definitions as JsonObject;
  for (;;) {
    const ids = new Map<string, number>();
    const weight = new Map<number, number>();
    const found = new Map<number, Occurrence[]>();
    const definitionOf = new Map<number, string>();
    // A structural id per JSON value (equal values, equal ids).
    const id = (v: Json): number => {
      let sig: string;
      if (Array.isArray(v)) sig = `[${v.map(id).join(',')}]`;
      else if (isObject(v)) sig = `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${id(x)}`).join(',')}}`;
      else sig = JSON.stringify(v);
      let n = ids.get(sig);
      if (n === undefined) ids.set(sig, n = ids.size);
      return n;
    };
    // Visits a subschema and returns its weight: the subschemas it holds, and 3 for each pattern.
    const visit = (parent: JsonObject | Json[], key: string | number, path: string[]): number => {
      const node = (parent as any)[key] as Json;
      if (!isObject(node)) return 0;
      let w = 1 + (typeof node.pattern === 'string' ? 3 : 0);
      for (const [k, v] of Object.entries(node)) {
        if (ONE.includes(k) && isObject(v)) w += visit(node, k, [...path, k]);
        if (LIST.includes(k) && Array.isArray(v)) v.forEach((_, i) => { w += visit(v, i, [...path, k, `${i}`]); });
        if (MAP.includes(k) && isObject(v)) {
          for (const name of Object.keys(v)) w += visit(v, name, [...path, ...(k === 'properties' ? [] : [k]), name]) + (k === 'patternProperties' ? 3 : 0);
        }
      }
      const checks = Object.fromEntries(Object.entries(node).filter(([k]) => !ANNOTATIONS.includes(k)));
      if (Object.keys(checks).length === 0 || '$ref' in checks) return w;
      const n = id(checks);
      weight.set(n, w);
      if (parent === definitions) {
        if (Object.keys(checks).length === Object.keys(node).length) definitionOf.set(n, key as string);
      } else {
        const annotations = Object.fromEntries(Object.entries(node).filter(([k]) => ANNOTATIONS.includes(k) || (k === 'type' && Object.keys(checks).length < Object.keys(node).length)));
        found.set(n, [...(found.get(n) ?? []), { parent, key, path, annotations }]);
      }
      return w;
    };
    visit({ doc }, 'doc', []);
    const repeated = [...found].filter(([n, at]) => at.length + (definitionOf.has(n) ? 1 : 0) >= 2 && weight.get(n)! >= 2);
    if (!repeated.length) break;
    const [n, at] = repeated.reduce((best, x) => (weight.get(x[0])! > weight.get(best[0])! ? x : best));
    let name = definitionOf.get(n);
    if (name === undefined) {
      const first = (at[0].parent as any)[at[0].key] as JsonObject;
      const base = sharedName(at[0].path, first);
      name = base;
      for (let i = 2; name in definitions; i++) name = `${base}.${i}`;
      definitions[name] = Object.fromEntries(Object.entries(first).filter(([k]) => !ANNOTATIONS.includes(k)));
    }
    for (const { parent, key, annotations } of at) (parent as any)[key] = { ...annotations, $ref: `#/definitions/${name}` };
  }
  return doc;
}
