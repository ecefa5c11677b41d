import { Duration, Size, Testing } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-27';
import {
  AirflowChart, CeleryBroker, ContainerImage, DagsSource, Executor, IngressTls, MetadataDatabase, SecretKeyRef, SslMode,
} from '../src';
import { errorOf, find, findJob, podTemplates, synth, synthAirflow } from './util';

describe('AirflowChart bad input', () => {
  const cases: [string, () => string, RegExp][] = [
    ['throws if scheduler.replicas is 0', () => errorOf({ scheduler: { replicas: 0 } }), /scheduler\.replicas must be an integer of at least 1, got 0; omit it to use the default \(2\)/],
    ['throws if apiServer.replicas is negative', () => errorOf({ apiServer: { replicas: -1 } }), /apiServer\.replicas must be an integer of at least 1, got -1/],
    ['throws if workers.replicas is fractional', () => errorOf({ workers: { replicas: 1.5 } }), /workers\.replicas must be an integer of at least 0, got 1\.5/],
    ['throws if Flower is enabled without Celery', () => errorOf({ executor: Executor.LOCAL, flower: { enabled: true } }), /flower\.enabled requires Executor\.CELERY/],
    ['throws if workers are configured without Celery', () => errorOf({ executor: Executor.KUBERNETES, workers: { replicas: 2 } }), /workers is only used with Executor\.CELERY/],
    ['throws if a broker is given without Celery', () => errorOf({ executor: Executor.LOCAL, broker: CeleryBroker.embedded() }), /broker is only used with Executor\.CELERY/],
    ['throws if ingress has no host', () => errorOf({ ingress: { host: '', tls: IngressTls.fromSecret('t') } }), /ingress\.host is required/],
    ['throws if ingress host is malformed', () => errorOf({ ingress: { host: 'not a host', tls: IngressTls.fromSecret('t') } }), /ingress\.host must be a DNS name/],
    ['throws if ingress has no TLS', () => errorOf({ ingress: { host: 'a.example.com', tls: undefined as any } }), /ingress\.tls is required: pass IngressTls\.fromSecret/],
    ['throws if an external database has no host', () => errorOf({ database: MetadataDatabase.external({ host: '', password: SecretKeyRef.fromSecret('db', 'pw') }) }), /database\.host is required/],
    ['throws if an external database has no password', () => errorOf({ database: MetadataDatabase.external({ host: 'db.example.com', password: undefined as any }) }), /database\.password is required/],
    ['throws if verify-full has no CA', () => errorOf({ database: MetadataDatabase.external({ host: 'db.example.com', password: SecretKeyRef.fromSecret('db', 'pw') }) }), /database\.caCertificate is required with sslMode 'verify-full'/],
    ['throws if a CA is given with sslmode require', () => errorOf({ database: MetadataDatabase.external({ host: 'db.example.com', password: SecretKeyRef.fromSecret('db', 'pw'), sslMode: SslMode.REQUIRE, caCertificate: SecretKeyRef.fromSecret('ca', 'ca.crt') }) }), /only used with sslMode 'verify-ca' or 'verify-full', got sslMode 'require'/],
    ['throws if the external database port is out of range', () => errorOf({ database: MetadataDatabase.external({ host: 'db.example.com', port: 70000, password: SecretKeyRef.fromSecret('db', 'pw'), sslMode: SslMode.REQUIRE }) }), /database\.port must be an integer from 1 to 65535, got 70000/],
    ['throws if an external Redis has no host', () => errorOf({ broker: CeleryBroker.external({ host: '', password: SecretKeyRef.fromSecret('r', 'pw') }) }), /redis\.host is required/],
    ['throws if a Redis CA is given without TLS', () => errorOf({ broker: CeleryBroker.external({ host: 'r.example.com', tls: false, caCertificate: SecretKeyRef.fromSecret('ca', 'ca.crt'), password: SecretKeyRef.fromSecret('r', 'pw') }) }), /redis\.caCertificate needs redis\.tls/],
    ['throws if a config key is outside [a-z0-9_]', () => errorOf({ config: { core: { dagsArePaused: true } } }), /config\.core\.dagsArePaused is invalid: Airflow keys use only \[a-z0-9_\]/],
    ['throws if a config section is outside [a-z0-9_]', () => errorOf({ config: { 'Core-X': { a: 1 } } }), /config section 'Core-X' is invalid/],
    ['throws if a config value is an object', () => errorOf({ config: { core: { parallelism: { a: 1 } as any } } }), /config\.core\.parallelism must be a string, finite number or boolean/],
    ['throws if config sets a secret', () => errorOf({ config: { core: { fernet_key: 'x' } } }), /config\.core\.fernet_key holds a secret and cannot be set in config/],
    ['throws if extraConfig sets a password-like key', () => errorOf({ extraConfig: { my_plugin: { api_password: 'x' } } }), /extraConfig\.my_plugin\.api_password looks like a secret/],
    ['throws if a config section is unknown, naming the closest', () => errorOf({ config: { schedular: { parsing_cleanup_interval: 60 } } }), /config\.schedular: unknown section; did you mean 'scheduler'\?/],
    ['throws if a config key is unknown, naming the closest', () => errorOf({ config: { core: { paralellism: 64 } } }), /config\.core\.paralellism: unknown key; did you mean 'parallelism'\?/],
    ['throws if a config value has the wrong type', () => errorOf({ config: { core: { parallelism: 'many' } } }), /config\.core\.parallelism must be an integer, got 'many'/],
    ['throws if a config key is an Airflow 2 setting', () => errorOf({ config: { webserver: { instance_name: 'prod' } } }), /config\.webserver\.instance_name is deprecated since Airflow 3\.1\.0: it is now api\.instance_name; set config\.api\.instance_name instead/],
    ['throws if config sets a chart-owned key', () => errorOf({ config: { core: { executor: 'LocalExecutor' } } }), /config\.core\.executor is managed by the chart; use the executor prop/],
    ['throws if a memory limit is missing', () => errorOf({ scheduler: { resources: { cpu: { request: Cpu.millis(100) }, memory: { request: Size.mebibytes(256) } } } }), /scheduler\.resources\.memory\.limit is required/],
    ['throws if the memory limit is below the request', () => errorOf({ triggerer: { resources: { cpu: { request: Cpu.millis(100) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } } } }), /triggerer\.resources\.memory\.limit \(1024Mi\) must be at least memory\.request \(2048Mi\)/],
    ['throws if a CPU request is negative', () => errorOf({ scheduler: { resources: { cpu: { request: Cpu.units(-2) }, memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } } } }), /scheduler\.resources\.cpu\.request must be a positive CPU amount, got '-2'; e\.g\. Cpu\.millis\(500\)/],
    ['throws if a CPU limit is zero', () => errorOf({ scheduler: { resources: { cpu: { request: Cpu.millis(100), limit: Cpu.millis(0) }, memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } } } }), /scheduler\.resources\.cpu\.limit must be a positive CPU amount, got '0m'/],
    ['throws if memory is a string (plain JavaScript)', () => errorOf({ scheduler: { resources: { cpu: { request: Cpu.millis(100) }, memory: { request: '2 GB' as any, limit: '2 GB' as any } } } }), /scheduler\.resources\.memory\.request must be a cdk8s Size \(e\.g\. Size\.mebibytes\(512\) or Size\.gibibytes\(2\)\), got "2 GB"/],
    ['throws if CPU is a string (plain JavaScript)', () => errorOf({ scheduler: { resources: { cpu: { request: '500m' as any }, memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } } } }), /scheduler\.resources\.cpu\.request must be a cdk8s-plus Cpu/],
    ['throws if sslMode is not an SslMode (plain JavaScript)', () => errorOf({ database: MetadataDatabase.external({ host: 'db.example.com', password: SecretKeyRef.fromSecret('db', 'pw'), sslMode: 'verify_full' as any }) }), /database\.sslMode must be one of disable, prefer, require, verify-ca, verify-full \(SslMode\.\*\), got 'verify_full'/],
    ['throws if a CPU request is missing', () => errorOf({ workers: { resources: { memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) } } } }), /workers\.resources\.cpu\.request is required/],
    ['throws if workers.terminationGracePeriod is too short', () => errorOf({ workers: { terminationGracePeriod: Duration.seconds(5) } }), /workers\.terminationGracePeriod must be from 30s to 86400s in whole seconds, got 5s/],
    ['throws if pod labels override app.kubernetes.io labels', () => errorOf({ apiServer: { podLabels: { 'app.kubernetes.io/name': 'x' } } }), /apiServer\.podLabels may not set 'app\.kubernetes\.io\/name'/],
    ['throws if the release name is not a DNS label', () => errorOf({ releaseName: 'My_Airflow' }), /releaseName must be a lowercase DNS label/],
    ['throws if the Kubernetes executor has no namespace', () => errorOf({ executor: Executor.KUBERNETES, namespace: undefined }), /namespace is required with Executor\.KUBERNETES/],
    ['throws if task egress CIDRs are malformed', () => errorOf({ networkPolicy: { taskEgressCidrs: ['10.0.0.0'] } }), /networkPolicy\.taskEgressCidrs must hold CIDRs like '10\.0\.0\.0\/8', got '10\.0\.0\.0'/],
    ['throws if the admin e-mail is malformed', () => errorOf({ adminUser: { email: 'nobody' } }), /adminUser\.email must be an e-mail address, got 'nobody'/],
    ['throws if workers.queues is empty', () => errorOf({ workers: { queues: [] } }), /workers\.queues must be a non-empty list/],
  ];
  test.each(cases)('%s', (_, run, message) => {
    // Factories (MetadataDatabase.external, ...) throw as early as the chart does: either way, the message counts.
    let text: string;
    try { text = run(); } catch (e) { text = (e as Error).message; }
    expect(text).toMatch(message);
  });

  test.each([
    ['throws if an image tag is latest', () => ContainerImage.of('apache/airflow', 'latest'), /must be a pinned version .* got 'latest'/],
    ['throws if an image digest is malformed', () => ContainerImage.fromDigest('apache/airflow', 'sha256:abc'), /must look like 'sha256:' followed by 64 hex digits, got 'sha256:abc'/],
    ['throws if an image repository has upper case', () => ContainerImage.of('Apache/Airflow', '3.3.2'), /image repository must be a lowercase path/],
    ['throws if a Secret name is invalid', () => SecretKeyRef.fromSecret('Bad_Name', 'k'), /Secret name must be a DNS subdomain/],
    ['throws if a DAG claim name is invalid', () => DagsSource.fromPersistentVolumeClaim('Bad Claim'), /dags claim name must be a DNS subdomain/],
  ] as [string, () => unknown, RegExp][])('%s', (_, run, message) => {
    expect(run).toThrow(message);
  });
});

