/**
 * Configurations of the chart for the differential tests: the structural choices as factors (every combination of
 * any three of them is covered by a greedy all-triples covering array), and a seeded random sample that also draws
 * the knobs every component has. Each configuration is a values object; the constructs get the same through
 * propsFromValues.
 */
import { mergeValues, Values } from '../../src/values/model';

/** The structural choices and their levels. */
export const FACTORS = {
  executor: ['CeleryExecutor', 'LocalExecutor', 'KubernetesExecutor'],
  database: ['embedded', 'embeddedExisting', 'external'],
  redis: ['embedded', 'embeddedExisting', 'external'],
  coreSecrets: ['generated', 'existing'],
  admin: ['generated', 'existing', 'off'],
  flower: ['off', 'on'],
  metrics: ['off', 'on'],
  auth: ['database', 'ldap', 'oidc'],
  ingress: ['off', 'secret', 'certManager'],
  networkPolicy: ['on', 'off'],
  apiServerReplicas: [1, 3],
  schedulerReplicas: [1, 2],
  dagProcessorReplicas: [1, 2],
  triggererReplicas: [1, 2],
  workerReplicas: [1, 4],
  flowerReplicas: [1, 2],
  cornflow: ['off', 'database', 'ldap', 'external'],
} as const;

export type Factor = keyof typeof FACTORS;
export type Row = { [F in Factor]: (typeof FACTORS)[F][number] };
const NAMES = Object.keys(FACTORS) as Factor[];

/**
 * Whether a combination of levels can be configured: Flower monitors Celery workers; Cornflow logs in to Airflow
 * with a password (not with OIDC), and with an external Airflow database it has no embedded PostgreSQL to share.
 */
export function possible(row: Partial<Row>): boolean {
  const cornflow = row.cornflow !== undefined && row.cornflow !== 'off';
  return !(row.flower === 'on' && row.executor !== undefined && row.executor !== 'CeleryExecutor')
    && !(cornflow && row.auth === 'oidc')
    && !(row.database === 'external' && row.cornflow !== undefined && row.cornflow !== 'off' && row.cornflow !== 'external');
}

/** A seeded PRNG (mulberry32): the same seed, the same sample. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

/**
 * Rows covering every possible combination of levels of any three factors (strength 3), built greedily: each new
 * row is the best of a number of random candidates (completed level by level to cover the most uncovered triples).
 */
export function coveringArray(seed = 1): { rows: Row[]; triples: number } {
  const rnd = random(seed);
  const key = (i: number, a: unknown, j: number, b: unknown, k: number, c: unknown) => `${i}=${a}|${j}=${b}|${k}=${c}`;
  const uncovered = new Set<string>();
  const n = NAMES.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      for (let k = j + 1; k < n; k++) {
        for (const a of FACTORS[NAMES[i]]) {
          for (const b of FACTORS[NAMES[j]]) {
            for (const c of FACTORS[NAMES[k]]) {
              if (possible({ [NAMES[i]]: a, [NAMES[j]]: b, [NAMES[k]]: c } as Partial<Row>)) uncovered.add(key(i, a, j, b, k, c));
            }
          }
        }
      }
    }
  }
  const triples = uncovered.size;
  const gain = (row: Row) => {
    let g = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        for (let k = j + 1; k < n; k++) if (uncovered.has(key(i, row[NAMES[i]], j, row[NAMES[j]], k, row[NAMES[k]]))) g++;
      }
    }
    return g;
  };
  const rows: Row[] = [];
  while (uncovered.size > 0) {
    let best: Row | undefined;
    let bestGain = -1;
    for (let c = 0; c < 40; c++) {
      // Start from an uncovered triple, complete the other factors one by one with the level that gains most.
      const seedTriple = [...uncovered][Math.floor(rnd() * uncovered.size)].split('|').map((p) => p.split('='));
      const row: Partial<Row> = {};
      for (const [i, v] of seedTriple) (row as any)[NAMES[Number(i)]] = FACTORS[NAMES[Number(i)]].find((l) => String(l) === v);
      for (const f of NAMES.filter((x) => row[x] === undefined).sort(() => rnd() - 0.5)) {
        let bestLevel: unknown;
        let levelGain = -1;
        for (const l of FACTORS[f]) {
          const trial = { ...row, [f]: l } as Partial<Row>;
          if (!possible(trial)) continue;
          const complete = { ...Object.fromEntries(NAMES.map((x) => [x, trial[x] ?? FACTORS[x][0]])) } as Row;
          const g = possible(complete) ? gain(complete) : -1;
          if (g > levelGain) { levelGain = g; bestLevel = l; }
        }
        (row as any)[f] = bestLevel;
      }
      const g = gain(row as Row);
      if (g > bestGain) { bestGain = g; best = row as Row; }
    }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        for (let k = j + 1; k < n; k++) uncovered.delete(key(i, best![NAMES[i]], j, best![NAMES[j]], k, best![NAMES[k]]));
      }
    }
    rows.push(best!);
  }
  return { rows, triples };
}

