/**
 * A small NetworkPolicy evaluator (Kubernetes semantics): a pod is isolated for a direction when any policy
 * selecting it lists that direction; then traffic passes only if some rule of those policies admits the
 * peer and port. Connections need egress from the source and ingress at the destination.
 */
import { Manifest } from './util';

export interface Endpoint {
  readonly name: string;
  readonly namespace: string;
  readonly namespaceLabels: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly ip: string;
  /** Outside the cluster's policy control (the internet, the API server): no policy applies to it. */
  readonly external?: boolean;
}

const matches = (selector: any, labels: Record<string, string>): boolean => {
  if (!selector) return true;
  for (const [k, v] of Object.entries<string>(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'In' && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
};

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => (a * 256) + Number(o), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  if (cidr.includes(':')) return false;
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  if (n === 0) return true;
  const mask = 2 ** 32 - 2 ** (32 - n);
  return (ipToInt(ip) & mask) >>> 0 === (ipToInt(base) & mask) >>> 0;
}

function peerMatches(peer: any, target: Endpoint, policyNamespace: string): boolean {
  if (peer.ipBlock) {
    // Conservative: an ipBlock also admits pod IPs inside it (many CNIs do).
    return inCidr(target.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(target.ip, c));
  }
  if (target.external) return false;
  if (peer.namespaceSelector) {
    return matches(peer.namespaceSelector, target.namespaceLabels) && matches(peer.podSelector, target.labels);
  }
  return target.namespace === policyNamespace && matches(peer.podSelector, target.labels);
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => (p.port === undefined || p.port === port) && (p.protocol ?? 'TCP') === protocol);
}

function admitted(policies: Manifest[], self: Endpoint, other: Endpoint, port: number, protocol: string, dir: 'Ingress' | 'Egress'): boolean {
  if (self.external) return true;
  const applying = policies.filter((p) => p.metadata.namespace === self.namespace
    && matches(p.spec.podSelector, self.labels)
    && (p.spec.policyTypes ?? ['Ingress']).includes(dir));
  if (applying.length === 0) return true;
  const field = dir === 'Ingress' ? 'ingress' : 'egress';
  const peerField = dir === 'Ingress' ? 'from' : 'to';
  return applying.some((p) => (p.spec[field] ?? []).some((rule: any) =>
    (rule[peerField] === undefined || rule[peerField].some((peer: any) => peerMatches(peer, other, p.metadata.namespace)))
    && portMatches(rule.ports, port, protocol)));
}

/** Whether `src` can open a connection to `dst` on `port`. */
export function allowed(policies: Manifest[], src: Endpoint, dst: Endpoint, port: number, protocol = 'TCP'): boolean {
  return admitted(policies, src, dst, port, protocol, 'Egress') && admitted(policies, dst, src, port, protocol, 'Ingress');
}
