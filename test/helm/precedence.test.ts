/**
 * Issue 12, acceptance 4: what you set in a map or list the chart also fills is never silently lost. Each case renders
 * the chart with the real helm (raw bytes parsed strictly: a duplicate key fails), checks the rule README.md's
 * precedence table states, and checks `cdk8s synth` gives the same objects for the same values. The keys the chart
 * must own are refused with a message by helm template and helm lint --strict (test/helm/bad-values/: reserved pod
 * labels and annotations, ingress annotations).
 */
import { Values } from '../../src/values/model';
import { podsOf } from '../security/pss';
import { Manifest } from '../util';
import { withTaskPods } from '../validate/manifest-sources';
import { synthValues } from './differential';
import { firstDifference, helmTemplate, normalize } from './helm';

/** helm's render of `values` (with the test Pod), after checking the constructs give the same objects. */
function render(values: Values): Manifest[] {
  const withoutTests = helmTemplate({ values });
  expect(firstDifference(normalize(withoutTests), normalize(synthValues(values)))).toBe('none');
  return withTaskPods(helmTemplate({ values }, true));
}

const policies = (m: Manifest[]) => m.filter((x) => x.kind === 'NetworkPolicy');
const one = (m: Manifest[], kind: string, name: string) => {
  const found = m.filter((x) => x.kind === kind && x.metadata.name === name);
  expect(found.map((x) => `${x.kind}/${x.metadata.name}`)).toEqual([`${kind}/${name}`]);
  return found[0];
};

/** Every egress peer on port 53, with its policy. */
function dnsPeers(m: Manifest[]): { policy: string; peer: any }[] {
  return policies(m).flatMap((p) => (p.spec.egress ?? [])
    .filter((rule: any) => (rule.ports ?? []).some((port: any) => port.port === 53))
    .flatMap((rule: any) => rule.to.map((peer: any) => ({ policy: p.metadata.name, peer }))));
}

const INGRESS = { enabled: true, host: 'airflow.example.org', tls: { secretName: 'airflow-tls' } };

