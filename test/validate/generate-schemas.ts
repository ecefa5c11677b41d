/**
 * Offline generator of kubeconform "standalone-strict" JSON schemas for
 * Kubernetes 1.27 .. 1.34.
 *
 * Source of truth: `api/openapi-spec/swagger.json` inside the `k8s.io/kubernetes`
 * Go module, fetched through the Go module proxy with `go mod download -json`
 * (no other host is contacted). Each definition carrying
 * `x-kubernetes-group-version-kind` becomes one file
 *
 *   <cache>/schemas/v<major>.<minor>.<patch>-standalone-strict/<kind>-<group>-<version>.json
 *
 * named exactly like kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json`
 * (lower-case kind; first DNS label of the group; core group omitted), e.g.
 * `deployment-apps-v1.json`, `service-v1.json`, `networkpolicy-networking-v1.json`.
 *
 * The conversion mirrors kubeconform's `scripts/openapi2jsonschema.py` and the
 * schemas published for kubeconform (openapi2jsonschema --expanded --kubernetes
 * --stand-alone --strict):
 *  - every `$ref` is inlined (stand-alone); a definition that refers to itself
 *    (JSONSchemaProps in CRDs) is left permissive (`{}` + `$comment`) at the
 *    point of recursion;
 *  - `additionalProperties: false` on every object schema that declares
 *    `properties` (strict), including the root;
 *  - `format: int-or-string` (IntOrString) becomes `oneOf: [string, integer]`,
 *    `Quantity` becomes `oneOf: [string, number]` (the API server takes both);
 *  - `apiVersion` and `kind` get `enum`s from the group-version-kind;
 *  - optional (non-`required`) properties also accept `null`, as the API server
 *    does and as kubeconform's published schemas do.
 *
 * Output is cached: a version directory holding a `.complete` stamp that names
 * the same module version and generator revision is never regenerated.
 *
 * CLI:
 *   npx ts-node --transpileOnly test/validate/generate-schemas.ts [--force] [--latest] [1.30 1.34 ...]
 * prints one line per version and the schema root on the last line.
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Bump when the conversion changes: invalidates every cached version. */
export const GENERATOR_REVISION = 1;

/**
 * Newest patch of each minor that the Go module proxy served when this was
 * pinned. Pinned (not "latest") so that CI is reproducible; `--latest` asks the
 * proxy for newer patches (`go list -m -versions k8s.io/kubernetes`).
 */
export const PINNED_K8S_VERSIONS: readonly string[] = [
  '1.27.16',
  '1.28.15',
  '1.29.15',
  '1.30.14',
  '1.31.14',
  '1.32.13',
  '1.33.13',
  '1.34.4',
];

export function cacheRoot(): string {
  return process.env.CDK8S_AIRFLOW_CACHE ?? path.join(os.homedir(), '.cache', 'cdk8s-airflow');
}

export function schemaRoot(): string {
  return path.join(cacheRoot(), 'schemas');
}

/** kubeconform `-schema-location` template pointing at {@link schemaRoot}. */
export function schemaLocationTemplate(root: string = schemaRoot()): string {
  return `${root}/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`;
}

/** `1.30` -> pinned `1.30.14`; a full `x.y.z` is returned unchanged. */
export function resolveVersion(v: string): string {
  const clean = v.replace(/^v/, '');
  if (/^\d+\.\d+\.\d+$/.test(clean)) return clean;
  const hit = PINNED_K8S_VERSIONS.find((p) => p.startsWith(`${clean}.`));
  if (!hit) throw new Error(`no pinned Kubernetes version for ${v} (pinned: ${PINNED_K8S_VERSIONS.join(', ')})`);
  return hit;
}

// ---------------------------------------------------------------------------
// Go module proxy access
// ---------------------------------------------------------------------------

function goEnv(): NodeJS.ProcessEnv {
  // Outside any module; no vendoring; never let a user's GOFLAGS=-mod=vendor bite.
  return { ...process.env, GO111MODULE: 'on', GOFLAGS: '-mod=mod' };
}

