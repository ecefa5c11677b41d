import { Testing } from 'cdk8s';
import { AirflowChart, ExternalPeer, NetworkPort } from '../../src';
import { allowed, Endpoint } from '../network-eval';
import { Manifest, podTemplates, synth } from '../util';
import { allOutputs } from '../variants';

const ns = (name: string) => ({ 'kubernetes.io/metadata.name': name });

/** One endpoint per component pod in the output, with the ports its containers listen on. */
function endpoints(m: Manifest[]): { ep: Endpoint; ports: number[] }[] {
  return podTemplates(m).map((p, i) => ({
    ep: { name: p.component, namespace: p.namespace, namespaceLabels: ns(p.namespace), labels: p.labels, ip: `10.244.1.${i + 10}` },
    ports: p.spec.containers.flatMap((c: any) => (c.ports ?? []).map((x: any) => x.containerPort)),
  }));
}

const OUTSIDE: Record<string, Endpoint> = {
  'dns': { name: 'dns', namespace: 'kube-system', namespaceLabels: ns('kube-system'), labels: { 'k8s-app': 'kube-dns' }, ip: '10.244.0.2' },
  'ingress-controller': { name: 'ingress-controller', namespace: 'ingress-nginx', namespaceLabels: ns('ingress-nginx'), labels: { app: 'ingress-nginx' }, ip: '10.244.0.3' },
  'other-namespace': { name: 'other', namespace: 'team-x', namespaceLabels: ns('team-x'), labels: { app: 'x' }, ip: '10.244.0.4' },
  'internet': { name: 'internet', namespace: '', namespaceLabels: {}, labels: {}, ip: '203.0.113.7', external: true },
};

/**
 * The Airflow 3 component graph: who connects to whom, on which port. Derived from Airflow's architecture,
 * not from our code: tasks reach the metadata only through the api-server's execution API; the api-server
 * fetches live logs from worker (8793) and triggerer (8794) log servers; Celery parties use Redis.
 */
const CELERY_GRAPH = [
  'api-server->postgres:5432', 'scheduler->postgres:5432', 'dag-processor->postgres:5432', 'triggerer->postgres:5432',
  'migrate->postgres:5432', 'create-user->postgres:5432',
  'scheduler->redis:6379', 'worker->redis:6379', 'flower->redis:6379',
  'worker->api-server:8080',
  'api-server->worker:8793', 'api-server->triggerer:8794',
];
const LOCAL_GRAPH = [
  'api-server->postgres:5432', 'scheduler->postgres:5432', 'dag-processor->postgres:5432', 'triggerer->postgres:5432',
  'migrate->postgres:5432', 'create-user->postgres:5432',
  'scheduler->api-server:8080', 'api-server->scheduler:8793', 'api-server->triggerer:8794',
];

const CORNFLOW_EDGES = [
  'cornflow->api-server:8080', 'cornflow-init->api-server:8080',
  'cornflow->postgres:5432', 'cornflow-init->postgres:5432', 'cornflow-db->postgres:5432', 'cornflow-role->postgres:5432', 'cornflow-user->postgres:5432',
];

function actualGraph(m: Manifest[]): string[] {
  const policies = m.filter((x) => x.kind === 'NetworkPolicy');
  const eps = endpoints(m);
  const edges = new Set<string>();
  for (const src of eps) {
    for (const dst of eps) {
      if (src.ep.name === dst.ep.name) continue;
      for (const port of dst.ports) {
        if (allowed(policies, src.ep, dst.ep, port)) edges.add(`${src.ep.name}->${dst.ep.name}:${port}`);
      }
    }
  }
  return [...edges].sort();
}

