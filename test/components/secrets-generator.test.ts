import { execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { createServer, Server } from 'https';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { SECRET_GENERATOR_SCRIPT } from '../../src';
import { findJob, synthAirflow } from '../util';

/**
 * Runs the generator's Python (the exact script the Job runs) against a local HTTPS stand-in for the
 * Kubernetes API, with a service-account folder laid out as kubelet does.
 */
describe('secrets generator script', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const store = new Map<string, any>();
  const requests: { method: string; url: string; auth?: string }[] = [];

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
        requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
        const m = req.url!.match(/^\/api\/v1\/namespaces\/airflow\/secrets(?:\/([^/]+))?$/);
        if (!m) { res.writeHead(404).end(); return; }
        if (m[1] === 'forbidden') { res.writeHead(403).end('{}'); return; }
        if (req.method === 'GET') {
          res.writeHead(store.has(m[1]) ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
        } else if (req.method === 'POST') {
          const secret = JSON.parse(body);
          if (store.has(secret.metadata.name)) { res.writeHead(409).end('{}'); return; }
          store.set(secret.metadata.name, secret);
          res.writeHead(201, { 'content-type': 'application/json' }).end(body);
        } else {
          res.writeHead(405).end();
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

  interface JobInput { args: string[]; labels: string }
  const run = (input: JobInput) => new Promise<{ code: number; out: string }>((resolve) => {
    const p = spawn('python3', ['-c', SECRET_GENERATOR_SCRIPT, ...input.args], {
      env: { PATH: process.env.PATH!, SA_DIR: dir, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port), GENERATED_LABELS: input.labels },
    });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });

  // The arguments and labels exactly as the chart's Job carries them.
  const chartSpec = (): JobInput => {
    const c = findJob(synthAirflow({ flower: { enabled: true } }), 'airflow-secrets').spec.template.spec.containers[0];
    return { args: c.args, labels: c.env.find((e: any) => e.name === 'GENERATED_LABELS').value };
  };

  test('the Job passes one argument per generated key', () => {
    const keys = chartSpec().args.map((a) => JSON.parse(a));
    expect(keys).toContainEqual({ secret: 'airflow-fernet-key', key: 'fernet-key', value: 'fernet' });
    expect(keys).toContainEqual({ secret: 'airflow-flower', key: 'username', value: 'literal', literal: 'admin' });
    expect(keys.filter((k) => k.secret === 'airflow-admin').map((k) => k.key)).toEqual(['username', 'password']);
  });

  test('creates every missing Secret with valid values, once; a second run changes nothing', async () => {
    store.set('airflow-postgres', { metadata: { name: 'airflow-postgres' }, stringData: { password: 'pre-existing' } });
    const first = await run(chartSpec());
    expect(first).toEqual({ code: 0, out: expect.stringContaining('created Secret airflow-fernet-key') });
    expect(first.out).toContain('kept existing Secret airflow-postgres');
    expect(store.get('airflow-postgres').stringData.password).toBe('pre-existing');
    expect(requests.every((r) => r.auth === 'Bearer test-token')).toBe(true);

    const fernet = Buffer.from(store.get('airflow-fernet-key').stringData['fernet-key'], 'base64url');
    expect(fernet).toHaveLength(32);
    expect(store.get('airflow-jwt-secret').stringData['jwt-secret']).toMatch(/^[a-f0-9]{64}$/);
    expect(store.get('airflow-admin').stringData).toEqual({ username: 'admin', password: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(store.get('airflow-flower').stringData.username).toBe('admin');
    expect(store.get('airflow-redis').metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(store.get('airflow-redis').metadata.labels['app.kubernetes.io/instance']).toBe('airflow');

    const before = JSON.stringify([...store.entries()]);
    const posts = requests.filter((r) => r.method === 'POST').length;
    const second = await run(chartSpec());
    expect(second.code).toBe(0);
    expect(second.out).not.toContain('created');
    expect(JSON.stringify([...store.entries()])).toBe(before);
    expect(requests.filter((r) => r.method === 'POST').length).toBe(posts);
  });

  test('fails loudly (non-zero) when the API refuses a read', async () => {
    const result = await run({ args: [JSON.stringify({ secret: 'forbidden', key: 'k', value: 'hex' })], labels: '{}' });
    expect(result.code).not.toBe(0);
    expect(result.out).toContain('reading Secret forbidden failed: HTTP 403');
    expect(store.has('forbidden')).toBe(false);
  });
});