describe('AirflowChart behaviour', () => {
  test('images: a digest wins and pull secrets reach every pod', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const m = synthAirflow({ image: ContainerImage.fromDigest('apache/airflow', digest, '3.3.2', { registry: 'registry.example.com' }), imagePullSecrets: ['regcred'] });
    for (const p of podTemplates(m)) {
      expect({ owner: p.owner, secrets: p.spec.imagePullSecrets }).toEqual({ owner: p.owner, secrets: [{ name: 'regcred' }] });
      if (!['postgres', 'redis'].includes(p.component)) {
        expect(p.spec.containers[0].image).toBe(`registry.example.com/apache/airflow:3.3.2@${digest}`);
      }
    }
  });

  test('config: user settings merge over the chart, % is escaped for ConfigParser, Jinja survives', () => {
    const m = synthAirflow({ config: { core: { parallelism: 64 }, logging: { log_format: '%(asctime)s {{ ti.dag_id }}', colored_console_log: false } } });
    const cfg = find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg'];
    expect(cfg).toContain('[core]\n');
    expect(cfg).toContain('parallelism = 64');
    expect(cfg).toContain('log_format = %%(asctime)s {{ ti.dag_id }}');
    expect(cfg).toContain('colored_console_log = False');
    expect(cfg).toContain('executor = CeleryExecutor');
  });

  test('extraConfig: plugins\' sections and keys land in airflow.cfg after config, unchecked by the reference', () => {
    const m = synthAirflow({ config: { core: { parallelism: 64 } }, extraConfig: { my_plugin: { endpoint: 'https://x.example.org', retries: 3 }, core: { my_plugin_flag: true } } });
    const cfg = find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg'];
    expect(cfg).toContain('[my_plugin]\nendpoint = https://x.example.org\nretries = 3\n');
    expect(cfg).toMatch(/\[core\]\n(.+\n)*my_plugin_flag = True\n(.+\n)*parallelism = 64\n/);
  });

  test('pods restart when config changes and not otherwise', () => {
    const checksum = (props: object) => find(synthAirflow(props), 'Deployment', 'airflow-scheduler').spec.template.metadata.annotations['checksum/config'];
    expect(checksum({})).toBe(checksum({}));
    expect(checksum({ config: { core: { parallelism: 64 } } })).not.toBe(checksum({}));
  });

  test('the migration Job is named by a hash of its spec: stable when unchanged, new when changed', () => {
    const name = (props: object) => findJob(synthAirflow(props), 'airflow-migrate').metadata.name;
    expect(name({})).toMatch(/^airflow-migrate-[a-f0-9]{8}$/);
    expect(name({})).toBe(name({}));
    expect(name({ image: ContainerImage.of('apache/airflow', '3.3.3') })).not.toBe(name({}));
    expect(findJob(synthAirflow({}), 'airflow-migrate').spec.ttlSecondsAfterFinished).toBeUndefined();
  });

  test('long-running Airflow components wait for migrations; workers and Flower do not need the database', () => {
    const m = synthAirflow({ flower: { enabled: true } });
    for (const c of ['api-server', 'scheduler', 'dag-processor', 'triggerer']) {
      const init = find(m, 'Deployment', `airflow-${c}`).spec.template.spec.initContainers;
      expect(init.map((i: any) => i.args)).toEqual([['airflow', 'db', 'check-migrations', '--migration-wait-timeout', '600']]);
    }
    for (const c of ['worker', 'flower']) {
      expect(find(m, 'Deployment', `airflow-${c}`).spec.template.spec.initContainers).toBeUndefined();
    }
  });

  test('probes use Airflow 3 health mechanisms that do not fail on a slow dependency', () => {
    const m = synthAirflow({ flower: { enabled: true } });
    const main = (c: string) => find(m, 'Deployment', `airflow-${c}`).spec.template.spec.containers[0];
    for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe']) expect(main('api-server')[p].httpGet.path).toBe('/api/v2/version');
    expect(main('scheduler').livenessProbe.httpGet).toEqual({ path: '/health', port: 'health' });
    expect(main('scheduler').ports[0]).toEqual({ name: 'health', containerPort: 8974, protocol: 'TCP' });
    expect(main('dag-processor').livenessProbe.exec.command).toEqual(['airflow', 'jobs', 'check', '--job-type', 'DagProcessorJob', '--local']);
    expect(main('triggerer').livenessProbe.exec.command).toEqual(['airflow', 'jobs', 'check', '--job-type', 'TriggererJob', '--local']);
    expect(main('worker').livenessProbe.exec.command.join(' ')).toContain('celery --app airflow.providers.celery.executors.celery_executor.app inspect ping -d "celery@${HOSTNAME}"');
    expect(main('flower').livenessProbe.httpGet.path).toBe('/healthcheck');
    const cfg = find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg'];
    expect(cfg).toMatch(/\[scheduler\]\nenable_health_check = True\nscheduler_health_check_server_port = 8974/);
  });

  test('workers shut down warm with a configurable grace period', () => {
    const grace = (props: object) => find(synthAirflow(props), 'Deployment', 'airflow-worker').spec.template.spec.terminationGracePeriodSeconds;
    expect(grace({})).toBe(600);
    expect(grace({ workers: { terminationGracePeriod: Duration.hours(2) } })).toBe(7200);
  });

  test('embedded Postgres keeps its data: PVC retained on delete, official image identity, password from a file', () => {
    const sts = find(synthAirflow({ database: MetadataDatabase.embedded({ storageSize: Size.gibibytes(20), storageClassName: 'fast' }) }), 'StatefulSet', 'airflow-postgres');
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '20480Mi' } } });
    const env = sts.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'POSTGRES_PASSWORD_FILE', value: '/run/secrets/postgres/password' });
    expect(env.some((e: any) => e.name === 'POSTGRES_PASSWORD')).toBe(false);
  });

  test('the secrets generator owns only missing Secrets; existing-Secret references skip generation', () => {
    // One argument per generated key: {secret, key, value, literal?}.
    const spec = (props: object) => findJob(synthAirflow(props), 'airflow-secrets').spec.template.spec.containers[0].args.map((a: string) => JSON.parse(a));
    expect([...new Set(spec({}).map((s: any) => s.secret))].sort()).toEqual(['airflow-admin', 'airflow-api-secret-key', 'airflow-fernet-key', 'airflow-jwt-secret', 'airflow-postgres', 'airflow-redis']);
    expect(spec({}).filter((s: any) => s.secret === 'airflow-fernet-key')).toEqual([{ secret: 'airflow-fernet-key', key: 'fernet-key', value: 'fernet' }]);
    const own = spec({ secrets: { fernetKey: SecretKeyRef.fromSecret('mine', 'fernet') }, adminUser: { enabled: false } });
    expect(own.map((s: any) => s.secret)).not.toContain('airflow-fernet-key');
    expect(own.map((s: any) => s.secret)).not.toContain('airflow-admin');
    const role = find(synthAirflow({}), 'Role', 'airflow-secrets');
    // No `create`: the release declares each Secret, and the Job may only read and fill in those names.
    const names = ['airflow-fernet-key', 'airflow-jwt-secret', 'airflow-api-secret-key', 'airflow-postgres', 'airflow-redis', 'airflow-admin'];
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'], resourceNames: names }]);
    expect(synthAirflow({}).filter((x) => x.kind === 'Secret').map((x) => x.metadata.name)).toEqual(names);
    const ownSecrets = synthAirflow({ secrets: { fernetKey: SecretKeyRef.fromSecret('mine', 'fernet') }, adminUser: { enabled: false } }).filter((x) => x.kind === 'Secret').map((x) => x.metadata.name);
    expect(ownSecrets).toEqual(['airflow-jwt-secret', 'airflow-api-secret-key', 'airflow-postgres', 'airflow-redis']);
  });

  test('no secrets Job when every secret is a reference', () => {
    const ref = (n: string) => SecretKeyRef.fromSecret(n, 'value');
    const m = synthAirflow({
      secrets: { fernetKey: ref('f'), jwtSecret: ref('j'), apiSecretKey: ref('a') },
      database: MetadataDatabase.embedded({ password: ref('pg') }),
      broker: CeleryBroker.embedded({ password: ref('redis') }),
      adminUser: { username: ref('admin-user'), password: ref('admin-pw') },
    });
    expect(m.filter((x) => x.kind === 'Job').map((j) => j.metadata.name.replace(/-[a-f0-9]{8}$/, ''))).toEqual(['airflow-migrate', 'airflow-create-user']);
    expect(m.some((x) => x.kind === 'Role')).toBe(false);
    expect(m.some((x) => x.kind === 'Secret')).toBe(false);
  });

  test('relaxations are explicit, applied, and reported', () => {
    const chart = new AirflowChart(Testing.app(), 'airflow', { security: { writableRootFilesystem: true }, networkPolicy: { enabled: false } });
    const m = synth(chart);
    expect(m.some((x) => x.kind === 'NetworkPolicy')).toBe(false);
    expect(find(m, 'Deployment', 'airflow-scheduler').spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
    expect(chart.relaxedDefaults).toHaveLength(2);
    expect(new AirflowChart(Testing.app(), 'b').relaxedDefaults).toEqual([]);
  });

  test('the Kubernetes executor gets a hardened task pod template and a narrowly scoped Role', () => {
    const m = synthAirflow({ executor: Executor.KUBERNETES });
    expect(find(m, 'ConfigMap', 'airflow-config').data['airflow.cfg']).toContain('pod_template_file = /opt/airflow/pod_templates/pod_template.yaml');
    expect(find(m, 'Role', 'airflow-scheduler').rules.map((r: any) => r.resources)).toEqual([['pods'], ['pods/log'], ['events']]);
    // The verbs the KubernetesExecutor calls (apache-airflow-providers-cncf-kubernetes 10.25.0: create, read, list, watch,
    // patch and delete one pod at a time); no deletecollection, which it never uses.
    expect(find(m, 'Role', 'airflow-scheduler').rules[0].verbs).toEqual(['create', 'delete', 'get', 'list', 'patch', 'watch']);
    expect(find(m, 'Deployment', 'airflow-scheduler').spec.template.spec.automountServiceAccountToken).toBe(true);
    expect(m.some((x) => x.metadata.name === 'airflow-worker' || x.metadata.name === 'airflow-redis')).toBe(false);
  });

  test('each component keeps its main object at construct id Resource for escape-hatch patches', () => {
    const chart = new AirflowChart(Testing.app(), 'airflow');
    expect(chart.scheduler.workload.node.findChild('Resource')).toBe(chart.scheduler.workload.resource);
    expect(chart.postgres!.workload.node.findChild('Resource')).toBe(chart.postgres!.workload.resource);
  });
});

