import { App, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import {
  AirflowChart, CeleryBroker, IngressTls, IssuerKind, MetadataDatabase, SecretKeyRef, SslMode,
} from '../src';

/**
 * External PostgreSQL with `sslmode=verify-full`, external Redis with TLS, three api-servers behind a
 * cert-manager TLS Ingress, explicit sizing.
 */
export function productionExample(scope: Construct): AirflowChart {
  // Explicit requests and memory limits (no CPU limits: throttling hurts Airflow more than sharing). Ephemeral
  // storage is explicit too, so a values file can say the same: a small request, and a limit above the pod's
  // disk-backed emptyDirs (logs and /tmp).
  const size = (cpuMillis: number, memRequestMi: number, memLimitMi: number, diskLimitMi = 2048) => ({
    cpu: { request: Cpu.millis(cpuMillis) },
    memory: { request: Size.mebibytes(memRequestMi), limit: Size.mebibytes(memLimitMi) },
    ephemeralStorage: { request: Size.mebibytes(256), limit: Size.mebibytes(diskLimitMi) },
  });
  return new AirflowChart(scope, 'airflow-production', {
    namespace: 'airflow-prod',
    releaseName: 'airflow',
    database: MetadataDatabase.external({
      host: 'airflow-db.postgres.example.com',
      database: 'airflow',
      user: 'airflow',
      password: SecretKeyRef.fromSecret('airflow-db', 'password'),
      sslMode: SslMode.VERIFY_FULL,
      caCertificate: SecretKeyRef.fromSecret('airflow-db-ca', 'ca.crt'),
      cidrs: ['10.20.0.0/16'],
    }),
    broker: CeleryBroker.external({
      host: 'airflow-redis.redis.example.com',
      port: 6380,
      password: SecretKeyRef.fromSecret('airflow-redis', 'password'),
      tls: true,
      caCertificate: SecretKeyRef.fromSecret('airflow-redis-ca', 'ca.crt'),
      cidrs: ['10.30.0.0/16'],
    }),
    apiServer: { replicas: 3, resources: size(500, 2048, 3072) },
    scheduler: { replicas: 2, resources: size(1000, 2048, 4096) },
    dagProcessor: { resources: size(500, 2048, 4096) },
    triggerer: { replicas: 2, resources: size(250, 1024, 2048) },
    workers: { replicas: 4, concurrency: 16, resources: size(1000, 4096, 8192, 8192) },
    flower: { enabled: true },
    ingress: {
      host: 'airflow.example.com',
      className: 'nginx',
      tls: IngressTls.certManager('letsencrypt-prod', IssuerKind.CLUSTER_ISSUER),
    },
    networkPolicy: { taskEgressCidrs: ['10.0.0.0/8'] },
    config: {
      core: { parallelism: 128, max_active_tasks_per_dag: 32 },
      logging: { log_filename_template: 'dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/attempt={{ try_number|default(ti.try_number) }}.log' },
    },
  });
}

if (require.main === module) {
  const app = new App();
  productionExample(app);
  app.synth();
}
