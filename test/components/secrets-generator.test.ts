import { execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, Server } from 'https';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { SECRET_GENERATOR_SCRIPT } from '../../src/components/jobs';
import { findJob, Manifest, synthAirflow } from '../util';

/**
 * Runs the generator's Python (the exact script the Job runs) against a local HTTPS stand-in for the
 * Kubernetes API, with a service-account folder laid out as kubelet does. The stand-in implements what the
 * script may use: GET of a Secret, and PATCH with a JSON merge patch honouring a resourceVersion precondition
 * (409 when it is stale), as the API server does. The same script against a real API server, as the Job's
 * ServiceAccount, is in test/cluster/secrets-job.test.ts.
 */
describe('secrets generator script', () => {
  let dir: string;
  let server: Server;
  let port: number;
  /** Secrets by name, as the API server stores them (`data` base64). */
  const store = new Map<string, any>();
  const requests: { method: string; url: string; auth?: string; contentType?: string; body?: any }[] = [];
  /** Names whose next PATCH meets a concurrent writer: the stand-in bumps resourceVersion first (409). */
  const raceOnce = new Set<string>();
  let version = 100;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sa-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.crt')], { stdio: 'ignore' });
    writeFileSync(join(dir, 'namespace'), 'airflow\n');
    writeFileSync(join(dir, 'token'), 'test-token\n');
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) }, (req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, contentType: req.headers['content-type'], body: body ? JSON.parse(body) : undefined });
        const m = req.url!.match(/^\/api\/v1\/namespaces\/airflow\/secrets\/([^/?]+)(\?.*)?$/);
        const json = (code: number, o: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(o));
        if (!m) { json(404, {}); return; }
        const name = m[1];
        if (name === 'forbidden') { json(403, {}); return; }
        const live = store.get(name);
        if (req.method === 'GET') {
          if (live) json(200, live); else json(404, {});
        } else if (req.method === 'PATCH') {
          if (!live) { json(404, {}); return; }
          if (req.headers['content-type'] !== 'application/merge-patch+json') { json(415, {}); return; }
          if (raceOnce.delete(name)) live.metadata.resourceVersion = String(++version);
          const patch = JSON.parse(body);
          if (patch.metadata?.resourceVersion !== undefined && patch.metadata.resourceVersion !== live.metadata.resourceVersion) { json(409, {}); return; }
          live.data = { ...(live.data ?? {}), ...patch.data };
          live.metadata.resourceVersion = String(++version);
          json(200, live);
        } else {
          json(405, {});
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    store.clear();
    requests.length = 0;
    raceOnce.clear();
  });

  const run = (args: string[]) => new Promise<{ code: number; out: string }>((resolve) => {
    const p = spawn('python3', ['-c', SECRET_GENERATOR_SCRIPT, ...args], {
      env: { PATH: process.env.PATH!, SA_DIR: dir, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) },
    });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });

  const manifests = (): Manifest[] => synthAirflow({ flower: { enabled: true } });
  /** The arguments exactly as the chart's Job carries them. */
  const chartArgs = (): string[] => findJob(manifests(), 'airflow-secrets').spec.template.spec.containers[0].args;
  /** The declared Secrets, stored as the API server stores them after `kubectl apply`. */
  const applyDeclared = () => {
    for (const s of manifests().filter((m) => m.kind === 'Secret')) store.set(s.metadata.name, { ...JSON.parse(JSON.stringify(s)), metadata: { ...s.metadata, resourceVersion: String(++version) } });
  };
  const decoded = (name: string) => Object.fromEntries(Object.entries<string>(store.get(name).data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  test('the Job passes one argument per generated key', () => {
    const keys = chartArgs().map((a) => JSON.parse(a));
    expect(keys).toContainEqual({ secret: 'airflow-fernet-key', key: 'fernet-key', value: 'fernet' });
    expect(keys).toContainEqual({ secret: 'airflow-flower', key: 'username', value: 'literal', literal: 'admin' });
    expect(keys.filter((k) => k.secret === 'airflow-admin').map((k) => k.key)).toEqual(['username', 'password']);
  });

  test('the release declares each generated Secret empty, kept on uninstall; the Role may only get and patch them', () => {
    const m = manifests();
    const declared = m.filter((x) => x.kind === 'Secret');
    const names = [...new Set(chartArgs().map((a) => JSON.parse(a).secret))];
    expect(declared.map((s) => s.metadata.name)).toEqual(names);
    for (const s of declared) {
      expect(s).toEqual({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name: s.metadata.name,
          namespace: 'airflow',
          labels: findJob(m, 'airflow-secrets').metadata.labels,
          annotations: { 'helm.sh/resource-policy': 'keep' },
        },
      });
    }
    const role = m.find((x) => x.kind === 'Role' && x.metadata.name === 'airflow-secrets')!;
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'], resourceNames: names }]);
  });

  test('fills in every declared Secret with valid values; a second run changes nothing', async () => {
    applyDeclared();
    const first = await run(chartArgs());
    expect(first).toEqual({ code: 0, out: expect.stringContaining('filled in fernet-key of Secret airflow-fernet-key') });
    expect(requests.every((r) => r.auth === 'Bearer test-token')).toBe(true);
    expect(requests.map((r) => r.method).filter((x) => !['GET', 'PATCH'].includes(x))).toEqual([]);
    // Each patch carries the resourceVersion it read and names its field manager.
    for (const r of requests.filter((x) => x.method === 'PATCH')) {
      expect(r.url).toMatch(/\?fieldManager=airflow-secrets-generator$/);
      expect(r.body.metadata).toEqual({ resourceVersion: expect.stringMatching(/^\d+$/) });
    }

    expect(Buffer.from(decoded('airflow-fernet-key')['fernet-key'], 'base64url')).toHaveLength(32);
    expect(decoded('airflow-jwt-secret')['jwt-secret']).toMatch(/^[a-f0-9]{64}$/);
    expect(decoded('airflow-admin')).toEqual({ username: 'admin', password: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(decoded('airflow-flower').username).toBe('admin');
    // The declared object's type, labels and annotations are the release's; the script never sends them.
    expect(store.get('airflow-redis').type).toBe('Opaque');
    expect(store.get('airflow-redis').metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });

    const before = JSON.stringify([...store.entries()]);
    const patches = requests.filter((r) => r.method === 'PATCH').length;
    const second = await run(chartArgs());
    expect(second.code).toBe(0);
    expect(second.out).not.toContain('filled in');
    expect(JSON.stringify([...store.entries()])).toBe(before);
    expect(requests.filter((r) => r.method === 'PATCH').length).toBe(patches);
  });

  test('a Secret with some keys keeps them byte for byte and gets only the missing ones', async () => {
    applyDeclared();
    store.get('airflow-admin').data = { username: b64('root\n') };
    store.get('airflow-postgres').data = { password: b64('pre-existing'), extra: b64('mine') };
    const result = await run(chartArgs());
    expect(result.code).toBe(0);
    expect(result.out).toContain('filled in password of Secret airflow-admin');
    expect(result.out).toContain('Secret airflow-postgres has every key; kept it');
    expect(store.get('airflow-admin').data.username).toBe(b64('root\n'));
    expect(decoded('airflow-admin').password).toMatch(/^[a-f0-9]{64}$/);
    expect(store.get('airflow-postgres').data).toEqual({ password: b64('pre-existing'), extra: b64('mine') });
    const adminPatch = requests.find((r) => r.method === 'PATCH' && r.url.includes('/airflow-admin?'))!;
    expect(Object.keys(adminPatch.body.data)).toEqual(['password']);
  });

  test('re-reads and retries when the Secret changed between its read and its patch (409)', async () => {
    applyDeclared();
    raceOnce.add('airflow-jwt-secret');
    const result = await run(chartArgs());
    expect(result.code).toBe(0);
    const jwtCalls = requests.filter((r) => r.url.startsWith('/api/v1/namespaces/airflow/secrets/airflow-jwt-secret')).map((r) => r.method);
    expect(jwtCalls).toEqual(['GET', 'PATCH', 'GET', 'PATCH']);
    expect(decoded('airflow-jwt-secret')['jwt-secret']).toMatch(/^[a-f0-9]{64}$/);
  });

  test('fails (non-zero) when a declared Secret does not exist, and never creates one', async () => {
    const result = await run([JSON.stringify({ secret: 'airflow-missing', key: 'k', value: 'hex' })]);
    expect(result.code).not.toBe(0);
    expect(result.out).toContain('Secret airflow-missing does not exist: the release declares it');
    expect(requests.map((r) => r.method)).toEqual(['GET']);
    expect(store.has('airflow-missing')).toBe(false);
  });

  test('fails loudly (non-zero) when the API refuses a read', async () => {
    const result = await run([JSON.stringify({ secret: 'forbidden', key: 'k', value: 'hex' })]);
    expect(result.code).not.toBe(0);
    expect(result.out).toContain('reading Secret forbidden failed: HTTP 403');
  });
});
