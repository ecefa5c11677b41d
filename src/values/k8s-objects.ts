import { k8s } from 'cdk8s-plus-27';
import K8S_DEFINITIONS from './k8s-definitions.json';

/**
 * Kubernetes objects from values (wire format, as the API and the chart have them) as cdk8s-plus-27 `k8s.*` props,
 * which the constructs turn back into wire format with `k8s.toJson_*`. A cast is not enough: `toJson_*` reads a
 * Quantity or IntOrString field's `.value` (a plain `1Mi` from values would be dropped) and reads some fields under
 * another name (`downwardAPI` is `downwardApi`, `volumeID` is `volumeId`), and a timestamp as a Date. The walk follows the definitions of
 * values.schema.json (src/values/k8s-definitions.json), so map keys (labels, volumeAttributes, requests) stay as written.
 * Hand-written: cdk8s generates only the `toJson_*` direction.
 */

type Schema = { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean };

const DEFINITIONS: Record<string, Schema> = K8S_DEFINITIONS.definitions as Record<string, Schema>;
const REF_PREFIX = '#/definitions/';
/** A timestamp (ObjectMeta's, in an ephemeral volume's claim template): cdk8s-plus-27 takes a Date. */
const TIME = `${REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.Time`;

/**
 * The name cdk8s gives a field in TypeScript (its importer camel-cases the wire name like the `camelcase` package):
 * a run of capitals is one word, whose last capital starts the next word when a lower-case letter follows
 * (`downwardAPI` -> `downwardApi`, `targetWWNs` -> `targetWwNs`). test/values/k8s-objects.test.ts checks it against
 * every field cdk8s-plus-27's `toJson_*` functions read.
 */
export function cdk8sFieldName(wire: string): string {
  const words = wire.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z])([A-Z][a-z])/g, '$1 $2').split(' ');
  return words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1).toLowerCase() : w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())).join('');
}

const sameTypes = (t: Schema['type'], want: string[]) => Array.isArray(t) && t.length === want.length && want.every((x) => t.includes(x));

function convert(schema: Schema, value: unknown): unknown {
  if (schema.$ref === TIME && typeof value === 'string') return new Date(value);
  if (schema.$ref) return convert(DEFINITIONS[schema.$ref.slice(REF_PREFIX.length)], value);
  // Quantity and IntOrString are the definitions' only type lists (test/validate/k8s-definitions.ts inlines them).
  if (sameTypes(schema.type, ['string', 'number']) && (typeof value === 'string' || typeof value === 'number')) {
    return typeof value === 'number' ? k8s.Quantity.fromNumber(value) : k8s.Quantity.fromString(value);
  }
  if (sameTypes(schema.type, ['string', 'integer']) && (typeof value === 'string' || typeof value === 'number')) {
    return typeof value === 'number' ? k8s.IntOrString.fromNumber(value) : k8s.IntOrString.fromString(value);
  }
  if (Array.isArray(value)) return value.map((v) => convert(schema.items ?? {}, v));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (schema.properties) return Object.fromEntries(entries.map(([k, v]) => [cdk8sFieldName(k), convert(schema.properties![k] ?? {}, v)]));
    const each = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : {};
    return Object.fromEntries(entries.map(([k, v]) => [k, convert(each, v)]));
  }
  return value;
}

/** A core/v1 object of definition `name` (e.g. `Volume`), from values, as cdk8s-plus-27 props. */
export function k8sFromValues<T>(name: string, value: unknown): T {
  const definition = `io.k8s.api.core.v1.${name}`;
  if (!DEFINITIONS[definition]) throw new Error(`no Kubernetes definition ${definition} in src/values/k8s-definitions.json`);
  return convert({ $ref: `${REF_PREFIX}${definition}` }, value) as T;
}
