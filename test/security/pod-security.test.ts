import { ImageIdentity } from '../../src';
import { allOutputs, USER_CONTAINERS } from '../variants';
import { containersOf, podTemplates } from '../util';

const outputs = allOutputs();
const pods = Object.entries(outputs).flatMap(([variant, m]) => podTemplates(m).map((p) => ({ variant, ...p })));
const containers = pods.flatMap((p) => containersOf(p.spec).map((c: any) => ({ ...p, container: c })));
const label = (p: { variant: string; owner: string }) => `${p.variant} ${p.owner}`;

/** Real identity of each component's image. */
function identityOf(component: string) {
  if (component === 'postgres' || component === 'cornflow-db') return ImageIdentity.POSTGRES;
  if (component === 'cornflow' || component === 'cornflow-init') return ImageIdentity.CORNFLOW;
  if (component === 'redis') return ImageIdentity.REDIS;
  if (component === 'statsd') return ImageIdentity.STATSD_EXPORTER;
  return ImageIdentity.AIRFLOW;
}

describe('every pod of every example and variant', () => {
  test('walks a meaningful set of pods', () => {
    expect(pods.length).toBeGreaterThan(40);
    expect(new Set(pods.map((p) => p.component))).toEqual(new Set([
      'api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker', 'flower', 'postgres', 'redis',
      'migrate', 'create-user', 'secrets', 'task', 'sync-roles', 'statsd',
      'cornflow', 'cornflow-init', 'cornflow-db', 'cornflow-role', 'cornflow-user',
    ]));
  });

  test.each(pods.map((p) => [label(p), p] as const))('%s: pod security context is restricted', (_, p) => {
    const id = identityOf(p.component);
    expect(p.spec.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: id.user, runAsGroup: id.group, fsGroup: id.group,
      fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(p.spec.enableServiceLinks).toBe(false);
    expect(p.spec.hostNetwork ?? false).toBe(false);
    expect(p.spec.hostPID ?? false).toBe(false);
    expect(p.spec.hostIPC ?? false).toBe(false);
  });

  test.each(pods.map((p) => [label(p), p] as const))('%s: service-account token only where the API is used', (_, p) => {
    const usesApi = p.component === 'secrets' || (p.component === 'scheduler' && /kubernetes/.test(p.variant));
    expect(p.spec.automountServiceAccountToken).toBe(usesApi);
    expect(p.spec.serviceAccountName).toMatch(/^airflow-[a-z-]+$/);
  });

  test.each(containers.map((c) => [`${label(c)} ${c.container.name}`, c] as const))('%s: container is locked down', (_, c) => {
    const id = identityOf(c.component);
    const sc = c.container.securityContext;
    expect(sc).toEqual({
      runAsNonRoot: true, runAsUser: id.user, runAsGroup: id.group,
      allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(sc.capabilities.add).toBeUndefined();
    // Resources: CPU and memory requests and a memory limit on every container, init containers included.
    expect(c.container.resources.requests.cpu).toBeDefined();
    expect(c.container.resources.requests.memory).toBeDefined();
    expect(c.container.resources.limits.memory).toBeDefined();
    // Pinned image: a tag other than latest, or a digest.
    expect(c.container.image).toMatch(/(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[a-f0-9]{64})$/);
    expect(c.container.image).not.toMatch(/:latest$/);
    // No secret value inline: every env var that names a secret takes it from a Secret, or names a file under
    // a read-only mount of a Secret volume (POSTGRES_PASSWORD_FILE, LDAP_BIND_PASSWORD_FILE).
    const secretVolumes = new Set((c.spec.volumes ?? []).filter((v: any) => v.secret).map((v: any) => v.name));
    const secretMounts = (c.container.volumeMounts ?? []).filter((m: any) => secretVolumes.has(m.name) && m.readOnly).map((m: any) => `${m.mountPath}/`);
    for (const e of c.container.env ?? []) {
      if (/PASSWORD|SECRET|FERNET|TOKEN/.test(e.name)) {
        const fromSecret = e.valueFrom?.secretKeyRef !== undefined;
        const secretFile = typeof e.value === 'string' && /_FILE$/.test(e.name) && secretMounts.some((m: string) => e.value.startsWith(m));
        expect({ name: e.name, fromSecret, secretFile }).toEqual({ name: e.name, fromSecret: !secretFile, secretFile: !fromSecret });
      }
    }
    // /tmp is always writable in our containers (Python, libpq and Celery use it; a user's sidecar mounts what it
    // writes from extraVolumes) and every writable path is a declared volume.
    const mounts = new Map<string, string>((c.container.volumeMounts ?? []).map((m: any) => [m.mountPath, m.name]));
    if (!USER_CONTAINERS.includes(c.container.name)) expect(mounts.get('/tmp')).toBeDefined();
    const volumes = new Set((c.spec.volumes ?? []).map((v: any) => v.name));
    // Postgres' `data` comes from the StatefulSet's volumeClaimTemplates.
    for (const name of mounts.values()) expect(volumes.has(name) || (c.component === 'postgres' && name === 'data')).toBe(true);
  });

  test.each(containers.map((c) => [`${label(c)} ${c.container.name}`, c] as const))('%s: no password in args or command', (_, c) => {
    const argv = [...(c.container.command ?? []), ...(c.container.args ?? [])].join(' ');
    expect(argv).not.toMatch(/\$\((AIRFLOW_DB_PASSWORD|AIRFLOW_REDIS_PASSWORD|ADMIN_PASSWORD|REDIS_PASSWORD)\)/);
    expect(argv).not.toMatch(/--password[ =]/);
  });

  test('Airflow processes have a writable log folder; Postgres writes only its data, socket, tmp and shm; Cornflow only tmp', () => {
    for (const c of containers.filter((x) => !USER_CONTAINERS.includes(x.container.name))) {
      const paths = (c.container.volumeMounts ?? []).filter((m: any) => !m.readOnly).map((m: any) => m.mountPath).sort();
      if (c.component === 'postgres') {
        expect(paths).toEqual(['/dev/shm', '/tmp', '/var/lib/postgresql/data', '/var/run/postgresql']);
      } else if (c.component === 'redis') {
        expect(paths).toEqual(['/data', '/run/redis', '/tmp']);
      } else if (['secrets', 'cornflow', 'cornflow-init', 'cornflow-db'].includes(c.component)) {
        expect([c.component, paths]).toEqual([c.component, ['/tmp']]);
      } else {
        expect(paths).toEqual(['/opt/airflow/logs', '/tmp']);
      }
    }
  });

  test('PodDisruptionBudgets exist exactly for workloads with more than one replica', () => {
    for (const [variant, m] of Object.entries(outputs)) {
      const multi = m.filter((x) => ['Deployment', 'StatefulSet'].includes(x.kind) && (x.spec.replicas ?? 1) > 1).map((x) => x.metadata.name).sort();
      const pdbs = m.filter((x) => x.kind === 'PodDisruptionBudget').map((x) => x.metadata.name).sort();
      expect({ variant, pdbs }).toEqual({ variant, pdbs: multi });
    }
  });

  test('no NodePort or LoadBalancer Service, and selectors use only name, instance and component', () => {
    for (const m of Object.values(outputs)) {
      for (const x of m) {
        if (x.kind === 'Service') expect(x.spec.type).toBe('ClusterIP');
        const sel = x.spec?.selector?.matchLabels ?? (x.kind === 'Service' ? x.spec.selector : undefined);
        if (sel) expect(Object.keys(sel).sort()).toEqual(['app.kubernetes.io/component', 'app.kubernetes.io/instance', 'app.kubernetes.io/name']);
      }
    }
  });
});
