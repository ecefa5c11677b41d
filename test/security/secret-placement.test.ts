import { allOutputs } from '../variants';
import { containersOf, podTemplates } from '../util';

/** Secret names a pod can read: env, envFrom and volumes. */
function secretsOf(spec: any): string[] {
  const names = new Set<string>();
  for (const c of containersOf(spec)) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef) names.add(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) {
    if (v.secret) names.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) if (s.secret) names.add(s.secret.name);
  }
  return [...names].sort();
}

// Who may read what, following Airflow 3's security model (see README "Secrets"):
// the database only in the api-server, scheduler, dag-processor, triggerer and the Jobs that migrate or add users;
// the JWT signing key only in the api-server and scheduler; the fernet key wherever Airflow reads the database;
// [api] secret_key in the api-server and in every log server it calls (workers, triggerer, LocalExecutor scheduler).
const EXPECTED: Record<string, Record<string, string[]>> = {
  celery: {
    'api-server': ['airflow-api-secret-key', 'airflow-fernet-key', 'airflow-jwt-secret', 'airflow-postgres'],
    'scheduler': ['airflow-fernet-key', 'airflow-jwt-secret', 'airflow-postgres', 'airflow-redis'],
    'dag-processor': ['airflow-fernet-key', 'airflow-postgres'],
    'triggerer': ['airflow-api-secret-key', 'airflow-fernet-key', 'airflow-postgres'],
    'worker': ['airflow-api-secret-key', 'airflow-redis'],
    'flower': ['airflow-flower', 'airflow-redis'],
    'postgres': ['airflow-postgres'],
    'redis': ['airflow-redis'],
    'migrate': ['airflow-fernet-key', 'airflow-postgres'],
    'create-user': ['airflow-admin', 'airflow-postgres'],
    'secrets': [],
  },
};
EXPECTED.local = {
  ...EXPECTED.celery,
  scheduler: ['airflow-api-secret-key', 'airflow-fernet-key', 'airflow-jwt-secret', 'airflow-postgres'],
};

describe('secret placement', () => {
  test.each([['variant:celery+flower', 'celery'], ['example:default', 'celery'], ['variant:local+ingress', 'local']])(
    '%s: each secret reaches exactly the components that need it', (variant, model) => {
      const pods = podTemplates(allOutputs()[variant]);
      const actual = Object.fromEntries(pods.map((p) => [p.component, secretsOf(p.spec)]));
      const expected = Object.fromEntries(Object.entries(EXPECTED[model]).filter(([c]) => c in actual));
      expect(actual).toEqual(expected);
    });

  test('no output holds a secret value: Secrets are declared without data, ConfigMaps hold no secret setting', () => {
    for (const m of Object.values(allOutputs())) {
      const secrets = m.filter((x) => x.kind === 'Secret');
      expect(secrets.filter((x) => x.data !== undefined || x.stringData !== undefined || x.type !== 'Opaque')).toEqual([]);
      for (const cm of m.filter((x) => x.kind === 'ConfigMap')) {
        for (const text of Object.values<string>(cm.data)) {
          expect(text).not.toMatch(/^\s*(fernet_key|jwt_secret|secret_key|sql_alchemy_conn|broker_url|result_backend|requirepass)\s*[=\s]\s*\S/m);
        }
      }
    }
  });
});

/** Secret keys a pod reads (`name/key`; a mounted Secret is `name/*`). */
function secretKeysOf(spec: any): string[] {
  const keys = new Set<string>();
  for (const c of containersOf(spec)) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) keys.add(`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    for (const e of c.envFrom ?? []) if (e.secretRef) keys.add(`${e.secretRef.name}/*`);
  }
  for (const v of spec.volumes ?? []) if (v.secret) keys.add(`${v.secret.secretName}/*`);
  return [...keys].sort();
}

// Cornflow (issue 14), key by key: the server gets its signing keys, its database password and its Airflow password,
// never the admin or service user's password; only the init Job creates those users; the CF_URI password (the
// service user's) reaches only the processes that run tasks; the Airflow components see nothing of Cornflow.
const CORNFLOW_KEYS: Record<string, Record<string, string[]>> = {
  'variant:cornflow': {
    'worker': ['airflow-api-secret-key/api-secret-key', 'airflow-cornflow/service-password', 'airflow-redis/password'],
    'cornflow': ['airflow-cornflow-db/password', 'airflow-cornflow/airflow-password', 'airflow-cornflow/secret-bi-key', 'airflow-cornflow/secret-key'],
    'cornflow-init': ['airflow-cornflow-db/password', 'airflow-cornflow/admin-password', 'airflow-cornflow/airflow-password',
      'airflow-cornflow/secret-bi-key', 'airflow-cornflow/secret-key', 'airflow-cornflow/service-password'],
    'cornflow-db': ['airflow-cornflow-db/password', 'airflow-postgres/password'],
    'cornflow-role': ['airflow-postgres/password'],
    'cornflow-user': ['airflow-cornflow/airflow-password', 'airflow-postgres/password'],
  },
  // LDAP for both: the users are directory accounts (their passwords are the user's Secrets), Cornflow binds with the
  // directory's service account, and with the LocalExecutor the scheduler runs the tasks.
  'variant:cornflow+local+ldap': {
    'scheduler': ['airflow-api-secret-key/api-secret-key', 'airflow-fernet-key/fernet-key', 'airflow-jwt-secret/jwt-secret',
      'airflow-postgres/password', 'cornflow-service/password'],
    'cornflow': ['airflow-cornflow-db/password', 'airflow-cornflow/secret-bi-key', 'airflow-cornflow/secret-key', 'cornflow-airflow/password', 'ldap-bind/password'],
    'cornflow-init': ['airflow-cornflow-db/password', 'airflow-cornflow/secret-bi-key', 'airflow-cornflow/secret-key', 'cornflow-airflow/password', 'ldap-bind/password'],
    'cornflow-db': ['airflow-cornflow-db/password', 'airflow-postgres/password'],
    'cornflow-role': ['airflow-postgres/password'],
  },
};

describe('secret placement with Cornflow', () => {
  test.each(Object.keys(CORNFLOW_KEYS))('%s: each Cornflow secret key reaches exactly the pods that need it', (variant) => {
    const pods = podTemplates(allOutputs()[variant]);
    const actual = Object.fromEntries(pods.map((p) => [p.component, secretKeysOf(p.spec)]));
    const cornflowSecret = (k: string) => /^(airflow-cornflow|cornflow-)/.test(k);
    for (const [component, keys] of Object.entries(actual)) {
      if (component in CORNFLOW_KEYS[variant]) {
        expect({ component, keys }).toEqual({ component, keys: CORNFLOW_KEYS[variant][component] });
      } else {
        expect({ component, cornflow: keys.filter(cornflowSecret) }).toEqual({ component, cornflow: [] });
      }
    }
    expect(Object.keys(CORNFLOW_KEYS[variant]).filter((c) => !(c in actual))).toEqual([]);
  });
});
