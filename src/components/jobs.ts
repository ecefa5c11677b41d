import { createHash } from 'crypto';
import { Construct } from 'constructs';
import { RoleSyncSpec, ROLE_SYNC_SCRIPT } from '../config/auth-roles';
import { GeneratedValue } from '../config/secrets';
import { apply, OpDef, Val } from '../expr/core';
import { concat, goJson, toJson } from '../expr/ops';
import { items, kubeObject, scoped, spread, template, when } from '../expr/tree';
import { ExternalPeer, INetworkEndpoint, Connections, KUBE_API_PORTS } from '../security/network';
import { ContainerSpec, ImageIdentity, ProcessIdentity, securePodSpec } from '../security/pod-security';
import { namespacedRole, serviceAccount } from '../security/rbac';
import { airflowWritablePaths, waitForMigrationsContainer } from './airflow-process';
import { imagePullPolicy } from './image-spec';
import { AirflowRelease, SecretNeeds, SecretRef, secretEnv } from './release';
import { resources } from './workload';

/** Props shared by the release's Jobs. */
export interface JobOptions {
  /**
   * Delete finished Jobs after this many seconds. Leave unset for Argo CD and Flux, which would re-create a
   * deleted Job and run it again.
   * @default - kept
   */
  readonly ttlSecondsAfterFinished?: number;
}

/** The Jobs' settings as the constructs compute with them. */
export interface JobSettings {
  /** Seconds after which a finished Job is deleted; absent (TypeScript) or null (values): kept. */
  readonly ttlSecondsAfterFinished: Val<number | null> | undefined;
  /** Whether it is set. */
  readonly ttlSet: Val<boolean>;
}

/** What a Job declares; {@link ReleaseJob} turns it into ServiceAccount, Job and NetworkPolicy. */
export interface JobSpec {
  readonly component: string;
  readonly release: AirflowRelease;
  readonly container: ContainerSpec;
  readonly initContainers?: ContainerSpec[];
  readonly volumes?: unknown[];
  readonly kubernetesApiAccess: boolean;
  readonly settings: JobSettings;
  readonly backoffLimit?: number;
  readonly annotations?: Record<string, unknown>;
  /** The user and group of the pod. @default ImageIdentity.AIRFLOW */
  readonly identity?: ProcessIdentity;
}

const POD_HASH: OpDef = {
  name: 'podHash',
  kind: 'string',
  evaluate: (pod: unknown) => createHash('sha256').update(goJson(pod)).digest('hex').slice(0, 8),
  go: ([pod], operand) => `${operand(pod)} | toJson | sha256sum | trunc 8`,
};

/** The first 8 hex digits of the SHA-256 of a pod template's JSON (as Helm's toJson writes it). */
export function podHash(pod: unknown): Val<string> {
  return apply(POD_HASH, [pod]);
}

/** The `ttlSecondsAfterFinished` of a Job: absent unless set. */
function ttl(s: JobSettings): unknown {
  return when(s.ttlSet, s.ttlSecondsAfterFinished ?? undefined);
}

/**
 * A run-to-completion Job named `<release>-<component>-<hash of its pod template>`: a changed template is a new Job
 * (a Job's template is immutable, so re-using the name would fail on `kubectl apply`), an unchanged one is a
 * no-op on re-apply, upgrade or sync. It is not a Helm hook, so `helm install --wait`, Argo CD, Flux and
 * `kubectl apply` all run it the same way.
 */
export class ReleaseJob extends Construct implements INetworkEndpoint {
  public readonly connections: Connections;
  public readonly name: Val<string>;

  constructor(scope: Construct, id: string, spec: JobSpec) {
    super(scope, id);
    const r = spec.release;
    const saName = r.resourceName(spec.component);
    const labels = r.labels(spec.component);
    serviceAccount(this, saName, labels);
    const podSpec = securePodSpec({
      identity: spec.identity ?? ImageIdentity.AIRFLOW,
      serviceAccountName: saName,
      kubernetesApiAccess: spec.kubernetesApiAccess,
      containers: [spec.container],
      initContainers: spec.initContainers,
      volumes: spec.volumes,
      security: r.security,
      restartPolicy: 'OnFailure',
      imagePullSecrets: r.imagePullSecrets,
    });
    const pod = template<Record<string, never>>({
      name: `airflow.${spec.component}.podTemplate`,
      doc: `The pod template of the ${spec.component} Job (its hash names the Job).`,
      kind: 'map',
      params: {},
      body: () => ({ metadata: { labels: r.podLabels(spec.component), annotations: spec.annotations }, spec: podSpec }),
    })({});
    this.name = concat(r.resourceName(spec.component), '-', podHash(pod));
    kubeObject(this, 'Resource', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: this.name, labels },
      spec: {
        backoffLimit: spec.backoffLimit ?? 10,
        ttlSecondsAfterFinished: ttl(spec.settings),
        template: pod,
      },
    });
    this.connections = Connections._create(this, 'NetworkPolicy', {
      name: r.resourceName(spec.component),
      labels,
      podLabels: r.selectorLabels(spec.component),
      settings: r.network,
    });
  }
}