/** The values of a row (knobs at their defaults). */
export function valuesOf(row: Row): Values {
  const celery = row.executor === 'CeleryExecutor';
  let v: Values = { executor: row.executor };
  const add = (x: Values) => { v = mergeValues(v, x); };
  if (row.database === 'embeddedExisting') add({ postgres: { password: { existingSecret: 'my-postgres', key: 'pw' } } });
  if (row.database === 'external') {
    add({ postgres: { enabled: false }, externalDatabase: { host: 'db.example.org', port: 6432, database: 'af', user: 'af', password: { existingSecret: 'db-password', key: 'pw' }, caCertificate: { existingSecret: 'db-ca' } } });
  }
  if (celery && row.redis === 'embeddedExisting') add({ redis: { password: { existingSecret: 'my-redis', key: 'pw' } } });
  if (celery && row.redis === 'external') add({ redis: { enabled: false }, externalRedis: { host: 'redis.example.org', password: { existingSecret: 'redis-password' } } });
  if (row.coreSecrets === 'existing') {
    add({ secrets: { fernetKey: { existingSecret: 'my-fernet', key: 'k' }, jwtSecret: { existingSecret: 'my-jwt' }, apiSecretKey: { existingSecret: 'my-api-key', key: 'k' } } });
  }
  if (row.admin === 'existing') add({ adminUser: { username: { existingSecret: 'my-admin', key: 'user' }, password: { existingSecret: 'my-admin', key: 'pw' } } });
  if (row.admin === 'off') add({ adminUser: { enabled: false } });
  if (celery && row.flower === 'on') add({ flower: { enabled: true, replicas: row.flowerReplicas } });
  if (row.metrics === 'on') add({ metrics: { enabled: true } });
  if (row.auth === 'ldap') {
    add({
      auth: {
        type: 'ldap', roleMapping: { 'cn=admins,ou=groups,dc=example,dc=org': ['Admin'] },
        ldap: { url: 'ldaps://ldap.example.org', userBase: 'ou=people,dc=example,dc=org', bindDn: 'cn=airflow,dc=example,dc=org', bindPassword: { existingSecret: 'ldap-bind' } },
      },
    });
  }
  if (row.auth === 'oidc') {
    add({
      auth: {
        type: 'oidc', roleMapping: { 'airflow-admins': ['Admin'] },
        oidc: { clientId: 'airflow', clientSecret: { existingSecret: 'oidc-client' }, generic: { discoveryUrl: 'https://sso.example.org/.well-known/openid-configuration' } },
      },
    });
  }
  if (row.cornflow !== 'off') {
    add({ cornflow: { enabled: true } });
    if (row.cornflow === 'external') {
      add({ cornflow: { database: { external: true, host: 'cf-db.example.org', externalPassword: { existingSecret: 'cf-db' }, caCertificate: { existingSecret: 'cf-db-ca' } } } });
    }
    if (row.cornflow === 'ldap') {
      add({
        auth: { ldap: { url: 'ldaps://ldap.example.org', userBase: 'ou=people,dc=example,dc=org', bindDn: 'cn=airflow,dc=example,dc=org', bindPassword: { existingSecret: 'ldap-bind' }, groupBase: 'ou=groups,dc=example,dc=org' } },
        cornflow: { auth: { type: 'ldap', roleGroups: { planner: 'planners', service: 'cornflow' } }, serviceUser: { username: 'cf-service', password: { existingSecret: 'cf-service' } } },
      });
    }
    if (row.auth === 'ldap') {
      add({ auth: { roleMapping: { 'cn=cornflow,ou=groups,dc=example,dc=org': ['Cornflow'] } }, cornflow: { airflowUser: { username: 'cf-airflow', password: { existingSecret: 'cf-airflow' } } } });
    }
    if (row.ingress !== 'off') add({ cornflow: { ingress: { enabled: true, host: 'cornflow.example.org', tls: { secretName: 'cf-tls' } } } });
  }
  if (row.ingress === 'secret') add({ ingress: { enabled: true, host: 'airflow.example.org', className: 'nginx', tls: { secretName: 'my-tls' } } });
  if (row.ingress === 'certManager') add({ ingress: { enabled: true, host: 'airflow.example.org', tls: { certManager: { issuer: 'letsencrypt' } } } });
  if (row.networkPolicy === 'off') add({ networkPolicy: { enabled: false } });
  add({
    apiServer: { replicas: row.apiServerReplicas },
    scheduler: { replicas: row.schedulerReplicas },
    dagProcessor: { replicas: row.dagProcessorReplicas },
    triggerer: { replicas: row.triggererReplicas },
    ...(celery ? { workers: { replicas: row.workerReplicas } } : {}),
  });
  return v;
}

