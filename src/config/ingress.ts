/** Kind of cert-manager issuer. */
export enum IssuerKind {
  /** A cert-manager ClusterIssuer (any namespace). */
  CLUSTER_ISSUER = 'ClusterIssuer',
  /** A cert-manager Issuer in the release's namespace. */
  ISSUER = 'Issuer',
}

/** Where the Ingress gets its TLS certificate. TLS is mandatory: there is no plain-HTTP option. */
export class IngressTls {
  /** An existing `kubernetes.io/tls` Secret. */
  public static fromSecret(secretName: string): IngressTls {
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(secretName)) {
      throw new Error(`ingress.tls secret name must be a DNS subdomain, got '${secretName}'`);
    }
    return new IngressTls(secretName, undefined, undefined);
  }

  /** A certificate issued by cert-manager into `<release>-tls`. */
  public static certManager(issuer: string, kind: IssuerKind = IssuerKind.CLUSTER_ISSUER): IngressTls {
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(issuer)) {
      throw new Error(`ingress.tls cert-manager issuer must be a DNS subdomain, got '${issuer}'`);
    }
    return new IngressTls(undefined, issuer, kind);
  }

  private constructor(
    /** The existing TLS Secret (`fromSecret`). */
    public readonly secretName: string | undefined,
    /** The cert-manager issuer (`certManager`). */
    public readonly issuer: string | undefined,
    /** Its kind (`certManager`). */
    public readonly issuerKind: IssuerKind | undefined,
  ) {}
}

/** A TLS Ingress for one host (Cornflow's; the api-server's adds the controller namespace). */
export interface IngressHostOptions {
  /** Public host name, e.g. `airflow.example.com`. */
  readonly host: string;
  /** TLS certificate source (required). */
  readonly tls: IngressTls;
  /**
   * IngressClass. With `nginx` the chart also forces the HTTP to HTTPS redirect.
   * @default - the cluster's default IngressClass
   */
  readonly className?: string;
  /**
   * Extra annotations of the Ingress.
   * @default - none
   */
  readonly annotations?: Record<string, string>;
}

/** Props of the api-server Ingress. */
export interface IngressOptions extends IngressHostOptions {
  /**
   * Labels of the namespace the ingress controller runs in; only it may reach the api-server.
   * @default { 'kubernetes.io/metadata.name': 'ingress-nginx' }
   */
  readonly controllerNamespaceLabels?: Record<string, string>;
}
