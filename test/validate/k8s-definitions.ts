/**
 * Writes src/values/k8s-definitions.json: the Kubernetes definitions that values.schema.json checks the Kubernetes
 * objects passed through values against (`<component>.affinity`, `tolerations`, `topologySpreadConstraints`,
 * `extraVolumes`, `extraVolumeMounts`, `extraEnv`), extracted from the same swagger.json as the kubeconform schemas
 * (`api/openapi-spec/swagger.json` of the Go module `k8s.io/kubernetes`, see generate-schemas.ts).
 *
 * Which definitions: every `$ref: '#/definitions/<name>'` the values model makes (src/values/model.ts, `k8sObject`),
 * and everything those reference, nothing else.
 *
 * Which version: K8S_DEFINITIONS_VERSION, the oldest Kubernetes the chart supports (kubeVersion >= 1.27), which is also
 * the version of the types the TypeScript API takes (cdk8s-plus-27's `k8s.*`). Between 1.27 and 1.34 these
 * definitions only gained fields (Volume.image, VolumeMount.recursiveReadOnly, EnvVarSource.fileKeyRef,
 * PodAffinityTerm.matchLabelKeys and mismatchLabelKeys, VolumeProjection.clusterTrustBundle and podCertificate,
 * PersistentVolumeClaimSpec.volumeAttributesClassName); the one field they lost, `claims` under an ephemeral volume's
 * claim template `resources`, was documented as "can only be set for containers". So with 1.27: everything the schema
 * accepts exists on every cluster the chart supports, and it is exactly what the constructs can express (their
 * cdk8s-plus-27 `toJson_*` functions drop any other field, so the chart and `cdk8s synth` would disagree on it).
 * The price: those newer fields are refused. Moving the constructs to a newer cdk8s-plus moves this pin with them.
 *
 * The conversion (draft-07, what Helm's validator and Ajv read alike):
 *  - `$ref`s stay references into `#/definitions` (values.schema.json holds the definitions once); IntOrString becomes
 *    `type: [string, integer]` and Quantity `type: [string, number]`, inline, as the API server reads them;
 *  - strict: `additionalProperties: false` on every object with `properties`; `required` kept;
 *  - `x-kubernetes-*` dropped (list and map semantics of server-side apply, not validation);
 *  - `description` dropped: it is not validation and it is two thirds of the bytes (92 KB with it, 31 KB without); without it the
 *    file stays small and a version bump's diff shows only what the validation changed (the Kubernetes API reference
 *    documents the fields);
 *  - `format` dropped: int32 and int64 are not JSON-schema formats (the `integer` type stays), and Helm asserts
 *    draft-07 formats (date-time) where Ajv, without ajv-formats, does not: the two would disagree;
 *  - optional fields do not accept null (unlike the kubeconform schemas: a values file has no reason to write one);
 *  - any other keyword is an error here, so that a new one in a later swagger.json is looked at, not lost.
 *
 * CLI (needs Go on first use; the swagger.json is cached by generate-schemas.ts):
 *   npx ts-node --transpileOnly test/validate/k8s-definitions.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { cachedSwagger } from './generate-schemas';
import { valuesSchema } from '../../src/values/schema';

/** The Kubernetes version of src/values/k8s-definitions.json (see above for why the oldest supported). */
export const K8S_DEFINITIONS_VERSION = '1.27.16';

export const K8S_DEFINITIONS_FILE = path.join(__dirname, '..', '..', 'src', 'values', 'k8s-definitions.json');

export const REGENERATE = 'npx ts-node --transpileOnly test/validate/k8s-definitions.ts';

type Schema = Record<string, any>;

const REF_PREFIX = '#/definitions/';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/**
 * The Kubernetes definitions the values model refers to (every `$ref` to an `io.k8s.` definition of values.schema.json
 * outside its `definitions`; the config schema's own definitions are not Kubernetes').
 */
export function referencedDefinitions(schema: Schema = valuesSchema()): string[] {
  const found = new Set<string>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith(`${REF_PREFIX}io.k8s.`)) found.add(v.slice(REF_PREFIX.length));
        else walk(v);
      }
    }
  };
  const { definitions, ...rest } = schema;
  walk(rest);
  // The chart's own shared definitions (e.g. `extraContainer`) refer to Kubernetes definitions too.
  for (const [name, definition] of Object.entries((definitions ?? {}) as Record<string, unknown>)) if (!name.startsWith('io.k8s.')) walk(definition);
  return [...found].sort();
}

/** One swagger 2.0 schema as draft-07; `refer` is told every definition it references. */
function convert(node: Schema, where: string, refer: (name: string) => void): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('x-kubernetes-') || k === 'format' || k === 'description') continue;
    switch (k) {
      case '$ref': {
        const name = String(v).replace(REF_PREFIX, '');
        if (name === INT_OR_STRING) out.type = ['string', 'integer'];
        else if (name === QUANTITY) out.type = ['string', 'number'];
        else {
          refer(name);
          out.$ref = `${REF_PREFIX}${name}`;
        }
        break;
      }
      case 'type':
      case 'required':
        out[k] = v;
        break;
      case 'items':
      case 'additionalProperties':
        out[k] = convert(v as Schema, `${where}.${k}`, refer);
        break;
      case 'properties':
        out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, convert(s as Schema, `${where}.${p}`, refer)]));
        break;
      default:
        throw new Error(`${where}: keyword ${k} is not converted (look at what it means before adding it)`);
    }
  }
  if (out.$ref && Object.keys(out).length > 1) throw new Error(`${where}: a $ref with sibling keywords (draft-07 ignores them)`);
  if (out.properties) {
    if (out.additionalProperties !== undefined) throw new Error(`${where}: properties and additionalProperties both set`);
    out.additionalProperties = false;
  }
  return out;
}

/** The definitions reachable from `roots`, converted, in name order. */
export function extractDefinitions(swagger: { definitions: Record<string, Schema> }, roots: readonly string[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (name in out) continue;
    const def = swagger.definitions[name];
    if (!def) throw new Error(`definition ${name} is not in the swagger.json`);
    out[name] = convert(def, name, (n) => queue.push(n));
  }
  return Object.fromEntries(Object.keys(out).sort().map((n) => [n, out[n]]));
}

/** The content of src/values/k8s-definitions.json, generated from the (cached) swagger.json of the pinned version. */
export function k8sDefinitionsText(version: string = K8S_DEFINITIONS_VERSION): string {
  const swagger = JSON.parse(cachedSwagger(version).toString('utf8'));
  const definitions = extractDefinitions(swagger, referencedDefinitions());
  const doc = {
    $comment: `Generated by test/validate/k8s-definitions.ts from api/openapi-spec/swagger.json of k8s.io/kubernetes@v${version}; do not edit: ${REGENERATE}`,
    kubernetesVersion: version,
    definitions,
  };
  return `${JSON.stringify(doc, null, 1)}\n`;
}

if (require.main === module) {
  const text = k8sDefinitionsText();
  fs.writeFileSync(K8S_DEFINITIONS_FILE, text);
  const doc = JSON.parse(text);
  console.log(`${path.relative(process.cwd(), K8S_DEFINITIONS_FILE)}: ${Object.keys(doc.definitions).length} definitions from Kubernetes ${doc.kubernetesVersion}, ${text.length} bytes`);
}
