/**
 * The chart as a verifiable artifact: charts/airflow packaged and signed with the pinned helm (.ci/tools/helm.sh)
 * and a throw-away OpenPGP key made with the system gpg, verified, tampered with, pushed to a real OCI registry
 * (the CNCF distribution registry, pinned and built once by .ci/tools/oci-registry.sh) on loopback, and pulled back.
 * Everything the tests write (GnuPG home, keyrings, packages, helm's config and cache, the registry's storage) lives
 * in one temporary directory, removed in afterAll; the registry runs in its own process group, killed in afterAll.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';

const REPO = path.resolve(__dirname, '..', '..');
const CHART = path.join(REPO, 'charts', 'airflow');
const VERSION: string = parse(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')).version;
const PACKAGE = `airflow-${VERSION}.tgz`;
const SIGNER = 'cdk8s-airflow test signer';
const OTHER = 'someone else';

interface Result { status: number | null; stdout: string; stderr: string; output: string }

let tmp: string;
let helmEnv: NodeJS.ProcessEnv;
let helmBin: string;
const timings: Record<string, number> = {};

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Result {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? tmp, env: opts.env ?? process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}${r.stderr}` };
}

function ok(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Result {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.output}`);
  return r;
}

const helm = (...args: string[]): Result => run(helmBin, args, { env: helmEnv });

function timed<T>(name: string, fn: () => T): T {
  const start = Date.now();
  try {
    return fn();
  } finally {
    timings[name] = (timings[name] ?? 0) + (Date.now() - start);
  }
}

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** A fresh directory under the test's temporary root. */
function dir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** A GnuPG home holding one RSA signing key without passphrase, exported as helm's legacy keyring files. */
function makeKey(name: string, uid: string): { home: string; secring: string; pubring: string } {
  const home = dir(name);
  fs.chmodSync(home, 0o700);
  const env = { ...process.env, GNUPGHOME: home };
  // RSA 3072, gpg 2.2's default; helm 3.22 reads keys with github.com/ProtonMail/go-crypto.
  ok('/usr/bin/gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', uid, 'rsa3072', 'sign', 'never'], { env });
  const secring = path.join(home, 'secring.gpg');
  const pubring = path.join(home, 'pubring.gpg');
  ok('/usr/bin/gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--output', secring, '--export-secret-keys', uid], { env });
  ok('/usr/bin/gpg', ['--batch', '--output', pubring, '--export', uid], { env });
  return { home, secring, pubring };
}

/** The package and a copy of its provenance in a directory of their own, as helm verify expects them side by side. */
function copyPair(name: string, tgz: string, prov: string): string {
  const d = dir(name);
  fs.copyFileSync(tgz, path.join(d, PACKAGE));
  fs.copyFileSync(prov, path.join(d, `${PACKAGE}.prov`));
  return path.join(d, PACKAGE);
}

