import { GENERATED_SECRETS, isGroup, SCHEMA_DEFINITIONS, ValueGroup, ValueLeaf, VALUES_MODEL } from './model';

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
const req = (path: string[], leafSchema: Record<string, unknown>): Record<string, unknown> => {
  const [head, ...rest] = path;
  return { properties: { [head]: rest.length ? req(rest, leafSchema) : leafSchema }, required: [head] };
};
const whenValue = (path: string[], value: unknown) => req(path, { const: value });

const AUTH_LDAP = whenValue(['auth', 'type'], 'ldap');
const AUTH_OIDC = whenValue(['auth', 'type'], 'oidc');
const ldapKey = (key: string, schema: Record<string, unknown>) => req(['auth', 'ldap', ...key.split('.')], schema);
const oidcKey = (key: string, schema: Record<string, unknown>) => req(['auth', 'oidc', ...key.split('.')], schema);
const PLAIN_LDAP = { pattern: '^ldap://' };

/** The `auth` rules: each names the key to set or clear. */
function authRules(): Record<string, unknown>[] {
  const provider = (p: string) => ({ allOf: [AUTH_OIDC, oidcKey('provider', { const: p })] });
  return [
    { if: AUTH_LDAP, then: { allOf: [ldapKey('url', nonEmpty), ldapKey('userBase', nonEmpty)] } },
    { if: AUTH_OIDC, then: { allOf: [oidcKey('clientId', nonEmpty), oidcKey('clientSecret.existingSecret', nonEmpty)] } },
    { if: provider('generic'), then: oidcKey('generic.discoveryUrl', nonEmpty) },
    { if: provider('azureEntraId'), then: oidcKey('azureEntraId.tenantId', nonEmpty) },
    { if: provider('okta'), then: oidcKey('okta.domain', nonEmpty) },
    { if: provider('keycloak'), then: { allOf: [oidcKey('keycloak.url', nonEmpty), oidcKey('keycloak.realm', nonEmpty)] } },
    // A generic provider's users come from the validated ID token.
    { if: { allOf: [provider('generic'), oidcKey('scopes', { minItems: 1 })] }, then: oidcKey('scopes', { contains: { const: 'openid' } }) },
    // With neither a mapping nor a default role every login would be refused.
    {
      if: req(['auth', 'type'], { enum: ['ldap', 'oidc'] }),
      then: { anyOf: [req(['auth', 'roleMapping'], { minProperties: 1 }), req(['auth', 'defaultRole'], nonEmpty)] },
    },
    { if: { allOf: [req(['auth', 'type'], { enum: ['ldap', 'oidc'] }), req(['auth', 'defaultRole'], nonEmpty)] }, then: whenValue(['auth', 'selfRegistration'], true) },
    // TLS to the directory: ldaps://, or ldap:// with StartTLS; plain LDAP only with allowInsecureLdap, which then
    // describes exactly that (not ldaps://, not StartTLS) and leaves no CA to verify with.
    { if: { allOf: [AUTH_LDAP, ldapKey('startTls', { const: true })] }, then: ldapKey('url', PLAIN_LDAP) },
    { if: { allOf: [AUTH_LDAP, ldapKey('url', PLAIN_LDAP), ldapKey('startTls', { const: false })] }, then: ldapKey('allowInsecureLdap', { const: true }) },
    {
      if: { allOf: [AUTH_LDAP, ldapKey('allowInsecureLdap', { const: true })] },
      then: { allOf: [ldapKey('url', PLAIN_LDAP), ldapKey('startTls', { const: false }), ldapKey('caCertificate.existingSecret', { maxLength: 0 })] },
    },
    // A search account is a DN and its password.
    { if: { allOf: [AUTH_LDAP, ldapKey('bindDn', nonEmpty)] }, then: ldapKey('bindPassword.existingSecret', nonEmpty) },
    { if: { allOf: [AUTH_LDAP, ldapKey('bindPassword.existingSecret', nonEmpty)] }, then: ldapKey('bindDn', nonEmpty) },
  ];
}

/**
 * Requirements between values, each an if/then the way Helm reports it (the key is named in the message).
 * The constructs throw for the same combinations.
 */
const RULES: Record<string, unknown>[] = [
  // An Ingress needs a host and a TLS source.
  { if: whenValue(['ingress', 'enabled'], true), then: req(['ingress', 'host'], nonEmpty) },
  {
    if: whenValue(['ingress', 'enabled'], true),
    then: { anyOf: [req(['ingress', 'tls', 'secretName'], nonEmpty), req(['ingress', 'tls', 'certManager', 'issuer'], nonEmpty)] },
  },
  // An external database needs a host and a password Secret; verify-* need a CA, the others refuse one.
  { if: whenValue(['postgres', 'enabled'], false), then: req(['externalDatabase', 'host'], nonEmpty) },
  { if: whenValue(['postgres', 'enabled'], false), then: req(['externalDatabase', 'password', 'existingSecret'], nonEmpty) },
  {
    if: { allOf: [whenValue(['postgres', 'enabled'], false), req(['externalDatabase', 'sslMode'], { enum: ['verify-ca', 'verify-full'] })] },
    then: req(['externalDatabase', 'caCertificate', 'existingSecret'], nonEmpty),
  },
  { if: req(['externalDatabase', 'sslMode'], { enum: ['disable', 'require'] }), then: req(['externalDatabase', 'caCertificate', 'existingSecret'], { maxLength: 0 }) },
  // An external Redis (Celery only) needs a host and a password Secret; a CA needs TLS.
  {
    if: { allOf: [whenValue(['redis', 'enabled'], false), { anyOf: [whenValue(['executor'], 'CeleryExecutor'), { not: { required: ['executor'] } }] }] },
    then: { allOf: [req(['externalRedis', 'host'], nonEmpty), req(['externalRedis', 'password', 'existingSecret'], nonEmpty)] },
  },
  { if: whenValue(['externalRedis', 'tls'], false), then: req(['externalRedis', 'caCertificate', 'existingSecret'], { maxLength: 0 }) },
  // A Secret the release generates uses its default key: `key` applies to an existingSecret only.
  ...GENERATED_SECRETS.map(({ path, defaultKey }) => ({
    if: req([...path.split('.'), 'existingSecret'], { maxLength: 0 }),
    then: req([...path.split('.'), 'key'], { const: defaultKey }),
  })),
  // Flower monitors Celery workers.
  { if: req(['executor'], { enum: ['LocalExecutor', 'KubernetesExecutor'] }), then: { properties: { flower: { properties: { enabled: { const: false } } } } } },
];

/**
 * values.schema.json: draft-07, closed at every level, with type, description and default on every key. `model`
 * lets tests validate the auth keys before they join VALUES_MODEL (see the note there).
 */
export function valuesSchema(model: ValueGroup = VALUES_MODEL): Record<string, unknown> {
  const root = groupSchema(model);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'cdk8s-airflow chart values',
    ...root,
    properties: {
      ...(root.properties as object),
      // Helm passes `global` to every chart (subchart convention); it is accepted and unused.
      global: { type: 'object', description: 'Helm global values (unused by this chart).', default: {} },
    },
    // Login: what each mode needs, and the LDAP transport rules (src/config/auth.ts throws for the same).
    allOf: [...RULES, ...authRules()],
    definitions: SCHEMA_DEFINITIONS,
  };
}
