import { Testing } from 'cdk8s';
import { AirflowAuth, AirflowChart, BuiltinRole, DagAccess, DagGrant, FabPermission, LdapDirectory, OidcProvider, SecretKeyRef } from '../../src';
import { Values } from '../../src/values/model';
import { propsFromValues } from '../../src/values/props';

/**
 * The `auth` values against the TypeScript API: the same configuration written both ways synthesizes the same
 * objects (webserver_config.py, the api-server's Secret mounts, the relaxed defaults).
 */
const RELEASE = { releaseName: 'airflow', namespace: 'airflow' };
// The admin user is left out on both sides: with database login the values create it unless told not to.
const NO_ADMIN = { adminUser: { enabled: false } };

function fromValues(values: Values) {
  const chart = new AirflowChart(Testing.app(), 'airflow', propsFromValues({ ...values, ...NO_ADMIN }, RELEASE));
  return { manifests: Testing.synth(chart), relaxed: chart.relaxedDefaults };
}

function fromTypeScript(auth: AirflowAuth) {
  const chart = new AirflowChart(Testing.app(), 'airflow', { ...propsFromValues(NO_ADMIN, RELEASE), auth });
  return { manifests: Testing.synth(chart), relaxed: chart.relaxedDefaults };
}

const config = (m: any[]) => m.find((o) => o.kind === 'ConfigMap' && o.data?.['webserver_config.py'])?.data['webserver_config.py'];

const MAPPING = {
  'cn=airflow-admins,ou=groups,dc=example,dc=org': [BuiltinRole.ADMIN],
  'cn=airflow-viewers,ou=groups,dc=example,dc=org': [BuiltinRole.VIEWER, BuiltinRole.USER],
};
const OIDC_MAPPING = { 'airflow-admins': [BuiltinRole.ADMIN], 'data-team': [BuiltinRole.OP] };
const oidcValues = (o: Values, more: Values = {}): Values => ({
  auth: { type: 'oidc', roleMapping: OIDC_MAPPING, ...more, oidc: { clientId: 'airflow-web', clientSecret: { existingSecret: 'airflow-oidc', key: 'secret' }, ...o } },
});
const oidcAuth = (provider: OidcProvider, more: object = {}) => AirflowAuth.oidc({
  provider, clientId: 'airflow-web', clientSecret: SecretKeyRef.fromSecret('airflow-oidc', 'secret'), roleMapping: OIDC_MAPPING, ...more,
});

/** Custom roles written both ways (keys in another order in the values: ROLES_SPEC sorts them). */
const ROLES_VALUES = [
  { name: 'team-a', dags: [{ access: 'read', dagIds: ['billing', 'etl.daily'] }, { tags: ['team-a', 'shared <data>'], access: 'trigger' }], permissions: [{ resource: 'Pools', action: 'can_read' }] },
  { permissions: [{ action: 'can_edit', resource: 'Variables' }], name: 'variables-editor' },
];
const ROLES = [
  {
    name: 'team-a',
    dags: [DagGrant.dags(['billing', 'etl.daily'], DagAccess.READ), DagGrant.tagged(['team-a', 'shared <data>'], DagAccess.TRIGGER)],
    permissions: [FabPermission.of('can_read', 'Pools')],
  },
  { name: 'variables-editor', permissions: [FabPermission.of('can_edit', 'Variables')] },
];

