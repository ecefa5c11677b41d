/**
 * src/values/k8s-definitions.json (the Kubernetes definitions values.schema.json checks Kubernetes objects in values
 * against) is what test/validate/k8s-definitions.ts extracts from the pinned Kubernetes version's swagger.json, and
 * the extraction does what it says.
 *
 * Needs Go on first use (the swagger.json comes from the k8s.io/kubernetes module through the Go module proxy, then
 * stays cached under ${CDK8S_AIRFLOW_CACHE:-~/.cache/cdk8s-airflow}/swagger).
 */
import * as fs from 'fs';
import { resolveVersion } from './generate-schemas';
import { extractDefinitions, K8S_DEFINITIONS_FILE, K8S_DEFINITIONS_VERSION, k8sDefinitionsText, referencedDefinitions, REGENERATE } from './k8s-definitions';

describe('src/values/k8s-definitions.json', () => {
  test('is what the extraction gives from the pinned swagger.json (it cannot drift)', () => {
    // GIVEN the committed file
    const committed = fs.readFileSync(K8S_DEFINITIONS_FILE, 'utf8');

    // WHEN the definitions are extracted again from k8s.io/kubernetes@v<pinned> for the refs the values model makes
    const generated = k8sDefinitionsText();

    // THEN they are the same bytes
    expect({ upToDate: committed === generated, fix: committed === generated ? '' : `run ${REGENERATE}, then npm run chart` })
      .toEqual({ upToDate: true, fix: '' });
  }, 5 * 60_000); // a cold cache downloads the module (~17 MB)

  test('comes from the oldest Kubernetes the kubeconform tests pin (the chart\'s kubeVersion floor)', () => {
    expect(K8S_DEFINITIONS_VERSION).toBe(resolveVersion('1.27'));
    expect(JSON.parse(fs.readFileSync(K8S_DEFINITIONS_FILE, 'utf8')).kubernetesVersion).toBe(K8S_DEFINITIONS_VERSION);
  });

  test('the values refer to the definitions of every Kubernetes object they pass through', () => {
    expect(referencedDefinitions()).toEqual([
      'io.k8s.api.core.v1.Affinity',
      'io.k8s.api.core.v1.Container',
      'io.k8s.api.core.v1.EnvVar',
      'io.k8s.api.core.v1.Toleration',
      'io.k8s.api.core.v1.TopologySpreadConstraint',
      'io.k8s.api.core.v1.Volume',
      'io.k8s.api.core.v1.VolumeMount',
    ]);
  });
});

describe('extractDefinitions', () => {
  // GIVEN a small swagger document with every construct the conversion handles
  const swagger = {
    definitions: {
      'io.k8s.api.core.v1.Thing': {
        description: 'A thing.',
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', description: 'Name.' },
          port: { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString', description: 'Port.' },
          size: { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' },
          count: { type: 'integer', format: 'int32' },
          parts: { type: 'array', items: { $ref: '#/definitions/io.k8s.api.core.v1.Part' }, 'x-kubernetes-list-type': 'atomic' },
          limits: { type: 'object', additionalProperties: { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' } },
        },
      },
      'io.k8s.api.core.v1.Part': { type: 'object', properties: { path: { type: 'string' } }, 'x-kubernetes-map-type': 'atomic' },
      'io.k8s.api.core.v1.Unused': { type: 'object', properties: { x: { type: 'string' } } },
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
      'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
    },
  };

  test('keeps what is reachable, closes objects, inlines IntOrString and Quantity, drops formats, descriptions and extensions', () => {
    // WHEN Thing is extracted
    const out = extractDefinitions(swagger, ['io.k8s.api.core.v1.Thing']);

    // THEN
    expect(out).toEqual({
      'io.k8s.api.core.v1.Part': { type: 'object', properties: { path: { type: 'string' } }, additionalProperties: false },
      'io.k8s.api.core.v1.Thing': {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          port: { type: ['string', 'integer'] },
          size: { type: ['string', 'number'] },
          count: { type: 'integer' },
          parts: { type: 'array', items: { $ref: '#/definitions/io.k8s.api.core.v1.Part' } },
          limits: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
        },
      },
    });
  });

  test('throws if the swagger.json has a keyword it does not convert', () => {
    const odd = { definitions: { 'io.k8s.api.core.v1.Odd': { type: 'string', pattern: '^a$' } } };
    expect(() => extractDefinitions(odd, ['io.k8s.api.core.v1.Odd'])).toThrow('io.k8s.api.core.v1.Odd: keyword pattern is not converted');
  });

  test('throws if a definition is missing', () => {
    expect(() => extractDefinitions(swagger, ['io.k8s.api.core.v1.Nothing'])).toThrow('definition io.k8s.api.core.v1.Nothing is not in the swagger.json');
  });
});