const digestOf = (output: string): string => {
  const m = /^Digest: (sha256:[0-9a-f]{64})$/m.exec(output);
  if (!m) throw new Error(`no digest in helm output:\n${output}`);
  return m[1];
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

describe('the chart as a verifiable artifact', () => {
  let signer: ReturnType<typeof makeKey>;
  let other: ReturnType<typeof makeKey>;
  let tgz: string;
  let prov: string;
  let registry: ChildProcess | undefined;
  let registryLog: string;
  let host: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-airflow-artifact-'));
    // helm keeps registry credentials and a cache under these; none of it may land in the user's home.
    helmEnv = { ...process.env, HELM_CONFIG_HOME: dir('helm/config'), HELM_CACHE_HOME: dir('helm/cache'), HELM_DATA_HOME: dir('helm/data') };

    const registryBin = timed('build', () => {
      helmBin = ok('bash', [path.join(REPO, '.ci/tools/helm.sh')]).stdout.trim();
      return ok('bash', [path.join(REPO, '.ci/tools/oci-registry.sh')]).stdout.trim();
    });

    [signer, other] = timed('keys', () => [makeKey('gnupg-signer', SIGNER), makeKey('gnupg-other', OTHER)]);

    const out = dir('signed');
    const pkg = timed('package+sign', () => helm('package', '--sign', '--key', SIGNER, '--keyring', signer.secring, '--destination', out, CHART));
    if (pkg.status !== 0) throw new Error(`helm package --sign failed:\n${pkg.output}`);
    tgz = path.join(out, PACKAGE);
    prov = `${tgz}.prov`;

    // The registry: http on loopback only, filesystem storage in the temporary directory, its own process group.
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    const config = path.join(dir('registry'), 'config.yml');
    fs.writeFileSync(config, [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${dir('registry/data')}`,
      'http:',
      `  addr: ${host}`,
      '',
    ].join('\n'));
    registryLog = path.join(tmp, 'registry', 'registry.log');
    const log = fs.openSync(registryLog, 'w');
    registry = spawn(registryBin, ['serve', config], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, REGISTRY_HTTP_SECRET: 'test-only', OTEL_TRACES_EXPORTER: 'none' },
    });
    fs.closeSync(log);
    let exited = false;
    registry.on('exit', () => (exited = true));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`the registry exited at start:\n${fs.readFileSync(registryLog, 'utf8')}`);
      const res = await get(`http://${host}/v2/`).catch(() => undefined);
      if (res?.status === 200 && res.headers['docker-distribution-api-version'] === 'registry/2.0') break;
      if (Date.now() > deadline) throw new Error(`the registry did not answer on ${host} within 30s:\n${fs.readFileSync(registryLog, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    console.log(`timings (ms): ${Object.entries(timings).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    if (registry?.pid) {
      const pid = registry.pid;
      const gone = new Promise<void>((resolve) => (registry!.exitCode !== null || registry!.signalCode !== null ? resolve() : registry!.on('exit', () => resolve())));
      try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      try { process.kill(-pid, 'SIGKILL'); } catch { /* the group is empty */ }
      await gone;
      // No process of the group is left (kill -0 on the group fails with ESRCH).
      expect(() => process.kill(-pid, 0)).toThrow();
    }
    for (const key of [signer, other]) {
      if (key) spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: key.home } });
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('signed with helm package --sign', () => {
    test('writes the package and its provenance, and helm verify passes with the signer\'s public keyring', () => {
      expect(fs.existsSync(tgz)).toBe(true);
      const provText = fs.readFileSync(prov, 'utf8');
      expect(provText).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----\n/);
      expect(provText).toContain(`version: ${VERSION}\n`);
      expect(provText).toContain(`${PACKAGE}: sha256:${sha256(tgz)}`);

      const r = helm('verify', '--keyring', signer.pubring, tgz);
      expect(r.status).toBe(0);
      expect(r.output).toContain(`Signed by: ${SIGNER}`);
      expect(r.output).toContain(`Chart Hash Verified: sha256:${sha256(tgz)}`);
    });

    test('helm verify fails when one byte of a template is changed and the chart re-tarred', () => {
      const work = dir('tampered-template');
      ok('tar', ['-xzf', tgz, '-C', work]);
      const template = path.join(work, 'airflow', 'templates', 'api-server', 'deployment.yaml');
      const bytes = fs.readFileSync(template);
      const at = bytes.indexOf('replicas');
      expect(at).toBeGreaterThan(-1);
      bytes[at] = 'R'.charCodeAt(0);
      fs.writeFileSync(template, bytes);
      ok('tar', ['-czf', path.join(work, 'repacked.tgz'), '-C', work, 'airflow']);
      const tampered = copyPair('tampered-template/pair', path.join(work, 'repacked.tgz'), prov);

      const r = helm('verify', '--keyring', signer.pubring, tampered);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`Error: sha256 sum does not match for ${PACKAGE}: "sha256:${sha256(tgz)}" != "sha256:${sha256(tampered)}"`);
    });

    test('helm verify fails when bytes are appended to the package', () => {
      const tampered = copyPair('appended', tgz, prov);
      fs.appendFileSync(tampered, '\0');
      const r = helm('verify', '--keyring', signer.pubring, tampered);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`Error: sha256 sum does not match for ${PACKAGE}`);
    });

    test('helm verify fails when the provenance file is altered', () => {
      const tgzCopy = copyPair('tampered-prov', tgz, prov);
      const provCopy = `${tgzCopy}.prov`;
      const text = fs.readFileSync(provCopy, 'utf8');
      const altered = text.replace(`version: ${VERSION}\n`, `version: ${VERSION}-altered\n`);
      expect(altered).not.toBe(text);
      fs.writeFileSync(provCopy, altered);

      const r = helm('verify', '--keyring', signer.pubring, tgzCopy);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('Error: openpgp: invalid signature');
    });

    test('helm verify fails with a keyring that does not hold the signer\'s key', () => {
      const r = helm('verify', '--keyring', other.pubring, tgz);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('Error: openpgp: signature made by unknown entity');
    });
  });

  describe('through an OCI registry (CNCF distribution on loopback)', () => {
    let pushDigest: string;

    beforeAll(() => {
      const r = timed('push', () => helm('push', tgz, `oci://${host}/charts`, '--plain-http'));
      if (r.status !== 0) throw new Error(`helm push failed:\n${r.output}\n${fs.readFileSync(registryLog, 'utf8')}`);
      expect(r.output).toContain(`Pushed: ${host}/charts/airflow:${VERSION}`);
      pushDigest = digestOf(r.output);
    });

    test('helm push stores the provenance beside the chart (a layer of the manifest)', async () => {
      const res = await get(`http://${host}/v2/charts/airflow/manifests/${VERSION}`, { Accept: 'application/vnd.oci.image.manifest.v1+json' });
      expect(res.status).toBe(200);
      expect(res.headers['docker-content-digest']).toBe(pushDigest);
      const layers = (JSON.parse(res.body).layers as { mediaType: string; digest: string }[]);
      expect(layers).toEqual(expect.arrayContaining([
        expect.objectContaining({ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: `sha256:${sha256(tgz)}` }),
        expect.objectContaining({ mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov', digest: `sha256:${sha256(prov)}` }),
      ]));
    });

    test('helm pull returns the pushed bytes with the pushed digest, and renders byte for byte like charts/airflow', () => {
      const out = dir('pulled');
      const r = timed('pull', () => helm('pull', `oci://${host}/charts/airflow`, '--version', VERSION, '--plain-http', '--destination', out));
      expect(r.status).toBe(0);
      expect(digestOf(r.output)).toBe(pushDigest);
      const pulled = path.join(out, PACKAGE);
      expect(sha256(pulled)).toBe(sha256(tgz));
      // Without --verify only the chart is written.
      expect(fs.readdirSync(out)).toEqual([PACKAGE]);

      const fromRegistry = helm('template', 'airflow', pulled, '--namespace', 'airflow');
      const fromRepo = helm('template', 'airflow', CHART, '--namespace', 'airflow');
      expect(fromRegistry.status).toBe(0);
      expect(fromRepo.status).toBe(0);
      expect(fromRegistry.stdout.length).toBeGreaterThan(10_000);
      expect(fromRegistry.stdout === fromRepo.stdout).toBe(true);
    });

    test('helm pull --verify checks the provenance pushed with the chart', () => {
      const out = dir('pulled-verified');
      const r = helm('pull', `oci://${host}/charts/airflow`, '--version', VERSION, '--plain-http', '--destination', out, '--verify', '--keyring', signer.pubring);
      expect(r.status).toBe(0);
      expect(digestOf(r.output)).toBe(pushDigest);
      expect(r.output).toContain(`Signed by: ${SIGNER}`);
      expect(r.output).toContain(`Chart Hash Verified: sha256:${sha256(tgz)}`);
      expect(fs.readdirSync(out).sort()).toEqual([PACKAGE, `${PACKAGE}.prov`]);
      expect(sha256(path.join(out, `${PACKAGE}.prov`))).toBe(sha256(prov));
    });

    test('helm pull --verify fails with a keyring that does not hold the signer\'s key, and leaves the files it fetched', () => {
      const out = dir('pulled-other-key');
      const r = helm('pull', `oci://${host}/charts/airflow`, '--version', VERSION, '--plain-http', '--destination', out, '--verify', '--keyring', other.pubring);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('Error: openpgp: signature made by unknown entity');
      // helm does not delete what failed verification: a script must stop on the exit code, not look for the file.
      expect(fs.readdirSync(out).sort()).toEqual([PACKAGE, `${PACKAGE}.prov`]);
    });

    test('helm pull --verify fails when the registry serves a chart that does not match its provenance', () => {
      // A re-tarred chart pushed with the original provenance beside it: helm push does not check the signature.
      const work = dir('registry-tampered');
      ok('tar', ['-xzf', tgz, '-C', work]);
      fs.appendFileSync(path.join(work, 'airflow', 'templates', 'NOTES.txt'), 'tampered\n');
      ok('tar', ['-czf', path.join(work, 'repacked.tgz'), '-C', work, 'airflow']);
      const tampered = copyPair('registry-tampered/pair', path.join(work, 'repacked.tgz'), prov);
      const push = helm('push', tampered, `oci://${host}/tampered`, '--plain-http');
      expect(push.status).toBe(0);

      const out = dir('pulled-tampered');
      const r = helm('pull', `oci://${host}/tampered/airflow`, '--version', VERSION, '--plain-http', '--destination', out, '--verify', '--keyring', signer.pubring);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`Error: sha256 sum does not match for ${PACKAGE}`);
    });

    test('helm pull --verify fails when the chart was pushed without a provenance file', () => {
      const unsigned = dir('unsigned');
      const pkg = helm('package', '--destination', unsigned, CHART);
      expect(pkg.status).toBe(0);
      const push = helm('push', path.join(unsigned, PACKAGE), `oci://${host}/unsigned`, '--plain-http');
      expect(push.status).toBe(0);

      const out = dir('pulled-unsigned');
      const r = helm('pull', `oci://${host}/unsigned/airflow`, '--version', VERSION, '--plain-http', '--destination', out, '--verify', '--keyring', signer.pubring);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`Error: failed to fetch provenance "oci://${host}/unsigned/airflow:${VERSION}.prov"`);
    });
  });
});
