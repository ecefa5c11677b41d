/**
 * README.md's "Default resources" table is computed from what the constructs synthesize, so it cannot drift: this
 * test renders it and compares it with the text between the README's markers (and prints the table to paste when
 * they differ).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Cornflow } from '../src';
import { Manifest, synthAirflow } from './util';

const README = path.join(__dirname, '..', 'README.md');
const BEGIN = '<!-- default-resources:begin -->';
const END = '<!-- default-resources:end -->';

const cpuMillis = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
const mebi = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

/** What the scheduler reserves for one pod: the larger of its biggest init container and the sum of its containers. */
function podRequest(spec: any): { cpu: number; memory: number; memoryLimit: number } {
  const sum = (cs: any[], f: (c: any) => number) => cs.reduce((a, c) => a + f(c), 0);
  const max = (cs: any[], f: (c: any) => number) => cs.reduce((a, c) => Math.max(a, f(c)), 0);
  const cpu = (c: any) => cpuMillis(c.resources.requests.cpu);
  const mem = (c: any) => mebi(c.resources.requests.memory);
  const lim = (c: any) => mebi(c.resources.limits.memory);
  const init = spec.initContainers ?? [];
  return {
    cpu: Math.max(max(init, cpu), sum(spec.containers, cpu)),
    memory: Math.max(max(init, mem), sum(spec.containers, mem)),
    memoryLimit: Math.max(max(init, lim), sum(spec.containers, lim)),
  };
}

const fmtCpu = (m: number) => (m % 1000 === 0 ? `${m / 1000}` : `${m}m`);
const fmtMem = (mi: number) => (mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`);

function table(): string {
  const defaults = synthAirflow();
  const optional = synthAirflow({ flower: { enabled: true }, metrics: { enabled: true }, cornflow: Cornflow.enabled() });
  const rows: string[] = ['| component | kind | replicas | CPU request / pod | memory request / limit per pod |', '|---|---|---|---|---|'];
  let cpu = 0;
  let memory = 0;
  const describe = (m: Manifest, note: string) => {
    const replicas = m.kind === 'Job' ? 1 : (m.spec.replicas ?? 1);
    const r = podRequest(m.spec.template.spec);
    const component = m.spec.template.metadata.labels['app.kubernetes.io/component'];
    rows.push(`| ${component}${note} | ${m.kind} | ${m.kind === 'Job' ? 'runs to completion' : replicas} | ${fmtCpu(r.cpu)} | ${fmtMem(r.memory)} / ${fmtMem(r.memoryLimit)} |`);
    return { replicas, r };
  };
  const workloads = (ms: Manifest[]) => ms.filter((m) => ['Deployment', 'StatefulSet'].includes(m.kind));
  for (const m of workloads(defaults)) {
    const { replicas, r } = describe(m, '');
    cpu += replicas * r.cpu;
    memory += replicas * r.memory;
  }
  const defaultNames = new Set(defaults.map((m) => m.metadata.name));
  for (const m of workloads(optional).filter((x) => !defaultNames.has(x.metadata.name))) describe(m, ' (optional)');
  for (const m of defaults.filter((x) => x.kind === 'Job')) describe(m, ' (Job)');
  return [
    ...rows,
    '',
    `A release on the defaults (CeleryExecutor, embedded PostgreSQL and Redis) requests **${cpu / 1000} CPU and ${memory / 1024} GiB memory** `
      + 'in its long-running pods, plus its Jobs while they run (install and upgrade).',
  ].join('\n');
}

test('README "Default resources" is what the constructs synthesize', () => {
  const text = fs.readFileSync(README, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const expected = table();
  const actual = text.slice(start + BEGIN.length, end).trim();
  if (actual !== expected) console.log(`README.md default resources should read:\n${BEGIN}\n${expected}\n${END}`);
  expect(actual).toBe(expected);
});