export function airflowJobContainer(r: AirflowRelease, name: string, needs: SecretNeeds, args: unknown[], extraEnv: unknown[] = []): { container: ContainerSpec; volumes: unknown[]; mounts: unknown[]; env: unknown[] } {
  const { volumes, mounts } = r.volumes(needs);
  const env = r.env(needs);
  return {
    container: {
      name,
      image: r.imageRef,
      imagePullPolicy: imagePullPolicy(r.image),
      args,
      env: items(spread(env), ...extraEnv),
      volumeMounts: mounts,
      resources: { defaults: resources(250, 512, 1024) },
      writablePaths: airflowWritablePaths(256),
    },
    volumes,
    mounts,
    env,
  };
}

/** Props of {@link DatabaseMigrations}. */
export interface DatabaseMigrationsProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: JobSettings;
}

/**
 * `airflow db migrate` as a plain Job. Long-running components hold in an init container
 * (`airflow db check-migrations`) until the schema is current.
 */
export class DatabaseMigrations extends ReleaseJob {
  constructor(scope: Construct, id: string, props: DatabaseMigrationsProps) {
    const needs = { database: true, fernetKey: true };
    const c = airflowJobContainer(props.release, 'migrate', needs, ['airflow', 'db', 'migrate']);
    super(scope, id, {
      component: 'migrate',
      release: props.release,
      container: c.container,
      volumes: c.volumes,
      kubernetesApiAccess: false,
      settings: props.settings,
      annotations: { 'checksum/config': props.release.configChecksum },
    });
  }
}

/** Props of {@link CreateAdminUser}. */
export interface CreateAdminUserProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: JobSettings;
  /** Login name of the admin. */
  readonly username: SecretRef;
  /** Password of the admin. */
  readonly password: SecretRef;
  readonly email: Val<string>;
  readonly firstName: Val<string>;
  readonly lastName: Val<string>;
  /** FAB config volumes (database login). */
  readonly authVolumes?: { readonly volumes: unknown[]; readonly mounts: unknown[] };
}

/**
 * Creates the first admin of the FAB auth manager when it does not exist (`airflow users create` exits 0
 * and changes nothing for an existing user, so re-runs never reset a password someone changed).
 * The password is piped to the CLI's prompt from the environment: it is never an argument.
 */
export class CreateAdminUser extends ReleaseJob {
  constructor(scope: Construct, id: string, props: CreateAdminUserProps) {
    const needs = { database: true };
    // Every value comes from the environment: none is spliced into the script.
    const script = [
      'printf \'%s\\n%s\\n\' "$ADMIN_PASSWORD" "$ADMIN_PASSWORD" |',
      'exec airflow users create --role Admin --username "$ADMIN_USERNAME" --email "$ADMIN_EMAIL" \\',
      '  --firstname "$ADMIN_FIRST_NAME" --lastname "$ADMIN_LAST_NAME"',
    ].join('\n');
    const c = airflowJobContainer(props.release, 'create-user', needs, ['bash', '-c', script], [
      secretEnv('ADMIN_USERNAME', props.username),
      secretEnv('ADMIN_PASSWORD', props.password),
      { name: 'ADMIN_EMAIL', value: props.email },
      { name: 'ADMIN_FIRST_NAME', value: props.firstName },
      { name: 'ADMIN_LAST_NAME', value: props.lastName },
    ]);
    super(scope, id, {
      component: 'create-user',
      release: props.release,
      container: { ...c.container, volumeMounts: items(...(c.container.volumeMounts ?? []), ...(props.authVolumes?.mounts ?? [])) },
      initContainers: [waitForMigrationsContainer(props.release, c.mounts, c.env)],
      volumes: items(...c.volumes, ...(props.authVolumes?.volumes ?? [])),
      kubernetesApiAccess: false,
      settings: props.settings,
    });
  }
}

