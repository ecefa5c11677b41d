/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`, or `npm run bench -- --cpu-prof <dir>`): the functions with the most
 * self time, the most inclusive time (a function counted once per sample even when recursive), and self time per
 * package. The summary function is pure; the CLI reads files.
 *
 *   node lib/test/bench/profile-summary.js <file.cpuprofile> [top]
 */
import * as fs from 'fs';

/** The parts of the .cpuprofile format (Chrome DevTools protocol `Profiler.Profile`) this summary reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }>;
  readonly samples: readonly number[];
  /** Microseconds since the previous sample. */
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly self: ProfileEntry[];
  readonly inclusive: ProfileEntry[];
  readonly byPackage: ProfileEntry[];
}

/** `node_modules/cdk8s/lib/app.js` -> `cdk8s`, `node:internal/...` -> `node`, our files -> `(project)`, `(gc)`... */
export function packageOf(url: string): string {
  if (!url) return '(vm)';
  if (url.startsWith('node:')) return 'node';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(url);
  return m ? m[1] : '(project)';
}

function frameName(f: CpuProfile['nodes'][number]['callFrame']): string {
  const where = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '');
  return `${f.functionName || '(anonymous)'} ${where}${where ? `:${f.lineNumber + 1}` : ''}`;
}

function top(map: Map<string, number>, total: number, n: number): ProfileEntry[] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: us / 1000, share: total ? us / total : 0 }));
}

/** Self, inclusive and per-package time of a profile, `n` entries each, heaviest first. */
export function summarizeProfile(profile: CpuProfile, n = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const x of profile.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  for (const [id, us] of perNode) {
    const leaf = byId.get(id);
    if (!leaf) continue;
    total += us;
    const name = frameName(leaf.callFrame);
    self.set(name, (self.get(name) ?? 0) + us);
    // Node's own and native frames count for the nearest package frame above them: the code that asked for the work.
    // Samples with no such frame are the VM's ((idle), (garbage collector), (program)) or node's own (start-up).
    let owner: number | undefined = id;
    while (owner !== undefined && /^(node:.*)?$/.test(byId.get(owner)!.callFrame.url)) owner = parent.get(owner);
    const vm = !leaf.callFrame.url && leaf.callFrame.functionName.startsWith('(');
    const pkg = owner !== undefined ? packageOf(byId.get(owner)!.callFrame.url) : vm ? leaf.callFrame.functionName : 'node';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = frameName(byId.get(cur)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  return { totalMs: total / 1000, self: top(self, total, n), inclusive: top(inclusive, total, n), byPackage: top(byPackage, total, n) };
}

/** Plain-text rendering of a summary. */
export function renderProfileSummary(s: ProfileSummary): string {
  const section = (title: string, rows: ProfileEntry[]) => [
    `== ${title} (of ${s.totalMs.toFixed(0)} ms sampled)`,
    ...rows.map((r) => `${r.ms.toFixed(0).padStart(8)} ms ${(100 * r.share).toFixed(1).padStart(5)}%  ${r.name}`),
  ].join('\n');
  return [section('time by package (node internals count for the package that called them)', s.byPackage), section('self time', s.self), section('inclusive time', s.inclusive)].join('\n\n');
}

if (require.main === module) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node lib/test/bench/profile-summary.js <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${renderProfileSummary(summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')), n ? Number(n) : 25))}\n`);
}
