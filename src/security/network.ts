/**
 * Network access as intent: every pod of a release starts isolated (default deny, DNS allowed), and each
 * real connection is declared once with `a.connections.allowTo(b)`, which opens b's port in a's egress
 * policy and a's traffic in b's ingress policy. A connection declared under a condition (e.g. only with the
 * Celery executor) is a conditional rule in the chart.
 */
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Expr, Val } from '../expr/core';
import { and } from '../expr/ops';
import { currentConditions, each, items, kubeObject, optionalList, scoped, when } from '../expr/tree';

/** A TCP or UDP port. */
export class NetworkPort {
  /** A TCP port. */
  public static tcp(port: number): NetworkPort { return new NetworkPort(port, 'TCP'); }
  /** A UDP port. */
  public static udp(port: number): NetworkPort { return new NetworkPort(port, 'UDP'); }
  /** @internal A TCP port that may be a value reference. */
  public static _tcp(port: Val<number>): NetworkPort { return new NetworkPort(port, 'TCP'); }
  private constructor(
    /** @internal */ public readonly _port: Val<number>,
    /** @internal */ public readonly _protocol: 'TCP' | 'UDP',
  ) {}
}

/** Something outside the release that pods talk to or hear from. */
export class ExternalPeer {
  /** Addresses in these CIDRs. */
  public static cidrs(cidrs: string[], description = 'external addresses'): ExternalPeer {
    return ExternalPeer._cidrs(cidrs, description);
  }
  /** Pods in namespaces with these labels (optionally only pods with `podLabels`). */
  public static namespaces(namespaceLabels: { [key: string]: string }, podLabels?: { [key: string]: string }, description = 'namespace'): ExternalPeer {
    return ExternalPeer._namespaces(namespaceLabels, podLabels, description);
  }
  /** @internal Addresses in CIDRs that may be a value reference. */
  public static _cidrs(cidrs: Val<string[]>, description: string): ExternalPeer {
    return new ExternalPeer(items(each(cidrs, (cidr) => ({ ipBlock: { cidr } }), 'string')), description);
  }
  /** @internal Namespace and pod labels that may be value references. */
  public static _namespaces(namespaceLabels: Val<Record<string, string>>, podLabels: Val<Record<string, string>> | undefined, description: string): ExternalPeer {
    return new ExternalPeer([{
      namespaceSelector: { matchLabels: namespaceLabels },
      podSelector: podLabels ? { matchLabels: podLabels } : undefined,
    }], description);
  }
  private constructor(
    /** @internal */ public readonly _peers: unknown[],
    /** What it is, for error messages. */ public readonly description: string,
  ) {}
}

/** Anything with connections: a component of the release. */
export interface INetworkEndpoint {
  /** Its network edges. */
  readonly connections: Connections;
}

interface Rule { readonly peers: unknown[]; readonly ports: NetworkPort[]; readonly conditions: Expr<boolean>[] }

/** Settings shared by every policy of one release. */
export interface NetworkPolicySettings {
  /** Create NetworkPolicies at all. */
  readonly enabled: Val<boolean>;
  /** Where cluster DNS runs. */
  readonly dns: ExternalPeer;
}

/** Props of {@link Connections}. */
export interface ConnectionsProps {
  /** Name of the policy, e.g. `<release>-scheduler`. */
  readonly name: Val<string>;
  /** Labels selecting the component's pods. */
  readonly podLabels: unknown;
  /** Labels put on the policy object. */
  readonly labels: unknown;
  /** The port other components reach it on, if any. */
  readonly defaultPort?: NetworkPort;
  readonly settings: NetworkPolicySettings;
}

/** The connections of one component; renders its NetworkPolicy lazily, once every edge is declared. */
export class Connections {
  /** Labels selecting the component's pods. */
  public readonly podLabels: unknown;
  /** The port other components reach it on, if any. */
  public readonly defaultPort?: NetworkPort;
  private readonly ingress: Rule[] = [];
  private readonly egress: Rule[] = [];
  /** Conditions the policy itself exists under (a rule repeats none of them). */
  private readonly scope: Expr<boolean>[];

  /** @internal Built by the chart (the constructor is private so the jsii languages see no initializer). */
  public static _create(scope: Construct, id: string, props: ConnectionsProps): Connections {
    return new Connections(scope, id, props);
  }