/**
 * Fills in, once, the missing keys of the Secrets the release declares (see {@link SecretsGenerator}), inside the
 * cluster, and never rewrites a key that is present: re-applying, upgrading or an Argo CD sync never rotates one.
 * Runs Python's standard library from the Airflow image against the Kubernetes API, with a Role that may only `get`
 * and `patch` those Secrets by name: it cannot create a Secret (a `kubernetes.io/service-account-token` Secret would
 * hand it another ServiceAccount's token), and it cannot turn a declared Secret into one (a Secret's type is
 * immutable).
 *
 * Each Secret is read, and only its absent keys are added, with a JSON merge patch that carries the resourceVersion
 * read (so a concurrent writer makes it re-read, never overwrite) under its own field manager. A merge patch, not
 * server-side apply: an apply that names only this run's missing keys would remove the keys an earlier run applied.
 * A declared Secret that does not exist yet (the release is still being applied) fails the run, and the Job retries.
 */
export const SECRET_GENERATOR_SCRIPT = `
import base64, json, os, secrets, ssl, sys, urllib.error, urllib.request
sa = os.environ.get("SA_DIR", "/var/run/secrets/kubernetes.io/serviceaccount")
ns = open(sa + "/namespace").read().strip()
token = open(sa + "/token").read().strip()
ctx = ssl.create_default_context(cafile=sa + "/ca.crt")
api = "https://%s:%s" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
def call(method, path, body=None, content_type="application/json"):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": "Bearer " + token, "Content-Type": content_type, "Accept": "application/json"}
    req = urllib.request.Request(api + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return json.loads(r.read() or b"{}")
def make(kind, literal):
    if kind == "fernet":
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    if kind == "literal":
        return literal
    if kind == "password":
        return secrets.token_urlsafe(32) + "-Aa1"
    return secrets.token_hex(32)
# One argument per key, {"secret", "key", "value", "literal"?}: each key is generated only when the user did not
# bring its Secret, so the list is decided key by key (and a Helm template can include or drop each line).
wanted = {}
for arg in sys.argv[1:]:
    k = json.loads(arg)
    wanted.setdefault(k["secret"], []).append(k)
for name, keys in wanted.items():
    path = "/api/v1/namespaces/%s/secrets/%s" % (ns, name)
    for attempt in range(5):
        try:
            live = call("GET", path)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                sys.exit("Secret %s does not exist: the release declares it (empty) and this Job only fills it in;"
                         " apply the release's manifests" % name)
            sys.exit("reading Secret %s failed: HTTP %s" % (name, e.code))
        present = live.get("data") or {}
        missing = [k for k in keys if k["key"] not in present]
        if not missing:
            print("Secret %s has every key; kept it" % name)
            break
        data = {k["key"]: base64.b64encode(make(k["value"], k.get("literal")).encode()).decode() for k in missing}
        patch = {"metadata": {"resourceVersion": live["metadata"]["resourceVersion"]}, "data": data}
        try:
            call("PATCH", path + "?fieldManager=airflow-secrets-generator", patch, "application/merge-patch+json")
        except urllib.error.HTTPError as e:
            if e.code == 409:
                continue
            sys.exit("filling in Secret %s failed: HTTP %s" % (name, e.code))
        print("filled in %s of Secret %s" % (", ".join(k["key"] for k in missing), name))
        break
    else:
        sys.exit("Secret %s kept changing while it was filled in; the Job will retry" % name)
`.trim();

/** One key of a Secret the release generates, and when it does (the user named no Secret of their own). */
export interface GeneratedKeySpec {
  readonly key: string;
  readonly value: GeneratedValue;
  /** For {@link GeneratedValue.LITERAL}: the value. */
  readonly literal?: string;
  readonly when: Val<boolean>;
}

/** A Secret the release generates when any of its keys is wanted. */
export interface GeneratedSecretSpec {
  readonly name: Val<string>;
  /** When the release generates it (some key of it). */
  readonly when: Val<boolean>;
  readonly keys: GeneratedKeySpec[];
}

/** Props of {@link SecretsGenerator}. */
export interface SecretsGeneratorProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: JobSettings;
  /** The Secrets to declare, and the keys to fill in when missing. */
  readonly secrets: GeneratedSecretSpec[];
}