/** A random row and random knobs: values the schema accepts, drawn from `rnd`. */
export function randomValues(rnd: () => number): { row: Row; values: Values } {
  let row: Row;
  do {
    row = Object.fromEntries(NAMES.map((f) => [f, pick<unknown>(rnd, FACTORS[f])])) as unknown as Row;
  } while (!possible(row));
  let v = valuesOf(row);
  const add = (x: Values) => { v = mergeValues(v, x); };
  const maybe = (p: number, x: () => Values) => { if (rnd() < p) add(x()); };
  const celery = row.executor === 'CeleryExecutor';
  const components = ['apiServer', 'scheduler', 'dagProcessor', 'triggerer', 'postgres', 'redis', ...(celery ? ['workers'] : []), ...(row.flower === 'on' && celery ? ['flower'] : []),
    ...(row.metrics === 'on' ? ['metrics'] : []),
    ...(row.cornflow !== 'off' ? ['cornflow'] : [])];
  for (const c of components) {
    maybe(0.3, () => ({ [c]: { podLabels: { team: pick(rnd, ['data', 'ml']) }, podAnnotations: { 'example.org/owner': 'x' } } }));
    maybe(0.2, () => ({ [c]: { nodeSelector: { pool: c.toLowerCase() }, tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] } }));
    maybe(0.25, () => ({ [c]: { affinity: pick(rnd, [
      { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: c } } }] } },
    ]) } }));
    maybe(0.2, () => ({ [c]: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { team: 'x' } } }] } }));
    maybe(0.2, () => ({ [c]: { priorityClassName: 'high' } }));
    maybe(0.25, () => ({ [c]: { extraEnv: [{ name: 'TZ', value: 'UTC' }], extraVolumes: [{ name: 'extra', emptyDir: {} }], extraVolumeMounts: [{ name: 'extra', mountPath: '/extra' }] } }));
    maybe(0.15, () => {
      const resources = { requests: { 'cpu': '10m', 'memory': '16Mi', 'ephemeral-storage': '16Mi' }, limits: { 'memory': '32Mi', 'ephemeral-storage': '64Mi' } };
      return { [c]: pick(rnd, [
        { extraContainers: [{ name: 'sidecar', image: 'busybox:1.36', command: ['sleep', 'infinity'], ports: [{ containerPort: 9102, name: 'metrics' }], resources }] },
        { extraInitContainers: [{ name: 'prepare', image: 'busybox:1.36', command: ['true'], resources }], extraContainers: [{ name: 'a', image: 'busybox:1.36', resources }, { name: 'b', image: 'busybox:1.36', resources }] },
      ]) };
    });
    maybe(0.25, () => ({ [c]: { resources: { requests: { 'cpu': `${100 + Math.floor(rnd() * 900)}m`, 'memory': '700Mi', 'ephemeral-storage': '100Mi' }, limits: { 'memory': '1400Mi', 'ephemeral-storage': `${1000 + Math.floor(rnd() * 5000)}Mi` } } } }));
  }
  maybe(0.3, () => ({ imagePullSecrets: [{ name: 'pull' }] }));
  maybe(0.2, () => ({ images: { airflow: { registry: pick(rnd, ['', 'registry.example.org:5000']), digest: `sha256:${'a'.repeat(64)}`, pullPolicy: 'Always' } } }));
  maybe(0.2, () => ({ images: { postgres: { tag: '17.12-bookworm' }, redis: { registry: 'mirror.example.org' } } }));
  maybe(0.3, () => ({ config: pick(rnd, [
    { core: { parallelism: 1000000, max_active_tasks_per_dag: 32 } },
    { logging: { log_filename_template: '{{ ti.dag_id }}/{{ ti.task_id }}/{{ try_number }}.log' }, api: { instance_name: 'Data "prod" 100%' } },
    { scheduler: { task_queued_timeout: 900.5, catchup_by_default: false }, dag_processor: { min_file_process_interval: 60 } },
  ]) }));
  maybe(0.2, () => ({ extraConfig: { my_plugin: { endpoint: 'https://plugin.example.org', retries: 3, verbose: true } } }));
  maybe(0.2, () => ({ dags: { persistentVolumeClaim: 'dags' } }));
  maybe(0.15, () => ({ security: { writableRootFilesystem: true } }));
  maybe(0.2, () => ({ networkPolicy: { taskEgressCidrs: pick(rnd, [[], ['10.0.0.0/8', '192.168.0.0/16']]) } }));
  maybe(0.2, () => ({ networkPolicy: { dnsNamespaceLabels: { name: 'dns' }, dnsPodLabels: { app: 'coredns' } } }));
  maybe(0.2, () => ({ jobs: { ttlSecondsAfterFinished: pick(rnd, [0, 600, 86400]) } }));
  if (row.metrics === 'on') {
    maybe(0.4, () => ({ metrics: { extraMappings: [{ match: 'airflow.my_plugin.*.calls', name: 'airflow_my_plugin_calls', labels: { source: '$1' } }] } }));
    maybe(0.3, () => ({ metrics: { scrapeNamespaceLabels: { team: 'observability' }, scrapePodLabels: { 'app.kubernetes.io/name': 'prometheus' } } }));
  }
  maybe(0.2, () => ({ postgres: { storageSize: '20480Mi', storageClassName: 'fast' } }));
  if (celery) maybe(0.3, () => ({ workers: { concurrency: 8, queues: ['default', 'gpu'], logVolumeSize: '2048Mi', terminationGracePeriodSeconds: 1800 } }));
  if (row.database === 'external') {
    maybe(0.4, () => pick(rnd, [
      { externalDatabase: { sslMode: 'require', caCertificate: { existingSecret: '' } } },
      { externalDatabase: { sslMode: 'verify-ca', caCertificate: { existingSecret: 'db-ca', key: 'root.pem' }, cidrs: ['10.1.0.0/16'] } },
    ]));
  }
  if (celery && row.redis === 'external') {
    maybe(0.4, () => pick(rnd, [{ externalRedis: { tls: false, port: 6380, databaseIndex: 3 } }, { externalRedis: { caCertificate: { existingSecret: 'redis-ca' }, cidrs: ['10.2.0.0/16'] } }]));
  }
  // Cornflow's LDAP client needs ldaps:// and a bind DN, which these draws take away.
  if (row.auth === 'ldap' && row.cornflow !== 'ldap') {
    maybe(0.5, () => pick(rnd, [
      { auth: { ldap: { url: 'ldap://ldap.example.org:1389', startTls: true, caCertificate: { existingSecret: 'ldap-ca' }, groupBase: 'ou=groups,dc=example,dc=org' } } },
      { auth: { defaultRole: 'Viewer', syncRolesAtLogin: false, ldap: { bindDn: '', bindPassword: { existingSecret: '' }, usernameAttribute: 'sAMAccountName' } } },
    ]));
  }
  if (row.cornflow !== 'off') maybe(0.4, () => ({ cornflow: { replicas: pick(rnd, [1, 3]), workers: 4 } }));
  if (row.cornflow === 'external') maybe(0.5, () => ({ cornflow: { database: { sslMode: 'require', port: 6432, caCertificate: { existingSecret: '' }, cidrs: ['10.3.0.0/16'] } } }));
  if (row.auth === 'oidc') {
    maybe(0.6, () => pick(rnd, [
      { auth: { oidc: { provider: 'azureEntraId', azureEntraId: { tenantId: 'contoso.onmicrosoft.com' } } } },
      { auth: { oidc: { provider: 'okta', okta: { domain: 'corp.okta.com', authorizationServerId: pick(rnd, ['', 'aus9']) } } } },
      { auth: { oidc: { provider: 'keycloak', keycloak: { url: 'https://kc.example.org:8443/auth', realm: 'corp' }, scopes: ['openid', 'groups'] } } },
    ]));
  }
  maybe(0.2, () => ({ auth: { roles: [{ name: 'ops-lite', dags: [{ access: 'edit', tags: ['ops <x&y>'] }], permissions: [{ action: 'can_read', resource: 'Pools' }] }] } }));
  if (row.ingress !== 'off') {
    maybe(0.4, () => ({ ingress: { className: pick(rnd, ['', 'nginx', 'traefik']), annotations: { 'example.org/a': 'b' }, controllerNamespaceLabels: { name: 'ingress' } } }));
    if (row.ingress === 'certManager') maybe(0.3, () => ({ ingress: { tls: { certManager: { kind: 'Issuer' } } } }));
  }
  return { row, values: v };
}