const CASES: [string, Values, () => AirflowAuth][] = [
  ['database login (the default)', {}, () => AirflowAuth.database()],
  ['LDAP with only what is required (the defaults equal the API\'s)', {
    auth: { type: 'ldap', roleMapping: MAPPING, ldap: { url: 'ldaps://ldap.example.org', userBase: 'ou=people,dc=example,dc=org' } },
  }, () => AirflowAuth.ldap({ directory: new LdapDirectory({ url: 'ldaps://ldap.example.org', userBase: 'ou=people,dc=example,dc=org' }), roleMapping: MAPPING })],
  ['LDAP with StartTLS, a CA, a search account, group search and every attribute', {
    auth: {
      type: 'ldap', roleMapping: MAPPING, defaultRole: 'Viewer', syncRolesAtLogin: false,
      ldap: {
        url: 'ldap://ldap.example.org:3389', startTls: true, caCertificate: { existingSecret: 'corp-ca', key: 'root.pem' },
        bindDn: 'cn=airflow,ou=services,dc=example,dc=org', bindPassword: { existingSecret: 'ldap-bind', key: 'pw' },
        userBase: 'ou=people,dc=example,dc=org', usernameAttribute: 'sAMAccountName', userObjectClass: 'user', emailAttribute: 'userPrincipalName',
        firstNameAttribute: 'gn', lastNameAttribute: 'surname', userGroupAttribute: 'isMemberOf',
        groupBase: 'ou=groups,dc=example,dc=org', groupObjectClass: 'posixGroup', groupMemberAttribute: 'memberUid',
      },
    },
  }, () => AirflowAuth.ldap({
    directory: new LdapDirectory({
      url: 'ldap://ldap.example.org:3389', startTls: true, caCertificate: SecretKeyRef.fromSecret('corp-ca', 'root.pem'),
      bindDn: 'cn=airflow,ou=services,dc=example,dc=org', bindPassword: SecretKeyRef.fromSecret('ldap-bind', 'pw'),
      userBase: 'ou=people,dc=example,dc=org', usernameAttribute: 'sAMAccountName', userObjectClass: 'user', emailAttribute: 'userPrincipalName',
      firstNameAttribute: 'gn', lastNameAttribute: 'surname', userGroupAttribute: 'isMemberOf',
      groupBase: 'ou=groups,dc=example,dc=org', groupObjectClass: 'posixGroup', groupMemberAttribute: 'memberUid',
    }),
    roleMapping: MAPPING, defaultRole: BuiltinRole.VIEWER, syncRolesAtLogin: false,
  })],
  ['plain LDAP, explicitly allowed (a relaxed default)', {
    auth: { type: 'ldap', defaultRole: 'Public', selfRegistration: true, ldap: { url: 'ldap://10.0.0.5', allowInsecureLdap: true, userBase: 'dc=example,dc=org' } },
  }, () => AirflowAuth.ldap({ directory: new LdapDirectory({ url: 'ldap://10.0.0.5', allowInsecureLdap: true, userBase: 'dc=example,dc=org' }), defaultRole: BuiltinRole.PUBLIC })],
  ['generic OIDC with only what is required', oidcValues({ generic: { discoveryUrl: 'https://sso.example.org/.well-known/openid-configuration' } }),
    () => oidcAuth(OidcProvider.generic({ discoveryUrl: 'https://sso.example.org/.well-known/openid-configuration' }))],
  ['generic OIDC with a name, claims, scopes, a default role and no self-registration', oidcValues({
    scopes: ['openid', 'email', 'groups'],
    generic: { discoveryUrl: 'https://sso.example.org/realms/corp/.well-known/openid-configuration', name: 'corp-sso', usernameClaim: 'email', groupsClaim: 'realm_access.roles' },
  }, { syncRolesAtLogin: false, selfRegistration: false }), () => oidcAuth(
    OidcProvider.generic({ discoveryUrl: 'https://sso.example.org/realms/corp/.well-known/openid-configuration', name: 'corp-sso', usernameClaim: 'email', groupsClaim: 'realm_access.roles' }),
    { scopes: ['openid', 'email', 'groups'], syncRolesAtLogin: false, selfRegistration: false },
  )],
  ['Entra ID with a roles claim', oidcValues({ provider: 'azureEntraId', azureEntraId: { tenantId: 'example.onmicrosoft.com', rolesClaim: 'groups' } }),
    () => oidcAuth(OidcProvider.azureEntraId({ tenantId: 'example.onmicrosoft.com', rolesClaim: 'groups' }))],
  ['Okta with an authorization server and a default role', oidcValues({ provider: 'okta', okta: { domain: 'example.okta.com', authorizationServerId: 'aus1abc' } }, { defaultRole: 'User' }),
    () => oidcAuth(OidcProvider.okta({ domain: 'example.okta.com', authorizationServerId: 'aus1abc' }), { defaultRole: BuiltinRole.USER })],
  ['Okta with the org authorization server', oidcValues({ provider: 'okta', okta: { domain: 'example.okta.com' } }),
    () => oidcAuth(OidcProvider.okta({ domain: 'example.okta.com' }))],
  ['Keycloak', oidcValues({ provider: 'keycloak', keycloak: { url: 'https://sso.example.org/auth', realm: 'corp' } }),
    () => oidcAuth(OidcProvider.keycloak({ url: 'https://sso.example.org/auth', realm: 'corp' }))],
  ['database login with custom roles', { auth: { roles: ROLES_VALUES } }, () => AirflowAuth.database({ roles: ROLES })],
  ['LDAP with custom roles in the mapping and as the default role', {
    auth: {
      type: 'ldap', roles: ROLES_VALUES, defaultRole: 'variables-editor',
      roleMapping: { 'cn=team-a,ou=groups,dc=example,dc=org': ['team-a', 'Viewer'] },
      ldap: { url: 'ldaps://ldap.example.org', userBase: 'ou=people,dc=example,dc=org' },
    },
  }, () => AirflowAuth.ldap({
    directory: new LdapDirectory({ url: 'ldaps://ldap.example.org', userBase: 'ou=people,dc=example,dc=org' }),
    roles: ROLES, defaultRole: 'variables-editor', roleMapping: { 'cn=team-a,ou=groups,dc=example,dc=org': ['team-a', BuiltinRole.VIEWER] },
  })],
  ['OIDC with a custom role in the mapping', oidcValues({ provider: 'okta', okta: { domain: 'example.okta.com' } }, { roles: ROLES_VALUES, roleMapping: { 'team-a': ['team-a'] } }),
    () => oidcAuth(OidcProvider.okta({ domain: 'example.okta.com' }), { roles: ROLES, roleMapping: { 'team-a': ['team-a'] } })],
];

