import { isGroup, ValueGroup, ValueLeaf, VALUES_MODEL } from './model';

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
  // Flower monitors Celery workers.
  { if: req(['executor'], { enum: ['LocalExecutor', 'KubernetesExecutor'] }), then: { properties: { flower: { properties: { enabled: { const: false } } } } } },
];

/** values.schema.json: draft-07, closed at every level, with type, description and default on every key. */
export function valuesSchema(): Record<string, unknown> {
  const root = groupSchema(VALUES_MODEL);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'cdk8s-airflow chart values',
    ...root,
    properties: {
      ...(root.properties as object),
      // Helm passes `global` to every chart (subchart convention); it is accepted and unused.
      global: { type: 'object', description: 'Helm global values (unused by this chart).', default: {} },
    },
    allOf: RULES,
  };
}
