import Ajv from 'ajv';
import { Testing } from 'cdk8s';
import { AirflowChart } from '../../src';
import { defaultValues, leaves, mergeValues } from '../../src/values/model';
import { propsFromValues } from '../../src/values/props';
import { valuesSchema } from '../../src/values/schema';

const synth = (props: object) => Testing.synth(new AirflowChart(Testing.app(), 'airflow', { namespace: 'airflow', ...props }));

describe('values model', () => {
  test('the default values give exactly what the constructs give with no props', () => {
    expect(synth(propsFromValues({}, { releaseName: 'airflow', namespace: 'airflow' }))).toEqual(synth({}));
  });

  test('every key has a description, a default and a probe', () => {
    for (const { path, leaf } of leaves()) {
      expect({ path, description: leaf.description.length > 3 }).toEqual({ path, description: true });
      expect(leaf.default).not.toBeUndefined();
      expect(leaf.probe).toBeDefined();
    }
  });

  describe('schema', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(valuesSchema());
    const errors = (v: object) => (validate(mergeValues(defaultValues(), v)) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

    test('accepts the defaults and a production-like configuration', () => {
      expect(errors({})).toEqual([]);
      expect(errors({
        postgres: { enabled: false },
        externalDatabase: { host: 'db.example.com', password: { existingSecret: 'db' }, caCertificate: { existingSecret: 'db-ca' } },
        redis: { enabled: false },
        externalRedis: { host: 'redis.example.com', port: 6380, password: { existingSecret: 'redis' } },
        ingress: { enabled: true, host: 'airflow.example.com', className: 'nginx', tls: { certManager: { issuer: 'letsencrypt-prod' } } },
        flower: { enabled: true },
        config: { core: { parallelism: 128 }, logging: { log_filename_template: 'dag_id={{ ti.dag_id }}/attempt={{ try_number }}.log' } },
      })).toEqual([]);
    });

    test.each([
      ['an unknown top-level key', { webserver: {} }, 'must NOT have additional properties'],
      ['a misspelled nested key', { scheduler: { replica: 2 } }, '/scheduler must NOT have additional properties'],
      ['a wrong type', { apiServer: { replicas: 'two' } }, '/apiServer/replicas must be integer'],
      ['an out-of-range number', { scheduler: { replicas: 0 } }, '/scheduler/replicas must be >= 1'],
      ['an invalid enum', { executor: 'SequentialExecutor' }, '/executor must be equal to one of the allowed values'],
      ['a latest tag', { images: { airflow: { tag: 'latest' } } }, '/images/airflow/tag must NOT be valid'],
      ['an ingress without host', { ingress: { enabled: true, tls: { secretName: 'tls' } } }, '/ingress/host must NOT have fewer than 1 characters'],
      ['an ingress without TLS', { ingress: { enabled: true, host: 'a.example.com' } }, '/ingress/tls/secretName must NOT have fewer than 1 characters'],
      ['an external database without host', { postgres: { enabled: false }, externalDatabase: { password: { existingSecret: 'db' }, caCertificate: { existingSecret: 'ca' } } }, '/externalDatabase/host must NOT have fewer than 1 characters'],
      ['Flower without Celery', { executor: 'LocalExecutor', flower: { enabled: true } }, '/flower/enabled must be equal to constant'],
      ['incomplete resources', { workers: { resources: { requests: { cpu: '1' } } } }, "/workers/resources/requests must have required property 'memory'"],
      ['a CIDR that is not one', { networkPolicy: { taskEgressCidrs: ['10.0.0.0'] } }, '/networkPolicy/taskEgressCidrs/0 must match pattern'],
    ])('rejects %s, naming the key', (_what, values, message) => {
      expect(errors(values).join('\n')).toContain(message);
    });
  });
});
