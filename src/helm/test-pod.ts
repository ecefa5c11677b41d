/**
 * The `helm test` hook: a pod, hardened like every other, that asks the api-server for its version, with the two
 * NetworkPolicy rules it needs (to the api-server and DNS; the api-server's side). Chart only.
 */
import { Construct } from 'constructs';
import { ReleaseParts } from '../compose';
import { imagePullPolicy } from '../components/image-spec';
import { str } from '../expr/ops';
import { kubeObject, scoped } from '../expr/tree';
import { ImageIdentity, securePodSpec } from '../security/pod-security';
import { resources } from '../components/workload';

/** The test pod of the api-server, and its network policies. */
export function apiServerTest(scope: Construct, parts: ReleaseParts): void {
  const r = parts.release;
  const name = str`${r.name}-test`;
  const labels = r.selectorLabels('test');
  const hook = (weight: number) => ({ 'helm.sh/hook': 'test', 'helm.sh/hook-weight': String(weight), 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
  const apiServer = r.selectorLabels('api-server');
  scoped(r.network.enabled, () => {
    kubeObject(scope, 'TestNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, labels, annotations: hook(-1) },
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ podSelector: { matchLabels: apiServer } }], ports: [{ port: 8080, protocol: 'TCP' }] },
          { to: r.network.dns._peers, ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
        ],
      },
    });
    kubeObject(scope, 'TestToApiServerNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: str`${r.name}-test-to-api-server`, labels, annotations: hook(-1) },
      spec: {
        podSelector: { matchLabels: apiServer },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: labels } }], ports: [{ port: 8080, protocol: 'TCP' }] }],
      },
    });
  });
  const spec = securePodSpec({
    identity: ImageIdentity.AIRFLOW,
    serviceAccountName: 'default',
    kubernetesApiAccess: false,
    restartPolicy: 'Never',
    imagePullSecrets: r.imagePullSecrets,
    security: r.security,
    containers: [{
      name: 'version',
      image: r.imageRef,
      imagePullPolicy: imagePullPolicy(r.image),
      command: ['python', '-c', [
        'import json, sys, urllib.request',
        'r = urllib.request.urlopen(sys.argv[1], timeout=20)',
        'print("api-server answers, Airflow", json.load(r)["version"])',
        'sys.exit(0 if r.status == 200 else 1)',
      ].join('\n')],
      args: [str`http://${r.name}-api-server:8080/api/v2/version`],
      env: [{ name: 'PYTHONDONTWRITEBYTECODE', value: '1' }],
      resources: { defaults: resources(50, 64, 256) },
      writablePaths: [],
    }],
  });
  kubeObject(scope, 'Test', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, annotations: hook(0) },
    spec: { ...spec, serviceAccountName: undefined },
  });
}
