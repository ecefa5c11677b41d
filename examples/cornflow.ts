import { App } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AirflowAuth, AirflowChart, BuiltinRole, Cornflow, CornflowAuth, CornflowDatabase, IngressTls, IssuerKind, LdapDirectory, MetadataDatabase,
  SecretKeyRef, SslMode,
} from '../src';

/**
 * Cornflow next to Airflow, as Cornflow's production guide asks: external PostgreSQL for both (verify-full), one LDAP
 * directory logging people into both (ldaps://, groups mapped to roles), TLS Ingresses for both, and Cornflow's own
 * least-privilege accounts (its Airflow account and its service user are directory accounts).
 */
export function cornflowExample(scope: Construct): AirflowChart {
  const directory = new LdapDirectory({
    url: 'ldaps://ldap.example.org',
    caCertificate: SecretKeyRef.fromSecret('ldap-ca', 'ca.crt'),
    bindDn: 'cn=airflow,ou=services,dc=example,dc=org',
    bindPassword: SecretKeyRef.fromSecret('ldap-bind', 'password'),
    userBase: 'ou=people,dc=example,dc=org',
    groupBase: 'ou=groups,dc=example,dc=org',
    cidrs: ['10.40.0.0/16'],
  });
  return new AirflowChart(scope, 'airflow-cornflow', {
    namespace: 'optimization',
    releaseName: 'airflow',
    database: MetadataDatabase.external({
      host: 'pg.example.com',
      password: SecretKeyRef.fromSecret('airflow-db', 'password'),
      sslMode: SslMode.VERIFY_FULL,
      caCertificate: SecretKeyRef.fromSecret('pg-ca', 'ca.crt'),
      cidrs: ['10.20.0.0/16'],
    }),
    auth: AirflowAuth.ldap({
      directory,
      roleMapping: {
        'cn=airflow-admins,ou=groups,dc=example,dc=org': [BuiltinRole.ADMIN],
        'cn=planners,ou=groups,dc=example,dc=org': [BuiltinRole.VIEWER],
        // Cornflow's Airflow account (cornflow.airflowUser) is in this group.
        'cn=cornflow-service,ou=groups,dc=example,dc=org': ['Cornflow'],
      },
    }),
    ingress: { host: 'airflow.example.com', className: 'nginx', tls: IngressTls.certManager('letsencrypt-prod', IssuerKind.CLUSTER_ISSUER) },
    cornflow: Cornflow.enabled({
      replicas: 2,
      database: CornflowDatabase.external({
        host: 'pg.example.com',
        password: SecretKeyRef.fromSecret('cornflow-db', 'password'),
        sslMode: SslMode.VERIFY_FULL,
        caCertificate: SecretKeyRef.fromSecret('pg-ca', 'ca.crt'),
        cidrs: ['10.20.0.0/16'],
      }),
      auth: CornflowAuth.ldap({ roleGroups: { admin: 'cornflow-admins', planner: 'planners', viewer: 'viewers', service: 'cornflow-service' } }),
      serviceUser: { username: 'cornflow-service', password: SecretKeyRef.fromSecret('cornflow-service', 'password') },
      airflowUser: { username: 'cornflow-airflow', password: SecretKeyRef.fromSecret('cornflow-airflow', 'password') },
      ingress: { host: 'cornflow.example.com', className: 'nginx', tls: IngressTls.certManager('letsencrypt-prod', IssuerKind.CLUSTER_ISSUER) },
    }),
  });
}

if (require.main === module) {
  const app = new App();
  cornflowExample(app);
  app.synth();
}
