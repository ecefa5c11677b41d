/**
 * What the Python test synthesizes in TypeScript: every example (examples/*.ts) and one more chart that reaches the
 * rest of the public API (OIDC, custom roles, KubernetesExecutor, DAGs from a claim, sidecars, cdk8s-plus quantities,
 * an extra network edge). test/python/examples.py writes the same charts with the Python package; the manifests must
 * be byte for byte the same.
 */
import { App, Size } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { EXAMPLES } from '../../examples';
import {
  AirflowAuth, AirflowChart, BuiltinRole, DagAccess, DagGrant, DagsSource, Executor, ExternalPeer, FabPermission,
  IngressTls, NetworkPort, OidcProvider, SecretKeyRef,
} from '../../src';

/** OIDC login, custom roles and the extension points, on the KubernetesExecutor. */
export function bindingsExample(scope: Construct): AirflowChart {
  const chart = new AirflowChart(scope, 'airflow-bindings', {
    namespace: 'data-platform',
    releaseName: 'pipelines',
    executor: Executor.KUBERNETES,
    dags: DagsSource.fromPersistentVolumeClaim('dags'),
    auth: AirflowAuth.oidc({
      provider: OidcProvider.keycloak({ url: 'https://sso.example.com', realm: 'data' }),
      clientId: 'airflow',
      clientSecret: SecretKeyRef.fromSecret('airflow-oidc', 'client-secret'),
      providerCidrs: ['10.50.0.0/16'],
      roleMapping: { 'airflow-admins': [BuiltinRole.ADMIN], 'analysts': ['analysts'] },
      roles: [{
        name: 'analysts',
        dags: [DagGrant.dags(['daily_report'], DagAccess.TRIGGER), DagGrant.tagged(['finance'], DagAccess.READ)],
        permissions: [FabPermission.of('can_read', 'Pools')],
      }],
    }),
    ingress: { host: 'airflow.data.example.com', tls: IngressTls.fromSecret('airflow-tls') },
    scheduler: {
      replicas: 2,
      resources: { cpu: { request: Cpu.millis(750) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(3) } },
      extraEnv: [{ name: 'TZ', value: 'Europe/Madrid' }],
      extraContainers: [{
        name: 'log-shipper',
        image: 'registry.example.com/log-shipper:1.4.2',
        args: ['--follow', '/opt/airflow/logs'],
        resources: {
          requests: { 'cpu': k8s.Quantity.fromString('50m'), 'memory': k8s.Quantity.fromString('64Mi'), 'ephemeral-storage': k8s.Quantity.fromString('64Mi') },
          limits: { 'memory': k8s.Quantity.fromString('128Mi'), 'ephemeral-storage': k8s.Quantity.fromString('256Mi') },
        },
      }],
    },
    config: {
      core: { parallelism: 48, load_examples: false },
      dag_processor: { refresh_interval: 120 },
      logging: { logging_level: 'INFO' },
    },
  });
  chart.scheduler.workload.connections.allowTo(ExternalPeer.cidrs(['10.60.0.0/16'], 'the data warehouse'), NetworkPort.tcp(5439));
  return chart;
}

/** Inputs the constructs refuse, by name; examples.py --errors makes the same calls in Python. */
export const REFUSALS: Record<string, (app: App) => unknown> = {
  'unknown config key': (app) => new AirflowChart(app, 'a', { config: { core: { paralellism: 64 } } }),
  'negative cpu': (app) => new AirflowChart(app, 'b', { scheduler: { resources: { cpu: { request: Cpu.units(-2) }, memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) } } } }),
  'ingress host': (app) => new AirflowChart(app, 'c', { ingress: { host: 'not a host', tls: IngressTls.fromSecret('t') } }),
  'secret name': () => SecretKeyRef.fromSecret('Not_A_Name', 'key'),
  'release name collision': (app) => [
    new AirflowChart(app, 'd', { namespace: 'x', releaseName: 'same' }),
    new AirflowChart(app, 'e', { namespace: 'x', releaseName: 'same' }),
  ],
};

/** Every chart the Python test compares, by name. */
export const SCENARIOS: Record<string, (scope: Construct) => AirflowChart> = { ...EXAMPLES, bindings: bindingsExample };