describe('NetworkPolicy graph', () => {
  test.each([
    ['variant:celery+flower', CELERY_GRAPH],
    ['example:default', CELERY_GRAPH.filter((e) => !e.startsWith('flower'))],
    ['example:minimal', LOCAL_GRAPH],
    // Cornflow (issue 14): it and its init call Airflow's API; it, its init and its Jobs use PostgreSQL; only the
    // processes that run tasks (Celery workers here) call Cornflow back.
    ['variant:cornflow', [...CELERY_GRAPH.filter((e) => !e.startsWith('flower')), ...CORNFLOW_EDGES, 'worker->cornflow:5000']],
    // LDAP login: no admin Job, and Cornflow's Airflow account is a directory account (no cornflow-user Job).
    ['variant:cornflow+local+ldap', [...LOCAL_GRAPH.filter((e) => !e.startsWith('create-user')), ...CORNFLOW_EDGES.filter((e) => !e.startsWith('cornflow-user')),
      'scheduler->cornflow:5000']],
  ])('%s: pods talk exactly along the Airflow 3 component graph', (variant, graph) => {
    expect(actualGraph(allOutputs()[variant])).toEqual([...graph].sort());
  });

  test('every pod resolves DNS, and nothing else leaves the release except task traffic and the secrets Job', () => {
    const m = allOutputs()['variant:celery+flower'];
    const policies = m.filter((x) => x.kind === 'NetworkPolicy');
    for (const { ep } of endpoints(m)) {
      expect(allowed(policies, ep, OUTSIDE.dns, 53, 'UDP')).toBe(true);
      expect(allowed(policies, ep, OUTSIDE.dns, 53, 'TCP')).toBe(true);
      const runsTasks = ['worker', 'triggerer'].includes(ep.name);
      expect({ pod: ep.name, internet: allowed(policies, ep, OUTSIDE.internet, 443) }).toEqual({ pod: ep.name, internet: runsTasks || ep.name === 'secrets' });
      expect({ pod: ep.name, internet: allowed(policies, ep, OUTSIDE.internet, 5432) }).toEqual({ pod: ep.name, internet: runsTasks });
    }
  });

  test('task egress can be closed: workers then reach only the api-server, Redis and DNS', () => {
    const m = allOutputs()['variant:no-admin-no-task-egress'];
    const policies = m.filter((x) => x.kind === 'NetworkPolicy');
    const worker = endpoints(m).find((e) => e.ep.name === 'worker')!.ep;
    expect(allowed(policies, worker, OUTSIDE.internet, 443)).toBe(false);
  });

  test('only the ingress controller namespace reaches the api-server, and only when an Ingress exists', () => {
    for (const [variant, expected] of [['variant:local+ingress', true], ['example:default', false]] as const) {
      const m = allOutputs()[variant];
      const policies = m.filter((x) => x.kind === 'NetworkPolicy');
      const api = endpoints(m).find((e) => e.ep.name === 'api-server')!.ep;
      expect(allowed(policies, OUTSIDE['ingress-controller'], api, 8080)).toBe(expected);
      expect(allowed(policies, OUTSIDE['other-namespace'], api, 8080)).toBe(false);
      expect(allowed(policies, OUTSIDE.internet, api, 8080)).toBe(false);
    }
  });

  test('Cornflow: only the ingress controller reaches it from outside; it leaves the release only for the directory (ldaps)', () => {
    const m = allOutputs()['variant:cornflow+local+ldap'];
    const policies = m.filter((x) => x.kind === 'NetworkPolicy');
    const cornflow = endpoints(m).find((e) => e.ep.name === 'cornflow')!.ep;
    expect(allowed(policies, OUTSIDE['ingress-controller'], cornflow, 5000)).toBe(true);
    expect(allowed(policies, OUTSIDE['other-namespace'], cornflow, 5000)).toBe(false);
    expect(allowed(policies, OUTSIDE.internet, cornflow, 5000)).toBe(false);
    expect(allowed(policies, cornflow, OUTSIDE.internet, 636)).toBe(true);
    expect(allowed(policies, cornflow, OUTSIDE.internet, 443)).toBe(false);
    expect(allowed(policies, cornflow, OUTSIDE.internet, 389)).toBe(false);
    const plain = allOutputs()['variant:cornflow'];
    const plainCornflow = endpoints(plain).find((e) => e.ep.name === 'cornflow')!.ep;
    const plainPolicies = plain.filter((x) => x.kind === 'NetworkPolicy');
    expect(allowed(plainPolicies, OUTSIDE['ingress-controller'], plainCornflow, 5000)).toBe(false);
    expect(allowed(plainPolicies, plainCornflow, OUTSIDE.internet, 636)).toBe(false);
  });

  test('production: the external database and Redis are reachable only on their ports and CIDRs', () => {
    const m = allOutputs()['example:production'];
    const policies = m.filter((x) => x.kind === 'NetworkPolicy');
    const eps = endpoints(m);
    const db = { ...OUTSIDE.internet, ip: '10.20.3.4' };
    const scheduler = eps.find((e) => e.ep.name === 'scheduler')!.ep;
    const dagProcessor = eps.find((e) => e.ep.name === 'dag-processor')!.ep;
    expect(allowed(policies, scheduler, db, 5432)).toBe(true);
    expect(allowed(policies, scheduler, db, 22)).toBe(false);
    expect(allowed(policies, scheduler, { ...db, ip: '192.0.2.1' }, 5432)).toBe(false);
    expect(allowed(policies, scheduler, { ...db, ip: '10.30.0.9' }, 6380)).toBe(true);
    expect(allowed(policies, dagProcessor, { ...db, ip: '10.30.0.9' }, 6380)).toBe(false);
  });

  test('two releases in one namespace neither collide nor talk', () => {
    const app = Testing.app();
    const a = synth(new AirflowChart(app, 'a', { namespace: 'shared' }));
    const b = synth(new AirflowChart(app, 'b', { namespace: 'shared' }));
    const names = (m: Manifest[]) => m.map((x) => `${x.kind}/${x.metadata.name}`);
    expect(names(a).filter((n) => names(b).includes(n))).toEqual([]);
    const policies = [...a, ...b].filter((x) => x.kind === 'NetworkPolicy');
    const workerA = endpoints(a).find((e) => e.ep.name === 'worker')!.ep;
    const apiB = { ...endpoints(b).find((e) => e.ep.name === 'api-server')!.ep, ip: '10.244.2.1' };
    const redisB = { ...endpoints(b).find((e) => e.ep.name === 'redis')!.ep, ip: '10.244.2.2' };
    expect(allowed(policies, workerA, apiB, 8080)).toBe(false);
    expect(allowed(policies, workerA, redisB, 6379)).toBe(false);
  });
});

