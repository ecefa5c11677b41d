import { Size } from 'cdk8s';
import { RunAsIdentity } from '../security/pod-security';
import { SecretKeyRef } from './secrets';

/**
 * libpq `sslmode` for the metadata database.
 * @see https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION
 */
export enum SslMode {
  /** No TLS (a relaxed default, listed in `relaxedDefaults`). */
  DISABLE = 'disable',
  /** TLS when the server offers it, else plain text (a relaxed default). */
  PREFER = 'prefer',
  /** TLS, without checking the certificate. */
  REQUIRE = 'require',
  /** TLS with a certificate signed by the given CA. */
  VERIFY_CA = 'verify-ca',
  /** TLS with a certificate signed by the given CA for the host name (the default). */
  VERIFY_FULL = 'verify-full',
}

/** Props of {@link MetadataDatabase.embedded}. */
export interface EmbeddedDatabaseOptions {
  /**
   * Size of the PersistentVolumeClaim holding the data. The claim is kept on uninstall.
   * @default Size.gibibytes(8)
   */
  readonly storageSize?: Size;
  /**
   * StorageClass of the claim.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Existing Secret holding the password of the `airflow` database user.
   * @default - generated once in the cluster into `<release>-postgres`
   */
  readonly password?: SecretKeyRef;
  /**
   * The user and group PostgreSQL runs as; the data directory belongs to them. Releases first installed with the
   * image's own user (999, charts before UIDs of 10000 or more) keep `{ user: 999, group: 999 }`.
   * @default ImageIdentity.POSTGRES (10001:10001)
   */
  readonly runAs?: RunAsIdentity;
}

/** Props of {@link MetadataDatabase.external}. */
export interface ExternalDatabaseOptions {
  /** Host name of the PostgreSQL server. */
  readonly host: string;
  /**
   * TCP port.
   * @default 5432
   */
  readonly port?: number;
  /**
   * Database name.
   * @default 'airflow'
   */
  readonly database?: string;
  /**
   * User name.
   * @default 'airflow'
   */
  readonly user?: string;
  /** The user's password. It must be URL-safe (it is placed in the connection URL by Kubernetes at runtime). */
  readonly password: SecretKeyRef;
  /**
   * libpq sslmode.
   * @default SslMode.VERIFY_FULL
   */
  readonly sslMode?: SslMode;
  /**
   * CA certificate (PEM) that signed the server certificate; required for `verify-ca` and `verify-full`.
   * @default - none
   */
  readonly caCertificate?: SecretKeyRef;
  /**
   * CIDRs the database lives in, used for the egress NetworkPolicy to its port.
   * @default ['0.0.0.0/0'] (any address, on the database port only)
   */
  readonly cidrs?: string[];
}

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
/** A PostgreSQL identifier as the chart accepts it for database and user names. */
export const PG_IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_$-]{0,62}$/;

/** Validates a host name, naming the prop in the error. */
export function validateHost(prop: string, host: string | undefined): string {
  if (host === undefined || host === '') {
    throw new Error(`${prop} is required for an external server; set it to the server's DNS name or IP address`);
  }
  if (!HOSTNAME.test(host)) {
    throw new Error(`${prop} must be a DNS name or IPv4 address, got '${host}'`);
  }
  return host;
}

/** Validates a TCP port, naming the prop in the error. */
export function validatePort(prop: string, port: number, fallback: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${prop} must be an integer from 1 to 65535, got ${port}; omit it to use ${fallback}`);
  }
  return port;
}

/** Validates CIDRs for an egress rule. */
export function validateCidrs(prop: string, cidrs: string[]): string[] {
  for (const c of cidrs) {
    if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(c) && !/^[0-9a-fA-F:]+\/\d{1,3}$/.test(c)) {
      throw new Error(`${prop} must hold CIDRs like '10.0.0.0/8', got '${c}'`);
    }
  }
  return cidrs;
}

/**
 * The Airflow metadata database: an embedded PostgreSQL StatefulSet, or an external PostgreSQL server.
 */
export class MetadataDatabase {
  /** A PostgreSQL StatefulSet in the release, on the official `postgres` image. */
  public static embedded(options: EmbeddedDatabaseOptions = {}): MetadataDatabase {
    return new MetadataDatabase(true, options, undefined);
  }

  /** An existing PostgreSQL server (managed service or your own). */
  public static external(options: ExternalDatabaseOptions): MetadataDatabase {
    return new MetadataDatabase(false, {}, options);
  }

  /** Whether the chart runs its own PostgreSQL. */
  public readonly isEmbedded: boolean;
  /** Options of the embedded database (empty when external). */
  public readonly embeddedOptions: EmbeddedDatabaseOptions;
  /** Options of the external database (undefined when embedded). */
  public readonly externalOptions?: ExternalDatabaseOptions;

  private constructor(isEmbedded: boolean, embedded: EmbeddedDatabaseOptions, external: ExternalDatabaseOptions | undefined) {
    this.isEmbedded = isEmbedded;
    this.embeddedOptions = embedded;
    this.externalOptions = external;
    if (external) {
      validateHost('database.host', external.host);
      validatePort('database.port', external.port ?? 5432, 5432);
      for (const [prop, v] of [['database.database', external.database], ['database.user', external.user]] as const) {
        if (v !== undefined && !PG_IDENTIFIER.test(v)) {
          throw new Error(`${prop} must be a PostgreSQL identifier (letters, digits, '_', '$', '-'), got '${v}'`);
        }
      }
      if (!external.password) {
        throw new Error('database.password is required for an external database; pass SecretKeyRef.fromSecret(name, key)');
      }
      const mode = external.sslMode ?? SslMode.VERIFY_FULL;
      if (!Object.values(SslMode).includes(mode)) {
        throw new Error(`database.sslMode must be one of ${Object.values(SslMode).join(', ')} (SslMode.*), got '${mode}'`);
      }
      if ((mode === SslMode.VERIFY_CA || mode === SslMode.VERIFY_FULL) && !external.caCertificate) {
        throw new Error(`database.caCertificate is required with sslMode '${mode}'; pass SecretKeyRef.fromSecret(name, 'ca.crt') or choose SslMode.REQUIRE`);
      }
      if (mode !== SslMode.VERIFY_CA && mode !== SslMode.VERIFY_FULL && external.caCertificate) {
        throw new Error(`database.caCertificate is only used with sslMode 'verify-ca' or 'verify-full', got sslMode '${mode}'`);
      }
      validateCidrs('database.cidrs', external.cidrs ?? []);
    }
    for (const [key, id] of Object.entries({ user: embedded.runAs?.user, group: embedded.runAs?.group })) {
      if (id !== undefined && (!Number.isInteger(id) || id < 1 || id > 2147483647)) {
        throw new Error(`postgres runAs.${key} must be an integer from 1 to 2147483647 (not root), got ${id}`);
      }
    }
    if (embedded.storageSize !== undefined && embedded.storageSize.toMebibytes() < 1) {
      throw new Error('postgres.storageSize must be at least 1Mi');
    }
  }
}