describe('auth values', () => {
  test.each(CASES)('%s: the values give what the TypeScript API gives', (_what, values, auth) => {
    const got = fromValues(values);
    const want = fromTypeScript(auth());
    expect(config(got.manifests)).toEqual(config(want.manifests));
    expect(got.manifests).toEqual(want.manifests);
    expect(got.relaxed).toEqual(want.relaxed);
  });

  test.each([
    ['LDAP', CASES[2][1], ['ldap-bind', 'corp-ca']],
    ['OIDC', CASES[5][1], ['airflow-oidc']],
  ] as const)('%s secrets from values are references mounted into the api-server only', (_mode, values, secrets) => {
    const { manifests } = fromValues(values);
    const readers = (secret: string) => manifests.filter((o: any) => JSON.stringify(o.spec?.template?.spec ?? {}).includes(`"${secret}"`))
      .map((o: any) => o.metadata.name);
    for (const secret of secrets) expect({ secret, readers: readers(secret) }).toEqual({ secret, readers: ['airflow-api-server'] });
    // The release declares only the Secrets it generates, empty; the user's Secrets are never among them.
    const declared = manifests.filter((o: any) => o.kind === 'Secret');
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.filter((o: any) => (secrets as readonly string[]).includes(o.metadata.name) || o.data !== undefined || o.stringData !== undefined)).toEqual([]);
  });

  test('roleMapping keys are sorted the way Helm prints a map, so the chart and the constructs agree', () => {
    const unsorted = { 'cn=zeta,dc=example,dc=org': ['Op'], 'cn=Alpha,dc=example,dc=org': ['Admin'], 'cn=alpha,dc=example,dc=org': ['User'], 'cn=10,dc=example,dc=org': ['Viewer'] };
    const ldap = { url: 'ldaps://ldap.example.org', userBase: 'dc=example,dc=org' };
    const mapping = (m: any[]) => m.find((o) => o.kind === 'Deployment' && o.metadata.name === 'airflow-api-server')
      .spec.template.spec.containers[0].env.find((e: any) => e.name === 'AUTH_ROLES_MAPPING').value;
    const sorted = '{"cn=10,dc=example,dc=org":["Viewer"],"cn=Alpha,dc=example,dc=org":["Admin"],"cn=alpha,dc=example,dc=org":["User"],"cn=zeta,dc=example,dc=org":["Op"]}';
    expect(mapping(fromValues({ auth: { type: 'ldap', roleMapping: unsorted, ldap } }).manifests)).toBe(sorted);
    const reversed = Object.fromEntries(Object.entries(unsorted).reverse());
    expect(mapping(fromTypeScript(AirflowAuth.ldap({ directory: new LdapDirectory(ldap), roleMapping: reversed })).manifests)).toBe(sorted);
  });

  test('values create the admin user with database login only (LDAP and OIDC do not check database passwords)', () => {
    const ldap = { auth: { type: 'ldap', defaultRole: 'Viewer', ldap: { url: 'ldaps://ldap.example.org', userBase: 'dc=example,dc=org' } } };
    const jobs = (v: Values) => Testing.synth(new AirflowChart(Testing.app(), 'airflow', propsFromValues(v, RELEASE)))
      .filter((o: any) => o.kind === 'Job').map((o: any) => o.metadata.name.replace(/-[0-9a-f]{8}$/, ''));
    expect(jobs({})).toContain('airflow-create-user');
    expect(jobs(ldap)).not.toContain('airflow-create-user');
    expect(jobs({ ...ldap, adminUser: { enabled: true } })).not.toContain('airflow-create-user');
  });

  test('the values give the sync Job the roles as declared', () => {
    const { manifests } = fromValues({ auth: { roles: ROLES_VALUES } });
    const job = manifests.find((o: any) => o.kind === 'Job' && o.metadata.name.startsWith('airflow-sync-roles-'));
    expect(job.spec.template.spec.containers[0].env.find((e: any) => e.name === 'ROLES_SPEC').value).toBe('['
      + '{"dags":[{"access":"read","dagIds":["billing","etl.daily"]},{"access":"trigger","tags":["team-a","shared \\u003cdata\\u003e"]}],"name":"team-a","permissions":[{"action":"can_read","resource":"Pools"}]},'
      + '{"name":"variables-editor","permissions":[{"action":"can_edit","resource":"Variables"}]}]');
    expect(fromValues({}).manifests.filter((o: any) => o.kind === 'Job' && o.metadata.name.startsWith('airflow-sync-roles-'))).toEqual([]);
  });

  // What the chart's validate template refuses (a schema cannot compare values), the constructs refuse too.
  test.each([
    ['a role declared twice', { auth: { roles: [{ name: 'etl', permissions: [{ action: 'can_read', resource: 'Pools' }] }, { name: 'etl', dags: [{ dagIds: ['a'], access: 'read' }] }] } },
      /roles\[1\]\.name 'etl' is declared twice; merge the two roles/],
    ['a mapping to an undeclared role', { auth: { type: 'ldap', roleMapping: { 'cn=etl,dc=example,dc=org': ['etl'] }, ldap: { url: 'ldaps://ldap.example.org', userBase: 'dc=example,dc=org' } } },
      /roleMapping\['cn=etl,dc=example,dc=org'\]: unknown role 'etl'; use one of Admin, Op, User, Viewer, Public, or declare it in roles/],
    ['an undeclared default role', oidcValues({ generic: { discoveryUrl: 'https://sso.example.org/.well-known/openid-configuration' } }, { defaultRole: 'analysts' }),
      /defaultRole: unknown role 'analysts'; use one of Admin, Op, User, Viewer, Public, or declare it in roles/],
  ])('throws if the values hold %s, as the chart fails', (_what, values, message) => {
    expect(() => propsFromValues(values, RELEASE)).toThrow(message);
  });

  test('throws if a values login mode is unknown, naming the key', () => {
    expect(() => propsFromValues({ auth: { type: 'kerberos' } }, RELEASE)).toThrow("auth.type must be database, ldap or oidc, got 'kerberos'");
  });
});