describe('several AirflowCharts in one App (tenants)', () => {
  test('refuses two charts with the same release name in one namespace, naming both and the fix', () => {
    const app = Testing.app();
    new AirflowChart(app, 'team-a', { namespace: 'shared', releaseName: 'airflow' });
    expect(() => new AirflowChart(app, 'team-b', { namespace: 'shared', releaseName: 'airflow' }))
      .toThrow(/AirflowChart 'team-b': releaseName 'airflow' is already used in namespace 'shared' by AirflowChart 'team-a'.*give each chart its own releaseName \(or namespace\)/);
  });

  test('refuses two charts without a namespace whose ids are the release name', () => {
    const app = Testing.app();
    new AirflowChart(app, 'airflow');
    expect(() => new AirflowChart(app, 'other', { releaseName: 'airflow' })).toThrow(/releaseName 'airflow' is already used in namespace '\(none\)'/);
  });

  test('accepts the same release name in different namespaces, and different names in one namespace', () => {
    const app = Testing.app();
    const charts = [
      new AirflowChart(app, 'a', { namespace: 'team-a', releaseName: 'airflow' }),
      new AirflowChart(app, 'b', { namespace: 'team-b', releaseName: 'airflow' }),
      new AirflowChart(app, 'c', { namespace: 'team-a', releaseName: 'airflow-2' }),
    ];
    const names = charts.map((c) => synth(c).map((m) => `${m.metadata.namespace}/${m.kind}/${m.metadata.name}`));
    const all = names.flat();
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('relaxed defaults are listed', () => {
  test.each([
    [SslMode.DISABLE, 'database.sslMode=disable: the metadata database connection is not encrypted'],
    [SslMode.PREFER, 'database.sslMode=prefer: the metadata database connection may fall back to plain text'],
  ])('an external database with sslMode %s', (sslMode, listed) => {
    const chart = new AirflowChart(Testing.app(), 'airflow', { database: MetadataDatabase.external({ host: 'db.example.com', password: SecretKeyRef.fromSecret('db', 'pw'), sslMode }) });
    expect(chart.relaxedDefaults).toEqual([listed]);
  });

  test('an external broker without TLS', () => {
    const chart = new AirflowChart(Testing.app(), 'airflow', { broker: CeleryBroker.external({ host: 'redis.example.com', tls: false, password: SecretKeyRef.fromSecret('r', 'pw') }) });
    expect(chart.relaxedDefaults).toEqual(['broker tls=false: the Celery broker connection (and its password) is not encrypted']);
  });

  test('verify-full and TLS are not relaxations', () => {
    const chart = new AirflowChart(Testing.app(), 'airflow', {
      database: MetadataDatabase.external({ host: 'db.example.com', password: SecretKeyRef.fromSecret('db', 'pw'), caCertificate: SecretKeyRef.fromSecret('ca', 'ca.crt') }),
      broker: CeleryBroker.external({ host: 'redis.example.com', password: SecretKeyRef.fromSecret('r', 'pw') }),
    });
    expect(chart.relaxedDefaults).toEqual([]);
  });
});

describe('the JSON-patch escape hatch, as README describes it', () => {
  test('plain strings and numbers are written as given; a k8s.Quantity object is not a quantity', () => {
    const { ApiObject, JsonPatch } = require('cdk8s');
    const k8s = require('cdk8s-plus-27/lib/imports/k8s');
    const chart = new AirflowChart(Testing.app(), 'airflow', { namespace: 'airflow' });
    const res = ApiObject.of(chart.scheduler.workload.resource);
    res.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/resources/limits/cpu', '2'));
    res.addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/resources/requests/cpu', k8s.Quantity.fromString('700m')));
    res.addJsonPatch(JsonPatch.add('/spec/minReadySeconds', 10));
    const d = find(synth(chart), 'Deployment', 'airflow-scheduler');
    expect(d.spec.minReadySeconds).toBe(10);
    expect(d.spec.template.spec.containers[0].resources.limits.cpu).toBe('2');
    expect(d.spec.template.spec.containers[0].resources.requests.cpu).toEqual({ value: '700m' });
  });
});

describe('sidecars and extra init containers (extraContainers, extraInitContainers)', () => {
  const q = (v: string) => k8s.Quantity.fromString(v);
  const resources = { requests: { 'cpu': q('10m'), 'memory': q('16Mi'), 'ephemeral-storage': q('16Mi') }, limits: { 'memory': q('32Mi'), 'ephemeral-storage': q('64Mi') } };

  test('are appended after the component\'s own containers, with the chart\'s security context and the user\'s resources', () => {
    const m = synthAirflow({
      scheduler: { extraContainers: [{ name: 'exporter', image: 'prom/statsd-exporter:v0.28.0', resources }] },
      redis: { extraInitContainers: [{ name: 'prepare', image: 'busybox:1.36', command: ['true'], resources }] },
      security: { writableRootFilesystem: true },
    });
    const scheduler = find(m, 'Deployment', 'airflow-scheduler').spec.template.spec;
    expect(scheduler.containers.map((c: any) => c.name)).toEqual(['scheduler', 'exporter']);
    const exporter = scheduler.containers[1];
    expect(exporter.securityContext).toEqual({ ...scheduler.containers[0].securityContext });
    expect(exporter.securityContext.readOnlyRootFilesystem).toBe(false); // follows the release's relaxation
    expect(exporter.resources).toEqual({ requests: { 'cpu': '10m', 'memory': '16Mi', 'ephemeral-storage': '16Mi' }, limits: { 'memory': '32Mi', 'ephemeral-storage': '64Mi' } });
    const redis = find(m, 'Deployment', 'airflow-redis').spec.template.spec;
    expect(redis.initContainers.map((c: any) => c.name)).toEqual(['prepare']);
    expect(redis.initContainers[0].securityContext.runAsUser).toBe(redis.securityContext.runAsUser);
  });

  test.each([
    ['without an image', { name: 'x', resources }, /scheduler\.extraContainers\[0\] \(x\) needs an image/],
    ['with its own securityContext', { name: 'x', image: 'busybox:1.36', resources, securityContext: { runAsUser: 0 } }, /scheduler\.extraContainers\[0\] \(x\) may not set securityContext: the chart sets it/],
    ['without resources', { name: 'x', image: 'busybox:1.36' }, /scheduler\.extraContainers\[0\] \(x\) needs resources\.requests\['cpu'\]/],
    ['without an ephemeral-storage limit', { name: 'x', image: 'busybox:1.36', resources: { requests: resources.requests, limits: { memory: q('32Mi') } } }, /needs resources\.limits\['ephemeral-storage'\]/],
  ])('refuses a sidecar %s', (_, container, message) => {
    expect(errorOf({ scheduler: { extraContainers: [container as any] } })).toMatch(message);
  });
});
