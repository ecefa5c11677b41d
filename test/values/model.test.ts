import { readFileSync } from 'fs';
import { join } from 'path';
import Ajv from 'ajv';
import { Testing } from 'cdk8s';
import { parse } from 'yaml';
import { AirflowChart } from '../../src';
import { defaultValues, leaves, mergeValues, Values } from '../../src/values/model';
import { propsFromValues } from '../../src/values/props';
import { valuesSchema } from '../../src/values/schema';

const synth = (props: object) => Testing.synth(new AirflowChart(Testing.app(), 'airflow', { namespace: 'airflow', ...props }));

describe('values model', () => {
  test('the default values give exactly what the constructs give with no props', () => {
    expect(synth(propsFromValues({}, { releaseName: 'airflow', namespace: 'airflow' }))).toEqual(synth({}));
  });

  test('every key has a description and a default', () => {
    expect(leaves().length).toBeGreaterThan(150);
    for (const { path, leaf } of leaves()) {
      expect({ path, description: leaf.description.length > 3 }).toEqual({ path, description: true });
      expect(leaf.default).not.toBeUndefined();
    }
  });

  describe('schema', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(valuesSchema());
    const errors = (v: object) => (validate(mergeValues(defaultValues(), v)) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}${e.keyword === 'const' ? ` ${e.params.allowedValue}` : ''}`));

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
      ['a latest tag', { images: { airflow: { tag: 'latest' } } }, '/images/airflow/tag must be equal to constant (refused: latest moves under you'],
      ['an ingress without host', { ingress: { enabled: true, tls: { secretName: 'tls' } } }, '/ingress/host must be equal to constant (refused: ingress.enabled needs the public host name)'],
      ['an ingress without TLS', { ingress: { enabled: true, host: 'a.example.com' } }, '/ingress/tls/secretName must be equal to constant (refused: ingress.enabled needs TLS'],
      ['an external database without host', { postgres: { enabled: false }, externalDatabase: { password: { existingSecret: 'db' }, caCertificate: { existingSecret: 'ca' } } }, '/externalDatabase/host must be equal to constant (refused: postgres.enabled false needs the external database host)'],
      ['Flower without Celery', { executor: 'LocalExecutor', flower: { enabled: true } }, '/flower/enabled must be equal to constant (refused: Flower monitors Celery workers'],
      ['incomplete resources', { workers: { resources: { requests: { cpu: '1' } } } }, "/workers/resources/requests must have required property 'memory'"],
      ['a CIDR that is not one', { networkPolicy: { taskEgressCidrs: ['10.0.0.0'] } }, '/networkPolicy/taskEgressCidrs/0 must match pattern'],
      // Kubernetes objects, against the Kubernetes definitions (src/values/k8s-definitions.json)
      ['a misspelled key inside an affinity', { apiServer: { affinity: { nodeAfinity: {} } } }, '/apiServer/affinity must NOT have additional properties'],
      ['a misspelled key deep inside an affinity',
        { scheduler: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operater: 'In' }] }] } } } } },
        '/scheduler/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchExpressions/0 must NOT have additional properties'],
      ['a toleration with an unknown key', { workers: { tolerations: [{ key: 'dedicated', efect: 'NoSchedule' }] } }, '/workers/tolerations/0 must NOT have additional properties'],
      ['a volume with an unknown source', { workers: { extraVolumes: [{ name: 'data', persistentVolume: { claimName: 'data' } }] } }, '/workers/extraVolumes/0 must NOT have additional properties'],
      ['an env var with a misspelled valueFrom field', { apiServer: { extraEnv: [{ name: 'A', valueFrom: { secretRef: { name: 's', key: 'k' } } }] } }, '/apiServer/extraEnv/0/valueFrom must NOT have additional properties'],
      ['a volume mount without mountPath', { triggerer: { extraVolumeMounts: [{ name: 'certs' }] } }, "/triggerer/extraVolumeMounts/0 must have required property 'mountPath'"],
      ['a spread constraint without labelSelector', { dagProcessor: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] } }, "/dagProcessor/topologySpreadConstraints/0 must have required property 'labelSelector'"],
      ['a quantity that is neither string nor number', { workers: { extraVolumes: [{ name: 's', emptyDir: { sizeLimit: true } }] } }, '/workers/extraVolumes/0/emptyDir/sizeLimit must be string,number'],
    ])('rejects %s, naming the key', (_what, values, message) => {
      expect(errors(values).join('\n')).toContain(message);
    });

    test('accepts Kubernetes objects of every kind users pass (test/helm/good-values-k8s-objects.yaml)', () => {
      const values = parse(readFileSync(join(__dirname, '..', 'helm', 'good-values-k8s-objects.yaml'), 'utf8'), { version: '1.1' });
      expect(values.workers.extraVolumes.length).toBeGreaterThan(5);
      expect(errors(values)).toEqual([]);
    });
  });
});

const RELEASE = { releaseName: 'airflow', namespace: 'airflow' };

const MAPPING = { 'cn=airflow-admins,ou=groups,dc=example,dc=org': ['Admin'] };
const POOLS = { permissions: [{ action: 'can_read', resource: 'Pools' }] };
const ldap = (l: Values, more: Values = {}): Values => ({
  auth: { type: 'ldap', roleMapping: MAPPING, ...more, ldap: { url: 'ldaps://ldap.example.org', userBase: 'ou=people,dc=example,dc=org', ...l } },
});
const oidc = (o: Values, more: Values = {}): Values => ({
  auth: {
    type: 'oidc', roleMapping: { 'airflow-admins': ['Admin'] }, ...more,
    oidc: { clientId: 'airflow', clientSecret: { existingSecret: 'airflow-oidc' }, generic: { discoveryUrl: 'https://sso.example.org/.well-known/openid-configuration' }, ...o },
  },
});

describe('auth values', () => {
  describe('schema', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(valuesSchema());
    const errors = (v: object) => (validate(mergeValues(defaultValues(), v)) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}${e.keyword === 'const' ? ` ${e.params.allowedValue}` : ''}`));

    test.each([
      ['the defaults (database login)', {}],
      ['LDAP with everything', ldap({
        url: 'ldap://ldap.example.org:389', startTls: true, caCertificate: { existingSecret: 'ldap-ca' },
        bindDn: 'cn=airflow,ou=services,dc=example,dc=org', bindPassword: { existingSecret: 'ldap-bind' },
        usernameAttribute: 'sAMAccountName', userObjectClass: 'user', groupBase: 'ou=groups,dc=example,dc=org', groupMemberAttribute: 'uniqueMember',
      }, { defaultRole: 'Viewer', syncRolesAtLogin: false })],
      ['plain LDAP, explicitly allowed', ldap({ url: 'ldap://10.0.0.5', allowInsecureLdap: true })],
      ['LDAP with only a default role', { auth: { type: 'ldap', defaultRole: 'Public', ldap: { url: 'ldaps://ldap.example.org', userBase: 'dc=example,dc=org' } } }],
      ['generic OIDC with scopes and claims', oidc({ scopes: ['openid', 'groups'], generic: { discoveryUrl: 'https://sso.example.org/realms/x/.well-known/openid-configuration', name: 'corp', groupsClaim: 'realm_access.roles' } })],
      ['Entra ID', oidc({ provider: 'azureEntraId', azureEntraId: { tenantId: 'example.onmicrosoft.com' } })],
      ['Okta with an authorization server', oidc({ provider: 'okta', okta: { domain: 'example.okta.com', authorizationServerId: 'default' } })],
      ['Keycloak', oidc({ provider: 'keycloak', keycloak: { url: 'https://sso.example.org', realm: 'corp' } })],
      ['custom roles named in the mapping and as the default role', ldap({}, {
        roleMapping: { 'cn=etl,ou=groups,dc=example,dc=org': ['etl', 'Viewer'] }, defaultRole: 'readers',
        roles: [
          { name: 'etl', dags: [{ dagIds: ['etl_daily', 'etl.hourly'], access: 'trigger' }, { tags: ['etl', 'shared data'], access: 'read' }] },
          { name: 'readers', ...POOLS },
        ],
      })],
    ])('accepts %s', (_what, values) => {
      expect(errors(values)).toEqual([]);
    });

    // `constructs`: whether the TypeScript API refuses the same configuration (the chart is stricter where a value is
    // printed into webserver_config.py or a flag would say nothing).
    test.each([
      ['LDAP without url', ldap({ url: '' }), '/auth/ldap/url must be equal to constant (refused: auth.type ldap needs the directory', true],
      ['LDAP without a user search base', ldap({ userBase: '' }), '/auth/ldap/userBase must be equal to constant (refused: auth.type ldap needs the base DN', true],
      ['OIDC without a client-secret reference', oidc({ clientSecret: { existingSecret: '' } }), '/auth/oidc/clientSecret/existingSecret must be equal to constant (refused: auth.type oidc needs the existing Secret', true],
      ['OIDC without a client id', oidc({ clientId: '' }), '/auth/oidc/clientId must be equal to constant (refused: auth.type oidc needs the client id', true],
      ['a generic provider without discovery URL', oidc({ generic: { discoveryUrl: '' } }), '/auth/oidc/generic/discoveryUrl must be equal to constant (refused: provider generic needs its discovery document', true],
      ['a discovery URL over http', oidc({ generic: { discoveryUrl: 'http://sso.example.org/.well-known/openid-configuration' } }), '/auth/oidc/generic/discoveryUrl must match pattern', true],
      ['Keycloak without realm', oidc({ provider: 'keycloak', keycloak: { url: 'https://sso.example.org' } }), '/auth/oidc/keycloak/realm must be equal to constant (refused: provider keycloak needs the realm', true],
      ['Okta without domain', oidc({ provider: 'okta' }), '/auth/oidc/okta/domain must be equal to constant (refused: provider okta needs your Okta domain', true],
      ['Entra ID with the common tenant', oidc({ provider: 'azureEntraId', azureEntraId: { tenantId: 'common' } }), '/auth/oidc/azureEntraId/tenantId must be equal to constant (refused: a multi-tenant endpoint', true],
      ['an unknown provider', oidc({ provider: 'github' }), '/auth/oidc/provider must be equal to one of the allowed values', true],
      ['a generic provider named like one of FAB\'s', oidc({ generic: { discoveryUrl: 'https://sso.example.org/x', name: 'okta' } }), '/auth/oidc/generic/name must be equal to constant (refused: a name FAB keeps', true],
      ['a generic provider without the openid scope', oidc({ scopes: ['email'] }), '/auth/oidc/scopes must be equal to constant (refused: a generic provider needs the openid scope', true],
      ['defaultRole Admin', ldap({}, { defaultRole: 'Admin' }), '/auth/defaultRole must be equal to constant (refused: every user would be an administrator', true],
      ['a mapping to a role name with a trailing space', oidc({}, { roleMapping: { 'airflow-admins': ['Viewer '] } }), '/auth/roleMapping/airflow-admins/0 must match pattern', true],
      ['a role without dags or permissions', { auth: { roles: [{ name: 'etl' }] } }, "/auth/roles/0 must have required property 'dags'", true],
      ['a role named like a built-in role in another case', { auth: { roles: [{ name: 'ADMIN', ...POOLS }] } }, '/auth/roles/0/name must be equal to constant (refused: a built-in role name', true],
      ['a role name with a leading space', { auth: { roles: [{ name: ' etl', ...POOLS }] } }, '/auth/roles/0/name must match pattern', true],
      ['an empty dags list', { auth: { roles: [{ name: 'etl', dags: [], ...POOLS }] } }, '/auth/roles/0/dags must NOT have fewer than 1 items', false],
      ['a grant naming both DAG ids and tags', { auth: { roles: [{ name: 'etl', dags: [{ dagIds: ['a'], tags: ['t'], access: 'read' }] }] } }, '/auth/roles/0/dags/0 must match exactly one schema in oneOf', false],
      ['a grant naming nothing', { auth: { roles: [{ name: 'etl', dags: [{ access: 'read' }] }] } }, '/auth/roles/0/dags/0 must match exactly one schema in oneOf', true],
      ['an invalid DAG id', { auth: { roles: [{ name: 'etl', dags: [{ dagIds: ['no spaces'], access: 'read' }] }] } }, '/auth/roles/0/dags/0/dagIds/0 must match pattern', true],
      ['a tag with a backslash (it would be escaped in ROLES_SPEC)', { auth: { roles: [{ name: 'etl', dags: [{ tags: ['a\\b'], access: 'read' }] }] } }, '/auth/roles/0/dags/0/tags/0 must match pattern', false],
      ['an unknown access level', { auth: { roles: [{ name: 'etl', dags: [{ dagIds: ['a'], access: 'write' }] }] } }, '/auth/roles/0/dags/0/access must be equal to one of the allowed values', true],
      ['an unknown action', { auth: { roles: [{ name: 'etl', permissions: [{ action: 'can_fly', resource: 'Pools' }] }] } }, '/auth/roles/0/permissions/0/action must be equal to one of the allowed values', true],
      ['a per-DAG resource as a raw permission', { auth: { roles: [{ name: 'etl', permissions: [{ action: 'can_read', resource: 'DAG Run:etl' }] }] } }, '/auth/roles/0/permissions/0/resource must be equal to constant (refused: per-DAG resources come from dags', true],
      ['a group mapped to no role', oidc({}, { roleMapping: { 'airflow-admins': [] } }), '/auth/roleMapping/airflow-admins must NOT have fewer than 1 items', true],
      ['neither a mapping nor a default role', { auth: { type: 'ldap', ldap: { url: 'ldaps://ldap.example.org', userBase: 'dc=example,dc=org' } } }, '/auth/defaultRole must be equal to constant (refused: every login would be refused', true],
      ['a default role without self-registration', ldap({}, { defaultRole: 'Viewer', selfRegistration: false }), '/auth/selfRegistration must be equal to constant (refused: auth.defaultRole is given to users created at login', true],
      ['plain ldap:// without StartTLS', ldap({ url: 'ldap://ldap.example.org' }), '/auth/ldap/allowInsecureLdap must be equal to constant (refused: plain ldap:// sends passwords in clear text', true],
      ['StartTLS on ldaps://', ldap({ startTls: true }), '/auth/ldap/url must be equal to constant (refused: startTls upgrades an ldap:// connection', true],
      ['a CA without TLS', ldap({ url: 'ldap://ldap.example.org', allowInsecureLdap: true, caCertificate: { existingSecret: 'ca' } }), '/auth/ldap/caCertificate/existingSecret must be equal to constant (refused: without TLS (allowInsecureLdap)', true],
      ['a bind DN without its password', ldap({ bindDn: 'cn=airflow,dc=example,dc=org' }), '/auth/ldap/bindPassword/existingSecret must be equal to constant (refused: auth.ldap.bindDn needs its password', true],
      ['a bind password without its DN', ldap({ bindPassword: { existingSecret: 'ldap-bind' } }), '/auth/ldap/bindDn must be equal to constant (refused: a bind password needs the DN', false],
      ['allowInsecureLdap on ldaps://', ldap({ allowInsecureLdap: true }), '/auth/ldap/url must be equal to constant (refused: allowInsecureLdap is for a plain ldap:// url', false],
      ['allowInsecureLdap with StartTLS', ldap({ url: 'ldap://ldap.example.org', startTls: true, allowInsecureLdap: true }), '/auth/ldap/startTls must be equal to constant (refused: allowInsecureLdap is for a connection without TLS', false],
      ['a DN with a quote', ldap({ userBase: 'ou="people",dc=example,dc=org' }), '/auth/ldap/userBase must match pattern', false],
      ['an LDAP URL with a path', ldap({ url: 'ldaps://ldap.example.org/dc=example' }), '/auth/ldap/url must match pattern', true],
    ])('rejects %s, naming the key', (_what, values, message, constructs) => {
      expect(errors(values).join('\n')).toContain(message);
      const build = () => synth(propsFromValues(values, RELEASE));
      if (constructs) expect(build).toThrow(); else expect(build).not.toThrow();
    });
  });
});

test('the chart checks every Secret the values can name, under the condition it is used (EXISTING_SECRET_USES)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EXISTING_SECRET_USES } = require('../../src/helm/chart');
  const named = leaves().filter((l) => l.path.endsWith('.existingSecret')).map((l) => l.path.slice(0, -'.existingSecret'.length)).sort();
  expect(EXISTING_SECRET_USES.map((u: { path: string }) => u.path).sort()).toEqual(named);
});
