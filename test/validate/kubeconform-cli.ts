#!/usr/bin/env node
/**
 * `kubeconform` wrapper for this repo: runs the pinned kubeconform binary
 * (resolved/built by `.ci/tools/kubeconform.sh`) against our offline schemas.
 *
 *   npx ts-node --transpileOnly test/validate/kubeconform-cli.ts -strict -summary dist/*.k8s.yaml
 *   npx ts-node --transpileOnly test/validate/kubeconform-cli.ts -kubernetes-version 1.30 -strict dist/
 *
 * Arguments pass through unchanged, except:
 *  - without `-schema-location`, our cache (`test/validate/generate-schemas.ts`)
 *    is used and the needed versions are generated first (offline, cached);
 *  - without `-kubernetes-version`, the newest pinned Kubernetes version is
 *    used (kubeconform's own default, "master", does not exist offline);
 *  - a bare minor (`-kubernetes-version 1.30`) maps to its pinned patch;
 *  - with our default schemas `-strict` is always on (only strict schemas are
 *    generated).
 * The wrapper also works from the compiled JS (lib/test/validate/...).
 * Exit code is kubeconform's.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ensureSchemas, PINNED_K8S_VERSIONS, resolveVersion, schemaLocationTemplate } from './generate-schemas';

/** Walks up from this file to the repo root (the folder holding .ci/tools/kubeconform.sh). */
export function findRepoRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, '.ci', 'tools', 'kubeconform.sh'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`.ci/tools/kubeconform.sh not found above ${start}`);
    dir = up;
  }
}

/** Set while kubeconform.sh runs on our behalf; finding it set on entry means the wrapper is calling itself. */
const RECURSION_GUARD = 'CDK8S_AIRFLOW_KUBECONFORM_WRAPPER';

/**
 * PATH without the folders whose `kubeconform` is this repository's npm bin (bin/kubeconform, i.e. this wrapper).
 * Under `npx`, `npm exec` and `npm run`, npm puts node_modules/.bin (and its npx cache's .bin) first on PATH;
 * kubeconform.sh accepts "a kubeconform on PATH" and runs it with `-v` to read its version, so without this
 * it ran the wrapper, which ran kubeconform.sh, which ran the wrapper ... forever (the `npx kubeconform` hang).
 */
export function pathWithoutWrapper(envPath: string = process.env.PATH ?? ''): string {
  return envPath.split(path.delimiter).filter((dir) => !isScript(path.join(dir, 'kubeconform'))).join(path.delimiter);
}

/**
 * A `#!` script rather than a compiled program. kubeconform is a Go binary, so a script named kubeconform is a
 * wrapper: this one (possibly an older copy linked from npm's npx cache), or a version-manager shim; both are skipped.
 */
function isScript(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(2);
    return fs.readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
  } catch {
    return false; // no kubeconform in this folder
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Absolute path of the pinned kubeconform binary (builds it once via Go). */
export function kubeconformBinary(repoRoot: string = findRepoRoot()): string {
  const out = execFileSync('bash', [path.join(repoRoot, '.ci', 'tools', 'kubeconform.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PATH: pathWithoutWrapper(), [RECURSION_GUARD]: '1' },
  });
  return out.trim().split('\n').pop()!;
}

/** Flag value for `-name v`, `--name v`, `-name=v` or `--name=v`; undefined when absent. */
function flagValues(args: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(args[i]);
    if (!m || m[1] !== name) continue;
    if (m[2] !== undefined) values.push(m[2]);
    else if (i + 1 < args.length) values.push(args[++i]);
  }
  return values;
}

/** Returns the argument list kubeconform should get, plus the k8s versions whose schemas we must have. */
export function buildArgs(userArgs: string[]): { args: string[]; ensureVersions: string[] } {
  const args: string[] = [];
  // normalise `-kubernetes-version 1.30` -> pinned patch
  for (let i = 0; i < userArgs.length; i++) {
    const a = userArgs[i];
    const m = /^(--?kubernetes-version)(?:=(.*))?$/.exec(a);
    if (!m) { args.push(a); continue; }
    const raw = m[2] ?? userArgs[++i];
    const v = raw === undefined || raw === 'master' ? raw : resolveVersion(raw);
    args.push(m[1], v ?? '');
  }
  let versions = flagValues(args, 'kubernetes-version');
  if (versions.length === 0 && !args.includes('-h') && !args.includes('-v')) {
    const newest = PINNED_K8S_VERSIONS[PINNED_K8S_VERSIONS.length - 1];
    args.unshift('-kubernetes-version', newest);
    versions = [newest];
  }
  if (flagValues(args, 'schema-location').length > 0) return { args, ensureVersions: [] };
  args.unshift('-schema-location', schemaLocationTemplate());
  // Only "-standalone-strict" schemas are generated, so validation against our
  // cache is always strict (non-strict would look in "-standalone/" and find nothing).
  if (!args.some((a) => /^--?strict(=true)?$/.test(a)) && !args.includes('-h') && !args.includes('-v')) {
    if (args.some((a) => /^--?strict=false$/.test(a))) {
      throw new Error('only strict schemas are generated offline; drop -strict=false or pass your own -schema-location');
    }
    args.unshift('-strict');
  }
  return { args, ensureVersions: versions.filter((v) => v && v !== 'master') };
}

export function main(argv: string[] = process.argv.slice(2)): number {
  if (process.env[RECURSION_GUARD]) {
    throw new Error(`called from .ci/tools/kubeconform.sh (${RECURSION_GUARD} is set): a kubeconform on PATH is this wrapper; `
      + 'put the real kubeconform first on PATH or remove the wrapper from it');
  }
  const { args, ensureVersions } = buildArgs(argv);
  if (ensureVersions.length) ensureSchemas(ensureVersions);
  const bin = kubeconformBinary();
  const r = spawnSync(bin, args, { stdio: 'inherit' });
  if (r.error) throw r.error;
  return r.status ?? (r.signal ? 128 : 1);
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (e) {
    console.error(`kubeconform wrapper: ${(e as Error).message}`);
    process.exitCode = 2;
  }
}
