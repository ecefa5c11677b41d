/**
 * Network access as intent: every pod of a release starts isolated (default deny, DNS allowed), and each
 * real connection is declared once with `a.connections.allowTo(b)`, which opens b's port in a's egress
 * policy and a's traffic in b's ingress policy.
 */
import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';

/** A TCP or UDP port. */
export class NetworkPort {
  public static tcp(port: number): NetworkPort { return new NetworkPort(port, 'TCP'); }
  public static udp(port: number): NetworkPort { return new NetworkPort(port, 'UDP'); }
  private constructor(public readonly port: number, public readonly protocol: 'TCP' | 'UDP') {}
}

/** Something outside the release that pods talk to or hear from. */
export class ExternalPeer {
  /** Addresses in these CIDRs. */
  public static cidrs(cidrs: string[], description = 'external addresses'): ExternalPeer {
    return new ExternalPeer(cidrs.map((cidr) => ({ ipBlock: { cidr } })), description);
  }
  /** Pods in namespaces with these labels (optionally only pods with `podLabels`). */
  public static namespaces(namespaceLabels: Record<string, string>, podLabels?: Record<string, string>, description = 'namespace'): ExternalPeer {
    return new ExternalPeer([{ namespaceSelector: { matchLabels: namespaceLabels }, podSelector: podLabels ? { matchLabels: podLabels } : undefined }], description);
  }
  private constructor(public readonly peers: k8s.NetworkPolicyPeer[], public readonly description: string) {}
}

/** Anything with connections: a component of the release. */
export interface INetworkEndpoint {
  readonly connections: Connections;
}

interface Rule { readonly peers: k8s.NetworkPolicyPeer[]; readonly ports: NetworkPort[] }

/** Settings shared by every policy of one release. */
export interface NetworkPolicySettings {
  /** Create NetworkPolicies at all. */
  readonly enabled: boolean;
  /** Where cluster DNS runs. */
  readonly dns: ExternalPeer;
}

/** Props of {@link Connections}. */
export interface ConnectionsProps {
  /** Name of the policy, e.g. `<release>-scheduler`. */
  readonly name: string;
  /** Labels selecting the component's pods. */
  readonly podLabels: Record<string, string>;
  /** Labels put on the policy object. */
  readonly labels: Record<string, string>;
  /** The port other components reach it on, if any. */
  readonly defaultPort?: NetworkPort;
  readonly settings: NetworkPolicySettings;
}

/** The connections of one component; renders its NetworkPolicy lazily, once every edge is declared. */
export class Connections {
  public readonly podLabels: Record<string, string>;
  public readonly defaultPort?: NetworkPort;
  private readonly ingress: Rule[] = [];
  private readonly egress: Rule[] = [];

  constructor(scope: Construct, id: string, props: ConnectionsProps) {
    this.podLabels = props.podLabels;
    this.defaultPort = props.defaultPort;
    if (!props.settings.enabled) return;
    new k8s.KubeNetworkPolicy(scope, id, {
      metadata: { name: props.name, labels: props.labels },
      spec: {
        podSelector: { matchLabels: props.podLabels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: Lazy.any({ produce: () => render(this.ingress, 'from') }) as any,
        egress: Lazy.any({ produce: () => render(this.egress, 'to') }) as any,
      },
    });
  }

  /** Allow this component to open connections to `peer` on `port` (default: the peer's own port). */
  public allowTo(peer: INetworkEndpoint | ExternalPeer, port?: NetworkPort): void {
    if (peer instanceof ExternalPeer) {
      if (!port) throw new Error(`a port is required to reach ${peer.description}`);
      this.egress.push({ peers: peer.peers, ports: [port] });
      return;
    }
    const target = port ?? peer.connections.defaultPort;
    if (!target) throw new Error('the peer exposes no default port; pass one');
    this.egress.push({ peers: [{ podSelector: { matchLabels: peer.connections.podLabels } }], ports: [target] });
    peer.connections.ingress.push({ peers: [{ podSelector: { matchLabels: this.podLabels } }], ports: [target] });
  }

  /** Allow this component to open connections to `peer` on any port (task egress). */
  public allowToAnyPort(peer: ExternalPeer): void {
    this.egress.push({ peers: peer.peers, ports: [] });
  }

  /** Allow connections from outside the release on `port` (default: this component's port). */
  public allowFrom(peer: ExternalPeer, port?: NetworkPort): void {
    const target = port ?? this.defaultPort;
    if (!target) throw new Error(`a port is required to accept traffic from ${peer.description}`);
    this.ingress.push({ peers: peer.peers, ports: [target] });
  }
}

function render(rules: Rule[], field: 'from' | 'to'): any[] {
  return rules.map((r) => ({
    [field]: r.peers,
    ports: r.ports.length ? r.ports.map((p) => ({ port: k8s.IntOrString.fromNumber(p.port), protocol: p.protocol })) : undefined,
  }));
}

/**
 * The release-wide default-deny policy: selects every pod of the release, allows nothing in, and only DNS out.
 */
export function defaultDenyPolicy(scope: Construct, id: string, name: string, labels: Record<string, string>,
  instanceLabels: Record<string, string>, settings: NetworkPolicySettings): ApiObject | undefined {
  if (!settings.enabled) return undefined;
  return new k8s.KubeNetworkPolicy(scope, id, {
    metadata: { name, labels },
    spec: {
      podSelector: { matchLabels: instanceLabels },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [{
        to: settings.dns.peers,
        ports: [{ port: k8s.IntOrString.fromNumber(53), protocol: 'UDP' }, { port: k8s.IntOrString.fromNumber(53), protocol: 'TCP' }],
      }],
    },
  });
}

/** Kubernetes API server (for pods that use it): its address is cluster-specific, so the port is the rule. */
export const KUBE_API_PORTS = [NetworkPort.tcp(443), NetworkPort.tcp(6443)];

/** Default DNS peer: kube-dns / CoreDNS in kube-system. */
export const KUBE_DNS = ExternalPeer.namespaces({ 'kubernetes.io/metadata.name': 'kube-system' }, { 'k8s-app': 'kube-dns' }, 'cluster DNS');