/**
 * The Secrets whose values are generated in the cluster, and the Job that generates them
 * (see {@link SECRET_GENERATOR_SCRIPT}).
 *
 * Each Secret is an object of the release: type `Opaque`, the release's labels, no `data` or `stringData` at all,
 * and `helm.sh/resource-policy: keep` so that `helm uninstall` leaves it (and its values) for a reinstall. Having no
 * data field, the declared object never clears what the Job wrote: `kubectl apply` (client-side: the field is in
 * neither the last-applied nor the new configuration; server-side: the applier never owned it), `helm upgrade`
 * (its three-way merge has no data on either side) and `helm template | kubectl apply` (Argo CD) all keep it. Only a
 * replacing update (`kubectl replace`, `helm upgrade --force`) would wipe the values.
 */
export class SecretsGenerator extends ReleaseJob {
  constructor(scope: Construct, id: string, props: SecretsGeneratorProps) {
    const r = props.release;
    const labels = r.labels('secrets');
    const args = items(...props.secrets.flatMap((s) => s.keys.map((k) => when(k.when,
      toJson({ key: k.key, literal: k.literal, secret: s.name, value: k.value })))));
    super(scope, id, {
      component: 'secrets',
      release: r,
      container: {
        name: 'generate',
        image: r.imageRef,
        imagePullPolicy: imagePullPolicy(r.image),
        command: ['python', '-c', SECRET_GENERATOR_SCRIPT],
        args,
        env: [{ name: 'PYTHONDONTWRITEBYTECODE', value: '1' }],
        resources: { defaults: resources(50, 64, 256) },
        writablePaths: [{ volume: 'tmp', mountPath: '/tmp', sizeMi: 16 }],
      },
      kubernetesApiAccess: true,
      settings: props.settings,
    });
    // Construct id `Secret-<name without the release prefix>` (e.g. `Secret-fernet-key`) where the name is known.
    const secretId = (s: GeneratedSecretSpec, i: number) => (typeof s.name === 'string' && typeof r.name === 'string'
      ? `Secret-${s.name.startsWith(`${r.name}-`) ? s.name.slice(r.name.length + 1) : s.name}` : `Secret${i}`);
    props.secrets.forEach((s, i) => scoped(s.when, () => kubeObject(this, secretId(s, i), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: s.name, labels, annotations: { 'helm.sh/resource-policy': 'keep' } },
      type: 'Opaque',
    })));
    const name = r.resourceName('secrets');
    namespacedRole(this, name, labels, name, [
      // No `create`: Kubernetes cannot limit it by name, and any new Secret could be a service-account token.
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'], resourceNames: items(...props.secrets.map((s) => when(s.when, s.name))) },
    ]);
    for (const port of KUBE_API_PORTS) this.connections.allowTo(ExternalPeer.cidrs(['0.0.0.0/0'], 'the Kubernetes API'), port);
  }
}

/** Props of {@link SyncRoles}. */
export interface SyncRolesProps {
  /** The release this component belongs to. */
  readonly release: AirflowRelease;
  readonly settings: JobSettings;
  /** Declared roles (from `AirflowAuth`, or the values' `auth.roles`). */
  readonly roles: Val<RoleSyncSpec[]>;
  /**
   * Component name of the Job.
   * @default 'sync-roles'
   */
  readonly component?: string;
  /**
   * The roles as JSON text, when they are known literals that read better laid out.
   * @default - `roles` as Helm's toJson writes them
   */
  readonly rolesText?: string;
}

/**
 * Creates the declared custom roles and sets their permissions to exactly the declared set
 * ({@link ROLE_SYNC_SCRIPT}). Named by a hash of its spec like the other Jobs, so it runs again whenever a role
 * changes and is a no-op otherwise. It needs only the database: no auth secret reaches it.
 */
export class SyncRoles extends ReleaseJob {
  constructor(scope: Construct, id: string, props: SyncRolesProps) {
    const component = props.component ?? 'sync-roles';
    const c = airflowJobContainer(props.release, component, { database: true }, ['python', '-c', ROLE_SYNC_SCRIPT], [
      // The roles as declared, as Helm's toJson writes them (keys sorted).
      { name: 'ROLES_SPEC', value: props.rolesText ?? toJson(props.roles) },
    ]);
    super(scope, id, {
      component,
      release: props.release,
      container: c.container,
      initContainers: [waitForMigrationsContainer(props.release, c.mounts, c.env)],
      volumes: c.volumes,
      kubernetesApiAccess: false,
      settings: props.settings,
    });
  }
}