describe('extra network edges through a component\'s connections (the typed extension point)', () => {
  test('an egress edge to a CIDR and port, and an ingress edge from a namespace, land in both policies as plain JSON', () => {
    const app = Testing.app();
    const chart = new AirflowChart(app, 'airflow', { namespace: 'airflow' });
    chart.scheduler.workload.connections.allowTo(ExternalPeer.cidrs(['10.9.0.0/16'], 'metrics store'), NetworkPort.tcp(9000));
    chart.apiServer.workload.connections.allowFrom(ExternalPeer.namespaces({ 'kubernetes.io/metadata.name': 'monitoring' }, { app: 'prometheus' }));
    const m = synth(chart);
    const policies = m.filter((x) => x.kind === 'NetworkPolicy');
    const eps = endpoints(m);
    const scheduler = eps.find((e) => e.ep.name === 'scheduler')!.ep;
    const api = eps.find((e) => e.ep.name === 'api-server')!.ep;
    const store = { ...OUTSIDE.internet, ip: '10.9.1.1' };
    const prometheus = { name: 'prometheus', namespace: 'monitoring', namespaceLabels: ns('monitoring'), labels: { app: 'prometheus' }, ip: '10.244.0.9' };
    expect(allowed(policies, scheduler, store, 9000)).toBe(true);
    expect(allowed(policies, scheduler, store, 9001)).toBe(false);
    expect(allowed(policies, prometheus, api, 8080)).toBe(true);
    expect(allowed(policies, { ...prometheus, labels: { app: 'other' } }, api, 8080)).toBe(false);
    const schedulerPolicy = policies.find((p) => p.metadata.name === 'airflow-scheduler')!;
    expect(schedulerPolicy.spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.9.0.0/16' } }], ports: [{ port: 9000, protocol: 'TCP' }] });
  });

  test('an external peer needs a port', () => {
    const chart = new AirflowChart(Testing.app(), 'airflow', { namespace: 'airflow' });
    expect(() => chart.scheduler.workload.connections.allowTo(ExternalPeer.cidrs(['10.9.0.0/16'], 'metrics store'))).toThrow(/a port is required to reach metrics store/);
  });
});