  private constructor(scope: Construct, id: string, props: ConnectionsProps) {
    this.podLabels = props.podLabels;
    this.defaultPort = props.defaultPort;
    this.scope = [...currentConditions(), ...(typeof props.settings.enabled === 'boolean' ? [] : [props.settings.enabled])];
    scoped(props.settings.enabled, () => policy(scope, id, props.name, props.labels, props.podLabels, {
      ingress: Lazy.any({ produce: () => this.render(this.ingress, 'from') }),
      egress: Lazy.any({ produce: () => this.render(this.egress, 'to') }),
    }));
  }

  /** Allow this component to open connections to `peer` on `port` (default: the peer's own port). */
  public allowTo(peer: INetworkEndpoint | ExternalPeer, port?: NetworkPort): void {
    const conditions = currentConditions();
    if (peer instanceof ExternalPeer) {
      if (!port) throw new Error(`a port is required to reach ${peer.description}`);
      this.egress.push({ peers: peer._peers, ports: [port], conditions });
      return;
    }
    const target = port ?? peer.connections.defaultPort;
    if (!target) throw new Error('the peer exposes no default port; pass one');
    this.egress.push({ peers: [{ podSelector: { matchLabels: peer.connections.podLabels } }], ports: [target], conditions });
    peer.connections.ingress.push({ peers: [{ podSelector: { matchLabels: this.podLabels } }], ports: [target], conditions });
  }

  /** Allow this component to open connections to `peer` on any port (task egress). */
  public allowToAnyPort(peer: ExternalPeer): void {
    this.egress.push({ peers: peer._peers, ports: [], conditions: currentConditions() });
  }

  /** Allow connections from outside the release on `port` (default: this component's port). */
  public allowFrom(peer: ExternalPeer, port?: NetworkPort): void {
    const target = port ?? this.defaultPort;
    if (!target) throw new Error(`a port is required to accept traffic from ${peer.description}`);
    this.ingress.push({ peers: peer._peers, ports: [target], conditions: currentConditions() });
  }

  private render(rules: Rule[], field: 'from' | 'to'): unknown[] | undefined {
    // No rule: the policy type alone denies everything.
    return optionalList(items(...rules.map((r) => when(and(...r.conditions.filter((c) => !this.scope.includes(c))), {
      [field]: r.peers,
      ports: r.ports.length ? r.ports.map((p) => ({ port: p._port, protocol: p._protocol })) : undefined,
    }))));
  }
}

function policy(scope: Construct, id: string, name: Val<string>, labels: unknown, podLabels: unknown, rules: { ingress: unknown; egress: unknown }): ApiObject {
  return kubeObject(scope, id, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, labels },
    spec: {
      podSelector: { matchLabels: podLabels },
      policyTypes: ['Ingress', 'Egress'],
      ingress: rules.ingress,
      egress: rules.egress,
    },
  });
}

/**
 * The release-wide default-deny policy: selects every pod of the release, allows nothing in, and only DNS out.
 */
export function defaultDenyPolicy(scope: Construct, id: string, name: Val<string>, labels: unknown,
  instanceLabels: unknown, settings: NetworkPolicySettings): ApiObject | undefined {
  return scoped(settings.enabled, () => policy(scope, id, name, labels, instanceLabels, {
    ingress: [],
    egress: [{ to: settings.dns._peers, ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
  }));
}

/** Where Prometheus runs unless told otherwise: the pods of the `monitoring` namespace may scrape the metrics port. */
export const METRICS_SCRAPER_NAMESPACE = { 'kubernetes.io/metadata.name': 'monitoring' };

/** Kubernetes API server (for pods that use it): its address is cluster-specific, so the port is the rule. */
export const KUBE_API_PORTS = [NetworkPort.tcp(443), NetworkPort.tcp(6443)];

/** Default DNS namespace labels: kube-system. */
export const KUBE_DNS_NAMESPACE = { 'kubernetes.io/metadata.name': 'kube-system' };
/** Default DNS pod labels: kube-dns / CoreDNS. */
export const KUBE_DNS_PODS = { 'k8s-app': 'kube-dns' };
/** Default DNS peer: kube-dns / CoreDNS in kube-system. */
export const KUBE_DNS = ExternalPeer.namespaces(KUBE_DNS_NAMESPACE, KUBE_DNS_PODS, 'cluster DNS');