describe('precedence of your maps and lists over the chart\'s', () => {
  describe('DNS peers of the NetworkPolicies', () => {
    test('default: kube-system\'s kube-dns pods', () => {
      const peers = dnsPeers(render({}));
      expect(peers.length).toBeGreaterThan(0);
      for (const { peer } of peers) {
        expect(peer).toEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } });
      }
    });

    test('your namespace and pod labels replace the defaults, exactly', () => {
      const peers = dnsPeers(render({ networkPolicy: { dnsNamespaceLabels: { 'team': 'platform-dns' }, dnsPodLabels: { 'app.kubernetes.io/name': 'coredns', 'tier': 'dns' } } }));
      expect(peers.length).toBeGreaterThan(0);
      for (const { peer } of peers) {
        expect(peer).toEqual({ namespaceSelector: { matchLabels: { team: 'platform-dns' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'coredns', 'tier': 'dns' } } });
      }
    });

    test('only the namespace labels set: the pod labels keep their default', () => {
      for (const { peer } of dnsPeers(render({ networkPolicy: { dnsNamespaceLabels: { dns: 'yes' } } }))) {
        expect(peer).toEqual({ namespaceSelector: { matchLabels: { dns: 'yes' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } });
      }
    });
  });

  describe('the ingress controller\'s namespace, the only one that reaches the api-server on 8080 from outside', () => {
    const controllerPeers = (m: Manifest[]) => one(m, 'NetworkPolicy', 'airflow-api-server').spec.ingress
      .flatMap((rule: any) => rule.from).filter((peer: any) => peer.namespaceSelector);

    test('default: ingress-nginx', () => {
      expect(controllerPeers(render({ ingress: INGRESS }))).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }]);
    });

    test('your labels replace the default, exactly', () => {
      const m = render({ ingress: { ...INGRESS, controllerNamespaceLabels: { 'kubernetes.io/metadata.name': 'traefik', 'zone': 'edge' } } });
      expect(controllerPeers(m)).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik', 'zone': 'edge' } } }]);
    });

    test('without an Ingress no namespace is let in', () => {
      expect(controllerPeers(render({ ingress: { controllerNamespaceLabels: { zone: 'edge' } } }))).toEqual([]);
    });
  });

  describe('affinity, for every component that scales', () => {
    const COMPONENTS: Record<string, string> = {
      apiServer: 'api-server', scheduler: 'scheduler', dagProcessor: 'dag-processor', triggerer: 'triggerer', workers: 'worker', flower: 'flower',
    };
    const enable = (key: string): Values => (key === 'flower' ? { flower: { enabled: true } } : {});
    const mine = {
      requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'x' } }, topologyKey: 'topology.kubernetes.io/zone' }],
    };
    const nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['airflow'] }] }] },
    };
    const chartAntiAffinity = (component: string) => ({
      preferredDuringSchedulingIgnoredDuringExecution: [{
        weight: 100,
        podAffinityTerm: {
          labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': 'airflow', 'app.kubernetes.io/component': component } },
          topologyKey: 'kubernetes.io/hostname',
        },
      }],
    });
    const affinity = (m: Manifest[], component: string) => one(m, 'Deployment', `airflow-${component}`).spec.template.spec.affinity;

    test.each(Object.entries(COMPONENTS))('%s: your podAntiAffinity with replicas 3 is kept as written, once', (key, component) => {
      const m = render({ ...enable(key), [key]: { ...(enable(key)[key] as object ?? {}), replicas: 3, affinity: { podAntiAffinity: mine } } } as Values);
      expect(affinity(m, component)).toEqual({ podAntiAffinity: mine });
    });

    test.each(Object.entries(COMPONENTS))('%s: your nodeAffinity with replicas 3 gets the chart\'s spread across nodes beside it', (key, component) => {
      const m = render({ ...enable(key), [key]: { ...(enable(key)[key] as object ?? {}), replicas: 3, affinity: { nodeAffinity } } } as Values);
      expect(affinity(m, component)).toEqual({ nodeAffinity, podAntiAffinity: chartAntiAffinity(component) });
    });

    test.each(Object.entries(COMPONENTS))('%s: one replica and no affinity set: none', (key, component) => {
      expect(affinity(render({ ...enable(key), [key]: { ...(enable(key)[key] as object ?? {}), replicas: 1 } } as Values), component)).toBeUndefined();
    });
  });

  describe('images', () => {
    const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
    const images = (m: Manifest[]) => podsOf(m).flatMap(({ owner, pod }) => [...(pod.spec.initContainers ?? []), ...pod.spec.containers]
      .map((c: any) => ({ owner, image: c.image as string })));

    test('a digest without a registry is kept, for every container of every pod (task pods included)', () => {
      const m = render({
        executor: 'KubernetesExecutor',
        images: { airflow: { digest: DIGEST }, postgres: { digest: DIGEST } },
      });
      const all = images(m);
      const airflow = all.filter((x) => x.image.startsWith('apache/airflow'));
      expect(airflow.length).toBeGreaterThanOrEqual(8);
      for (const x of airflow) expect(x).toEqual({ owner: x.owner, image: `apache/airflow:3.3.2@${DIGEST}` });
      expect(all.filter((x) => x.image.startsWith('postgres')).map((x) => x.image)).toEqual(
        all.filter((x) => x.owner === 'StatefulSet/airflow-postgres').map(() => `postgres:17.11-bookworm@${DIGEST}`));
      expect(all.some((x) => x.owner.startsWith('Pod/') && x.image === `apache/airflow:3.3.2@${DIGEST}`)).toBe(true);
    });

    test('a registry with a port and a digest', () => {
      const m = render({ images: { redis: { registry: 'registry.example.org:5000', digest: DIGEST } } });
      expect(images(m).filter((x) => x.owner === 'Deployment/airflow-redis').map((x) => x.image))
        .toEqual([`registry.example.org:5000/redis:7.4.11-bookworm@${DIGEST}`]);
    });
  });

  describe('imagePullSecrets', () => {
    test.each([
      ['Celery with Flower and an Ingress (the test Pod)', { flower: { enabled: true }, ingress: INGRESS }],
      ['KubernetesExecutor (the task pod template)', { executor: 'KubernetesExecutor' }],
      ['LocalExecutor, external database', { executor: 'LocalExecutor', postgres: { enabled: false }, externalDatabase: { host: 'db.example.org', password: { existingSecret: 'db' }, sslMode: 'require' } }],
    ])('%s: on every pod', (_what, values) => {
      const m = render({ ...values, imagePullSecrets: [{ name: 'pull-a' }, { name: 'pull-b' }] } as Values);
      const pods = podsOf(m);
      expect(pods.length).toBeGreaterThanOrEqual(8);
      expect(pods.some(({ owner }) => owner.startsWith('Pod/'))).toBe(true);
      for (const { owner, pod } of pods) {
        expect({ owner, imagePullSecrets: pod.spec.imagePullSecrets }).toEqual({ owner, imagePullSecrets: [{ name: 'pull-a' }, { name: 'pull-b' }] });
      }
    });

    test('none set: no pod has the key', () => {
      for (const { owner, pod } of podsOf(render({ executor: 'KubernetesExecutor' }))) {
        expect({ owner, imagePullSecrets: pod.spec.imagePullSecrets }).toEqual({ owner, imagePullSecrets: undefined });
      }
    });
  });

  describe('pod labels, annotations and environment', () => {
    const values: Values = {
      scheduler: {
        podLabels: { 'team': 'data', 'example.org/cost-center': '42' },
        podAnnotations: { 'example.org/owner': 'data-platform' },
        extraEnv: [{ name: 'TZ', value: 'Europe/Madrid' }, { name: 'AIRFLOW__CORE__PARALLELISM', value: '64' }],
      },
    };
    const pod = () => one(render(values), 'Deployment', 'airflow-scheduler').spec.template;

    test('your labels are added to the chart\'s, which still select the pods', () => {
      const { labels } = pod().metadata;
      expect(labels).toMatchObject({ 'team': 'data', 'example.org/cost-center': '42', 'app.kubernetes.io/component': 'scheduler', 'app.kubernetes.io/instance': 'airflow' });
    });

    test('your annotations are added beside the chart\'s checksum', () => {
      const { annotations } = pod().metadata;
      expect(annotations['example.org/owner']).toBe('data-platform');
      expect(Object.keys(annotations).filter((k) => k.startsWith('checksum/')).length).toBeGreaterThan(0);
    });

    test('your environment comes after the chart\'s (for a name both set, Kubernetes keeps yours, the last)', () => {
      const env = pod().spec.containers[0].env;
      expect(env.slice(-2)).toEqual([{ name: 'TZ', value: 'Europe/Madrid' }, { name: 'AIRFLOW__CORE__PARALLELISM', value: '64' }]);
      expect(env.length).toBeGreaterThan(5);
    });
  });
});
