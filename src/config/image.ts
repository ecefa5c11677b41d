/**
 * When the kubelet pulls an image.
 * @see https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy
 */
export enum ImagePullPolicy {
  /** Pull only when the image is not on the node (the Kubernetes default for pinned tags). */
  IF_NOT_PRESENT = 'IfNotPresent',
  /** Pull on every container start. */
  ALWAYS = 'Always',
  /** Never pull; the image must already be on the node. */
  NEVER = 'Never',
}

/** Options for {@link ContainerImage.of} and {@link ContainerImage.fromDigest}. */
export interface ContainerImageOptions {
  /**
   * Registry host (and optional port) in front of the repository, e.g. `registry.example.com:5000`.
   * @default - the repository as given (Docker Hub for a bare name)
   */
  readonly registry?: string;
  /**
   * Pull policy.
   * @default ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly pullPolicy?: ImagePullPolicy;
}

const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const REGISTRY = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * A pinned container image: a repository plus a tag, a digest, or both. Never a floating `latest`.
 *
 * @example ContainerImage.of('apache/airflow', '3.3.2')
 * @example ContainerImage.fromDigest('apache/airflow', 'sha256:...', '3.3.2')
 */
export class ContainerImage {
  /** A repository at a tag. `latest` (or no tag) is refused: it makes deployments unrepeatable. */
  public static of(repository: string, tag: string, options: ContainerImageOptions = {}): ContainerImage {
    return new ContainerImage(repository, tag, undefined, options);
  }

  /**
   * A repository at a content digest (`sha256:...`). The optional tag is kept for humans and the
   * `app.kubernetes.io/version` label; the digest decides what runs.
   */
  public static fromDigest(repository: string, digest: string, tag?: string, options: ContainerImageOptions = {}): ContainerImage {
    return new ContainerImage(repository, tag, digest, options);
  }

  /** Registry host, when not part of the repository (e.g. `quay.io`). */
  public readonly registry?: string;
  /** Repository, e.g. `apache/airflow`. */
  public readonly repository: string;
  /** Tag, e.g. `3.3.2`. */
  public readonly tag?: string;
  /** Digest (`sha256:...`); pins the image when given. */
  public readonly digest?: string;
  /** When the kubelet pulls the image. */
  public readonly pullPolicy: ImagePullPolicy;

  private constructor(repository: string, tag: string | undefined, digest: string | undefined, options: ContainerImageOptions) {
    if (!REPOSITORY.test(repository)) {
      throw new Error(`image repository must be a lowercase path like 'apache/airflow', got '${repository}'`);
    }
    if (options.registry !== undefined && !REGISTRY.test(options.registry)) {
      throw new Error(`image registry must be a host name with an optional port like 'registry.example.com:5000', got '${options.registry}'`);
    }
    if (tag !== undefined && (!TAG.test(tag) || tag === 'latest')) {
      throw new Error(`image tag of '${repository}' must be a pinned version (letters, digits, '_', '.', '-'; not 'latest'), got '${tag}'`);
    }
    if (digest !== undefined && !DIGEST.test(digest)) {
      throw new Error(`image digest of '${repository}' must look like 'sha256:' followed by 64 hex digits, got '${digest}'`);
    }
    if (tag === undefined && digest === undefined) {
      throw new Error(`image '${repository}' needs a tag or a digest; use ContainerImage.of(repo, tag) or ContainerImage.fromDigest(repo, digest)`);
    }
    this.registry = options.registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
    this.pullPolicy = options.pullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT;
  }

  /** The reference the kubelet pulls: `[registry/]repository[:tag][@digest]`. */
  public get reference(): string {
    const repo = this.registry ? `${this.registry}/${this.repository}` : this.repository;
    return `${repo}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }

  /** A label-safe version string: the tag, else the first 12 digest characters. */
  public get version(): string {
    return this.tag ?? this.digest!.slice('sha256:'.length, 'sha256:'.length + 12);
  }
}

/** Airflow version the library is built and tested against. */
export const AIRFLOW_VERSION = '3.3.2';

/** The images used when none is given. Pinned; bumped by the maintainers, never floating. */
export class DefaultImages {
  /** Airflow version the library is built and tested against; `AIRFLOW_VERSION` in TypeScript. */
  public static readonly AIRFLOW_VERSION = AIRFLOW_VERSION;
  /** Official Apache Airflow image (runs as UID 50000, GID 0). */
  public static readonly AIRFLOW = ContainerImage.of('apache/airflow', AIRFLOW_VERSION);
  /** Official PostgreSQL image, Debian variant (runs as the `postgres` user, UID/GID 999). */
  public static readonly POSTGRES = ContainerImage.of('postgres', '17.11-bookworm');
  /** Official Redis image, Debian variant (runs as the `redis` user, UID/GID 999). */
  public static readonly REDIS = ContainerImage.of('redis', '7.4.11-bookworm');
  /** Cornflow 1.3.9, the optimization server (`Cornflow.enabled`). */
  public static readonly CORNFLOW = ContainerImage.of('baobabsoluciones/cornflow', 'release-v1.3.9');
  /** Prometheus statsd_exporter 0.28.0, the metrics exporter (`metrics.enabled`); runs as `nobody`. */
  public static readonly STATSD_EXPORTER = ContainerImage.of('prometheus/statsd-exporter', 'v0.28.0', { registry: 'quay.io' });
}