function requireGo(): void {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('Go is required to fetch the Kubernetes OpenAPI spec via the Go module proxy (go mod download). Install Go >= 1.22.');
  }
}

/**
 * Downloads k8s.io/kubernetes@v<version> through the Go module proxy and
 * returns the bytes of its `api/openapi-spec/swagger.json`.
 *
 * The extracted module is ~85-110 MB per version, so by default it goes to a
 * scratch GOMODCACHE under the cache root that is wiped (`go clean -modcache`)
 * right after reading: only the ~10 MB of generated schemas stay on disk.
 * Set CDK8S_AIRFLOW_GOMODCACHE=shared to use (and keep in) the normal Go module
 * cache instead, e.g. when it already holds these modules.
 */
export function readSwagger(version: string, root: string = schemaRoot()): Buffer {
  requireGo();
  const shared = process.env.CDK8S_AIRFLOW_GOMODCACHE === 'shared';
  // One scratch cache per process: two test files may generate at the same time on a cold cache, and one's
  // `go clean -modcache` must not delete the other's download.
  const scratch = path.join(path.dirname(root), `.gomod-scratch-${process.pid}`);
  const env = shared ? goEnv() : { ...goEnv(), GOMODCACHE: scratch };
  try {
    const out = execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@v${version}`], {
      cwd: os.tmpdir(),
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
    const info = JSON.parse(out) as { Dir?: string; Error?: string };
    if (info.Error || !info.Dir) throw new Error(`go mod download k8s.io/kubernetes@v${version}: ${info.Error ?? 'no Dir'}`);
    const p = path.join(info.Dir, 'api', 'openapi-spec', 'swagger.json');
    if (!fs.existsSync(p)) throw new Error(`${p} missing from module k8s.io/kubernetes@v${version}`);
    return fs.readFileSync(p);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`fetching the OpenAPI spec of Kubernetes v${version} failed: ${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`);
  } finally {
    if (!shared && fs.existsSync(scratch)) {
      // module files are read-only; go clean knows how to remove them
      execFileSync('go', ['clean', '-modcache'], { cwd: os.tmpdir(), env, stdio: 'ignore' });
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/**
 * The swagger.json of one version, kept under `<cache>/swagger/` after the first download (5 MB; only versions asked
 * for here are kept, e.g. the one src/values/k8s-definitions.json is extracted from). When the kubeconform schemas of
 * that version are cached, the kept bytes must be the ones they were generated from (the `.complete` stamp's sha256).
 */
export function cachedSwagger(version: string, root: string = schemaRoot()): Buffer {
  const file = path.join(path.dirname(root), 'swagger', `k8s-v${version}-swagger.json`);
  const stamp = path.join(root, `v${version}-standalone-strict`, '.complete');
  const expected = fs.existsSync(stamp) ? /swagger\.json sha256 ([0-9a-f]{64})/.exec(fs.readFileSync(stamp, 'utf8'))?.[1] : undefined;
  const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
  if (fs.existsSync(file)) {
    const kept = fs.readFileSync(file);
    if (expected === undefined || sha(kept) === expected) return kept;
  }
  const raw = readSwagger(version, root);
  if (expected !== undefined && sha(raw) !== expected) {
    throw new Error(`k8s.io/kubernetes@v${version} served a swagger.json (sha256 ${sha(raw)}) other than the one its cached schemas were generated from (${expected})`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, raw);
  fs.renameSync(tmp, file); // atomic: a half-written file is never read
  return raw;
}

/**
 * Newest patch per minor according to `go list -m -versions`, never older than
 * the pin. NOTE: the proxy's version list for k8s.io/kubernetes can be
 * incomplete (it omitted 1.27.x and 1.28.x entirely when this was written),
 * hence the max with the pinned table.
 */
export function latestVersions(minors: readonly string[]): string[] {
  requireGo();
  const out = execFileSync('go', ['list', '-m', '-versions', 'k8s.io/kubernetes'], {
    cwd: os.tmpdir(), env: goEnv(), encoding: 'utf8',
  });
  const listed = out.trim().split(/\s+/).slice(1).map((v) => v.replace(/^v/, '')).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const cmp = (a: string, b: string) => {
    const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  };
  return minors.map((m) => {
    const pinned = resolveVersion(m);
    const best = listed.filter((v) => v.startsWith(`${m}.`)).sort(cmp).pop();
    return best && cmp(best, pinned) > 0 ? best : pinned;
  });
}

// ---------------------------------------------------------------------------
// swagger 2.0 -> kubeconform standalone-strict JSON schemas
// ---------------------------------------------------------------------------

type Schema = Record<string, any>;
interface Gvk { group: string; version: string; kind: string }

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/** kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}.json` (pkg/registry/registry.go). */
export function schemaFileName(gvk: Gvk): string {
  const suffix = gvk.group ? `-${gvk.group.split('.')[0].toLowerCase()}-${gvk.version.toLowerCase()}` : `-${gvk.version.toLowerCase()}`;
  return `${gvk.kind.toLowerCase()}${suffix}.json`;
}

function nullable(s: Schema): Schema {
  if (typeof s.type === 'string') return { ...s, type: [s.type, 'null'] };
  return s;
}

class Expander {
  constructor(private readonly defs: Record<string, Schema>) {}

  /** Expands one schema; `stack` holds the definitions currently being inlined. */
  expand(node: Schema, stack: string[]): Schema {
    if (node.$ref) {
      const name = String(node.$ref).replace(/^#\/definitions\//, '');
      const { $ref, ...siblings } = node;
      if (name === INT_OR_STRING) return { ...siblings, oneOf: [{ type: 'string' }, { type: 'integer' }] };
      if (name === QUANTITY) return { ...siblings, oneOf: [{ type: 'string' }, { type: 'number' }] };
      if (stack.includes(name)) {
        return { ...siblings, $comment: `recursive reference to ${name} left permissive` };
      }
      const target = this.defs[name];
      if (!target) throw new Error(`unresolved $ref ${node.$ref}`);
      const expanded = this.expand(target, [...stack, name]);
      // keep the field's own description over the definition's
      return { ...expanded, ...siblings };
    }
    if (node.format === 'int-or-string') {
      const { format, type, ...rest } = node;
      return { ...rest, oneOf: [{ type: 'string' }, { type: 'integer' }] };
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && v && typeof v === 'object') {
        const required = new Set<string>(Array.isArray(node.required) ? node.required : []);
        const props: Schema = {};
        for (const [pn, ps] of Object.entries(v as Schema)) {
          const e = this.expand(ps as Schema, stack);
          props[pn] = required.has(pn) ? e : nullable(e);
        }
        out.properties = props;
      } else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && v && typeof v === 'object' && !Array.isArray(v)) {
        out[k] = this.expand(v as Schema, stack);
      } else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) {
        out[k] = v.map((x) => this.expand(x, stack));
      } else if (k.startsWith('x-kubernetes-') && k !== 'x-kubernetes-group-version-kind') {
        // vendor extensions are irrelevant for validation; drop to save disk
        continue;
      } else {
        out[k] = v;
      }
    }
    if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
  }
}

/** Converts a swagger.json document into `{ fileName: schema }`. */
export function convertSwagger(swagger: { definitions: Record<string, Schema> }): Map<string, Schema> {
  const defs = swagger.definitions;
  const ex = new Expander(defs);
  const files = new Map<string, Schema>();
  const entries = Object.entries(defs).filter(([, d]) => Array.isArray(d['x-kubernetes-group-version-kind']));
  // single-GVK definitions first, so shared types (DeleteOptions, WatchEvent)
  // never take a file name that a real resource owns
  entries.sort(([, a], [, b]) => a['x-kubernetes-group-version-kind'].length - b['x-kubernetes-group-version-kind'].length);
  for (const [name, def] of entries) {
    const base = ex.expand(def, [name]);
    delete base['x-kubernetes-group-version-kind'];
    for (const gvk of def['x-kubernetes-group-version-kind'] as Gvk[]) {
      const file = schemaFileName(gvk);
      if (files.has(file)) continue;
      const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      const schema: Schema = JSON.parse(JSON.stringify(base));
      schema.properties = schema.properties ?? {};
      schema.properties.apiVersion = { ...(schema.properties.apiVersion ?? { type: 'string' }), enum: [apiVersion] };
      schema.properties.kind = { ...(schema.properties.kind ?? { type: 'string' }), enum: [gvk.kind] };
      schema.$schema = 'http://json-schema.org/schema#';
      schema['x-kubernetes-group-version-kind'] = [gvk];
      files.set(file, schema);
    }
  }
  return files;
}

// ---------------------------------------------------------------------------
// cache handling
// ---------------------------------------------------------------------------

export interface GenerateResult {
  version: string;
  dir: string;
  files: number;
  cached: boolean;
  seconds: number;
}

function stampFor(version: string): string {
  return JSON.stringify({ module: `k8s.io/kubernetes@v${version}`, generator: GENERATOR_REVISION });
}

export function isGenerated(version: string, root: string = schemaRoot()): boolean {
  const stamp = path.join(root, `v${version}-standalone-strict`, '.complete');
  try {
    return fs.readFileSync(stamp, 'utf8').split('\n')[0] === stampFor(version);
  } catch {
    return false;
  }
}

/** Generates (or reuses) the strict schema directory for one full version. */
export function generateVersion(version: string, opts: { force?: boolean; root?: string } = {}): GenerateResult {
  const root = opts.root ?? schemaRoot();
  const dir = path.join(root, `v${version}-standalone-strict`);
  const t0 = Date.now();
  if (!opts.force && isGenerated(version, root)) {
    return { version, dir, files: fs.readdirSync(dir).filter((f) => f.endsWith('.json')).length, cached: true, seconds: 0 };
  }
  const raw = readSwagger(version, root);
  const files = convertSwagger(JSON.parse(raw.toString('utf8')));
  fs.mkdirSync(root, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(root, `.tmp-v${version}-`));
  for (const [name, schema] of files) fs.writeFileSync(path.join(tmp, name), JSON.stringify(schema));
  const sha = crypto.createHash('sha256').update(raw).digest('hex');
  fs.writeFileSync(path.join(tmp, '.complete'), `${stampFor(version)}\nswagger.json sha256 ${sha}\n`);
  if (!opts.force && isGenerated(version, root)) {
    // Another process published the same version meanwhile (and may be reading it): keep that one.
    fs.rmSync(tmp, { recursive: true, force: true });
    return { version, dir, files: files.size, cached: true, seconds: (Date.now() - t0) / 1000 };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir); // atomic publish: a half-written dir is never seen as complete
  return { version, dir, files: files.size, cached: false, seconds: (Date.now() - t0) / 1000 };
}

/** Ensures schemas for every requested version (default: all pinned). */
export function ensureSchemas(versions: readonly string[] = PINNED_K8S_VERSIONS, opts: { force?: boolean; root?: string } = {}): GenerateResult[] {
  return versions.map((v) => generateVersion(resolveVersion(v), opts));
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const latest = args.includes('--latest');
  const asked = args.filter((a) => !a.startsWith('--'));
  const minors = asked.length ? asked.map((a) => a.replace(/^v/, '').split('.').slice(0, 2).join('.')) : PINNED_K8S_VERSIONS.map((v) => v.split('.').slice(0, 2).join('.'));
  const versions = latest ? latestVersions(minors) : asked.length ? asked.map(resolveVersion) : [...PINNED_K8S_VERSIONS];
  const t0 = Date.now();
  for (const r of ensureSchemas(versions, { force })) {
    console.log(`v${r.version}: ${r.files} schemas ${r.cached ? '(cached)' : `generated in ${r.seconds.toFixed(1)}s`} -> ${r.dir}`);
  }
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  console.log(schemaRoot());
}
