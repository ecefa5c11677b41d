import { readFileSync } from 'fs';
import { join } from 'path';
import { k8s } from 'cdk8s-plus-27';
import { parse } from 'yaml';
import K8S_DEFINITIONS from '../../src/values/k8s-definitions.json';
import { cdk8sFieldName, k8sFromValues } from '../../src/values/k8s-objects';

type Schema = { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean };
const DEFINITIONS = K8S_DEFINITIONS.definitions as Record<string, Schema>;

/** cdk8s-plus-27's `toJson_<Type>` for a definition (its importer names types like fields, capitalized). */
function toJsonOf(definition: string): ((obj: unknown) => Record<string, unknown>) | undefined {
  const short = definition.split('.').pop()!;
  const name = cdk8sFieldName(short);
  return (k8s as any)[`toJson_${name.charAt(0).toUpperCase()}${name.slice(1)}`];
}

/** A value of a field's schema, as cdk8s-plus-27 props. */
function sample(schema: Schema): unknown {
  if (Array.isArray(schema.type)) return schema.type.includes('number') ? k8s.Quantity.fromString('1') : k8s.IntOrString.fromNumber(1);
  if (schema.$ref === '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time') return new Date(0);
  if (schema.$ref || schema.additionalProperties) return {};
  return { string: 'x', integer: 1, boolean: true, array: [], object: {} }[schema.type as string];
}

describe('Kubernetes objects from values', () => {
  // Every definition with fields (FieldsV1 and Time are leaves).
  describe.each(Object.keys(DEFINITIONS).filter((d) => DEFINITIONS[d].properties))('%s', (definition) => {
    test('every field the schema accepts is one the constructs carry, under the name cdk8sFieldName gives', () => {
      // GIVEN cdk8s-plus-27's toJson_* of the definition
      const toJson = toJsonOf(definition);
      expect({ definition, toJson: typeof toJson }).toEqual({ definition, toJson: 'function' });

      // WHEN each field is set alone under its cdk8s name
      const lost = Object.entries(DEFINITIONS[definition].properties ?? {})
        .filter(([wire, schema]) => !(wire in toJson!({ [cdk8sFieldName(wire)]: sample(schema) })));

      // THEN toJson writes it back under its wire name: none is dropped
      expect(lost.map(([wire]) => wire)).toEqual([]);
    });
  });

  test('cdk8sFieldName splits capitals like cdk8s\'s importer', () => {
    expect(['fsType', 'downwardAPI', 'volumeID', 'targetWWNs', 'scaleIO', 'diskURI', 'readOnly'].map(cdk8sFieldName))
      .toEqual(['fsType', 'downwardApi', 'volumeId', 'targetWwNs', 'scaleIo', 'diskUri', 'readOnly']);
  });

  test('the objects of test/helm/good-values-k8s-objects.yaml come back from the constructs as written', () => {
    // GIVEN every Kubernetes object of the file (read as helm reads it), with its definition
    const values = parse(readFileSync(join(__dirname, '..', 'helm', 'good-values-k8s-objects.yaml'), 'utf8'), { version: '1.1' });
    const lists: Record<string, string> = { tolerations: 'Toleration', topologySpreadConstraints: 'TopologySpreadConstraint', extraEnv: 'EnvVar', extraVolumes: 'Volume', extraVolumeMounts: 'VolumeMount' };
    const objects: [string, unknown][] = [];
    for (const component of Object.values(values) as Record<string, any>[]) {
      if (component.affinity) objects.push(['Affinity', component.affinity]);
      for (const [key, definition] of Object.entries(lists)) for (const item of component[key] ?? []) objects.push([definition, item]);
    }
    expect(objects.length).toBeGreaterThan(25);

    // WHEN each goes to props and back through cdk8s-plus-27's toJson_*
    const back = objects.map(([definition, o]) => [definition, toJsonOf(`io.k8s.api.core.v1.${definition}`)!(k8sFromValues(definition, o))]);

    // THEN nothing changed: no Quantity, renamed field or map key lost
    expect(back).toEqual(objects);
  });

  test('throws if the values model asks for a definition the file does not hold', () => {
    expect(() => k8sFromValues('PodSpec', {})).toThrow('no Kubernetes definition io.k8s.api.core.v1.PodSpec in src/values/k8s-definitions.json');
  });
});
