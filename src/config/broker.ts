import { SecretKeyRef } from './secrets';
import { validateCidrs, validateHost, validatePort } from './database';

/** Props of {@link CeleryBroker.embedded}. */
export interface EmbeddedBrokerOptions {
  /**
   * Existing Secret holding the Redis password.
   * @default - generated once in the cluster into `<release>-redis`
   */
  readonly password?: SecretKeyRef;
}

/** Props of {@link CeleryBroker.external}. */
export interface ExternalBrokerOptions {
  /** Host name of the Redis server. */
  readonly host: string;
  /**
   * TCP port.
   * @default 6379
   */
  readonly port?: number;
  /** Redis password (AUTH). Must be URL-safe: Kubernetes places it in the broker URL at runtime. */
  readonly password: SecretKeyRef;
  /**
   * Connect with TLS (`rediss://`), verifying the server certificate.
   * @default true
   */
  readonly tls?: boolean;
  /**
   * CA certificate (PEM) for TLS verification.
   * @default - the image's system trust store
   */
  readonly caCertificate?: SecretKeyRef;
  /**
   * Redis database index for the Celery queue; the next index holds task results.
   * @default 0
   */
  readonly databaseIndex?: number;
  /**
   * CIDRs Redis lives in, used for the egress NetworkPolicy to its port.
   * @default ['0.0.0.0/0'] (any address, on the Redis port only)
   */
  readonly cidrs?: string[];
}

/**
 * The Celery broker (also the Celery result backend; see the README for why workers get no database access).
 */
export class CeleryBroker {
  /** A Redis Deployment in the release, on the official `redis` image, password required. */
  public static embedded(options: EmbeddedBrokerOptions = {}): CeleryBroker {
    return new CeleryBroker(true, options, undefined);
  }

  /** An existing Redis server. */
  public static external(options: ExternalBrokerOptions): CeleryBroker {
    return new CeleryBroker(false, {}, options);
  }

  /** Whether the release runs its own Redis. */
  public readonly isEmbedded: boolean;
  /** Options of the embedded Redis. */
  public readonly embeddedOptions: EmbeddedBrokerOptions;
  /** Options of the external Redis, when external. */
  public readonly externalOptions?: ExternalBrokerOptions;

  private constructor(isEmbedded: boolean, embedded: EmbeddedBrokerOptions, external: ExternalBrokerOptions | undefined) {
    this.isEmbedded = isEmbedded;
    this.embeddedOptions = embedded;
    this.externalOptions = external;
    if (external) {
      validateHost('redis.host', external.host);
      validatePort('redis.port', external.port ?? 6379, 6379);
      if (!external.password) {
        throw new Error('redis.password is required for an external Redis; pass SecretKeyRef.fromSecret(name, key)');
      }
      const index = external.databaseIndex ?? 0;
      if (!Number.isInteger(index) || index < 0 || index > 14) {
        throw new Error(`redis.databaseIndex must be an integer from 0 to 14 (the next index holds results), got ${index}`);
      }
      if (external.tls === false && external.caCertificate) {
        throw new Error('redis.caCertificate needs redis.tls; remove the CA or set tls: true');
      }
      validateCidrs('redis.cidrs', external.cidrs ?? []);
    }
  }
}
