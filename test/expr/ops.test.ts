/**
 * Every operator's TypeScript evaluation agrees with its Go text as the real helm binary runs it, on generated inputs
 * (issue 12: "every operator is tested for agreement with the real helm binary"). All cases are rendered in one
 * chart made of the emitted chart's helpers and one template printing each case's result as JSON, then compared with
 * `evaluate` of the same expression over the same values.
 */
import { spawnSync } from 'child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { imageReference, imageVersion } from '../../src/components/image-spec';
import { podHash } from '../../src/components/jobs';
import { spreadAcrossNodes } from '../../src/components/workload';
import { hardenExtraContainers } from '../../src/security/pod-security';
import { Env, Expr, Kind, Ref, ReleaseField, TOP } from '../../src/expr/core';
import {
  add, and, concat, eq, ge, goJson, gt, ifElse, isEmpty, isNumber, isSet, join as joinOp, mebibytes, ne, not, or, orDefault, sha256, toJson,
} from '../../src/expr/ops';
import { urlPort } from '../../src/values/inputs';
import { random } from '../helm/combinations';
import { asciiJson, CHART_DIR, helmBinary } from '../helm/helm';

const rnd = random(4242);
const int = (max = 100) => Math.floor(rnd() * max);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
const text = () => pick(['', 'a', 'x-y', 'Ünïcödé', 'per%cent', 'quote"s', "it's", '<a&b>', 'line\nbreak', '{{ jinja }}', 'tab\there', '\u2028sep']);

interface Case {
  readonly name: string;
  /** Builds the expression from references to the case's arguments. */
  readonly expr: (ref: (i: number, kind: Kind) => Expr) => Expr;
  readonly args: unknown[];
  /** How the result is read: as an integer, as YAML text, or as it is. */
  readonly read?: 'int' | 'yaml' | 'yamlList';
}

const cases: Case[] = [];
const add_ = (name: string, n: number, make: () => Omit<Case, 'name'>) => {
  for (let i = 0; i < n; i++) cases.push({ name: `${name} ${i}`, ...make() });
};

add_('concat', 25, () => {
  const parts = Array.from({ length: 1 + int(4) }, () => pick<unknown>([text(), int(), 1000000 + int(10), 0, true, false]));
  const lit = parts.map(() => rnd() < 0.4);
  lit[0] = false;
  return {
    args: parts,
    expr: (ref) => concat(...parts.map((p, i) => (lit[i] && typeof p !== 'boolean' ? p as string | number
      : ref(i, typeof p === 'number' ? 'int' : typeof p === 'boolean' ? 'bool' : 'string') as Expr<string>))) as Expr,
  };
});
for (const [name, f] of [['eq', eq], ['ne', ne]] as const) {
  add_(name, 10, () => {
    const kind = pick(['int', 'string', 'bool'] as const);
    const gen = () => (kind === 'int' ? int(3) : kind === 'bool' ? rnd() < 0.5 : pick(['a', 'b']));
    const [a, b] = [gen(), gen()];
    return { args: [a, b], expr: (ref) => f(ref(0, kind) as Expr<any>, rnd() < 0.5 ? b : ref(1, kind) as Expr<any>) as Expr };
  });
}
for (const [name, f] of [['gt', gt], ['ge', ge]] as const) add_(name, 10, () => ({ args: [int(5), int(5)], expr: (ref) => f(ref(0, 'int') as Expr<number>, ref(1, 'int') as Expr<number>) as Expr }));
for (const [name, f] of [['and', and], ['or', or]] as const) {
  add_(name, 10, () => {
    const xs = Array.from({ length: 2 + int(3) }, () => rnd() < 0.5);
    return { args: xs, expr: (ref) => f(...xs.map((_, i) => ref(i, 'bool') as Expr<boolean>)) as Expr };
  });
}
add_('not', 4, () => ({ args: [rnd() < 0.5], expr: (ref) => not(ref(0, 'bool') as Expr<boolean>) as Expr }));
add_('ternary', 12, () => {
  const [a, b] = [pick<unknown>([text(), int()]), pick<unknown>([text(), int()])];
  return { args: [rnd() < 0.5, a, b], expr: (ref) => ifElse(ref(0, 'bool') as Expr<boolean>, ref(1, typeof a === 'number' ? 'int' : 'string'), ref(2, typeof b === 'number' ? 'int' : 'string')) as Expr };
});
add_('default', 16, () => {
  const kind = pick(['string', 'int', 'list', 'map', 'bool'] as const);
  const gen = (empty: boolean) => ({ string: empty ? '' : text(), int: empty ? 0 : 1 + int(), list: empty ? [] : [text()], map: empty ? {} : { k: text() }, bool: !empty }[kind]);
  return { args: [gen(rnd() < 0.5), gen(false)], expr: (ref) => orDefault(ref(0, kind), ref(1, kind)) as Expr };
});
add_('add', 10, () => {
  const xs = Array.from({ length: 2 + int(2) }, () => int(2000000));
  return { args: xs, expr: (ref) => add(...xs.map((_, i) => ref(i, 'int') as Expr<number>)) as Expr, read: 'int' };
});
add_('join', 8, () => {
  const xs = Array.from({ length: int(4) }, () => text());
  return { args: [xs, pick([',', ' ', ''])], expr: (ref) => joinOp(ref(0, 'list') as Expr<string[]>, pick([',', ' '])) as Expr };
});
add_('sha256', 6, () => ({ args: [text() + text()], expr: (ref) => sha256(ref(0, 'string') as Expr<string>) as Expr }));
add_('isSet', 10, () => {
  const x = pick<unknown>(['', 'x', 0, 7, [], [1], {}, { a: 1 }, true, false, null]);
  return { args: [x], expr: (ref) => (rnd() < 0.5 ? isSet : isEmpty)(ref(0, 'any')) as Expr };
});
add_('toJson', 12, () => {
  const m = { [text()]: text(), b: [int(), 1000000, true, null, { z: 1, a: [] }], 'Ä': 'é', a: 0.5 };
  return { args: [m], expr: (ref) => toJson(ref(0, 'map')) as Expr };
});
add_('isNumber', 4, () => ({ args: [pick<unknown>([null, 0, 3600, 1000000])], expr: (ref) => isNumber(ref(0, 'any')) as Expr }));
add_('mebibytes', 6, () => ({ args: [`${int(100000)}Mi`], expr: (ref) => mebibytes(ref(0, 'string') as Expr<string>) as Expr, read: 'int' }));
const image = () => ({
  registry: pick(['', 'registry.example.org:5000', 'r.example']),
  repository: pick(['apache/airflow', 'team/x', 'postgres']),
  tag: pick(['', '3.3.2', '17.11-bookworm']),
  digest: pick(['', `sha256:${'ab'.repeat(32)}`]),
  pullPolicy: 'IfNotPresent',
});
add_('imageReference', 10, () => {
  const i = image();
  if (!i.tag && !i.digest) i.tag = '1.0';
  return { args: [i], expr: (ref) => imageReference(ref(0, 'map') as Expr<any>) as Expr };
});
add_('imageVersion', 8, () => {
  const i = image();
  if (!i.tag && !i.digest) i.digest = `sha256:${'cd'.repeat(32)}`;
  return { args: [i], expr: (ref) => imageVersion(ref(0, 'map') as Expr<any>) as Expr };
});
add_('affinity', 12, () => {
  const affinity = pick<Record<string, unknown>>([{}, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
    { podAntiAffinity: {} }, { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] }, podAffinity: { x: 1 } }]);
  const component = pick(['scheduler', 'api-server']);
  const selector = { 'app.kubernetes.io/name': 'airflow', 'app.kubernetes.io/instance': 'rel', 'app.kubernetes.io/component': component };
  return {
    args: [{ affinity, replicas: pick([0, 1, 2, 5]) }],
    expr: (ref) => spreadAcrossNodes(ref(0, 'map') as Expr<any>, component, selector) as Expr,
    read: 'yaml',
  };
});
add_('hardenedContainers', 10, () => {
  const container = () => pick<Record<string, unknown>>([
    { name: 'a', image: 'busybox:1.36' },
    { name: 'b', image: 'x:1', securityContext: { runAsUser: 0, privileged: true }, ports: [{ containerPort: 9102 }] },
    { name: 'c', image: 'y:2', command: [text()], resources: { requests: { cpu: '10m' } } },
  ]);
  const list = Array.from({ length: int(3) }, container);
  const [user, group, writable] = [pick([50000, 10001]), pick([0, 10002]), rnd() < 0.5];
  return {
    args: [list, user, group, writable],
    expr: (ref) => hardenExtraContainers(ref(0, 'list') as Expr<unknown[]>, ref(1, 'int') as Expr<number>, ref(2, 'int') as Expr<number>, ref(3, 'bool') as Expr<boolean>) as Expr,
    read: 'yamlList',
  };
});
add_('urlPort', 12, () => {
  const url = pick(['ldaps://ldap.example.org', 'ldap://10.0.0.7:1389', 'ldaps://[::1]:6636', 'https://sso.example.org:8443/realms/x/.well-known/openid-configuration',
    'https://sso.example.org/x:99', 'https://kc.example.org/auth']);
  return { args: [url, pick([389, 443, 636])], expr: (ref) => urlPort(ref(0, 'string') as Expr<string>, ref(1, 'int') as Expr<number>) as Expr, read: 'int' };
});
add_('podHash', 8, () => ({
  args: [{ metadata: { labels: { a: text() } }, spec: { x: [int(), 1000000, true], y: { z: text() } } }],
  expr: (ref) => podHash(ref(0, 'map')) as Expr,
}));

describe('operators agree with helm', () => {
  const values: Record<string, unknown> = {};
  const exprs = cases.map((c, i) => {
    values[`c${i}`] = Object.fromEntries(c.args.map((a, j) => [`a${j}`, a]));
    return c.expr((j, kind) => new Ref(`cases.c${i}.a${j}`, kind));
  });
  const env: Env = { values: { cases: values }, release: { Name: 'rel', Namespace: 'ns', Service: 'Helm' } };
  let rendered: Record<string, unknown>;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-'));
    try {
      mkdirSync(join(dir, 'templates'));
      writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: ops\nversion: 0.0.1\n');
      // The emitted chart's helpers (the operators' defines among them).
      for (const f of readdirSync(join(CHART_DIR, 'templates')).filter((x) => x.endsWith('.tpl'))) cpSync(join(CHART_DIR, 'templates', f), join(dir, 'templates', f));
      const lines = exprs.map((e, i) => {
        const read = cases[i].read === 'int' ? ' | int64' : cases[i].read === 'yaml' ? ' | fromYaml' : cases[i].read === 'yamlList' ? ' | fromYamlArray' : '';
        return `c${i}: {{ ${e.go(TOP)}${read} | toJson | quote }}`;
      });
      writeFileSync(join(dir, 'templates', 'cases.yaml'), `${lines.join('\n')}\n`);
      writeFileSync(join(dir, 'values.json'), asciiJson({ cases: values }));
      const r = spawnSync(helmBinary(), ['template', 'rel', dir, '--namespace', 'ns', '--values', join(dir, 'values.json')], { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(r.stderr);
      rendered = Object.fromEntries(r.stdout.split('\n').filter((l) => /^c\d+: /.test(l)).map((l) => {
        const [k, v] = [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)];
        return [k, JSON.parse(JSON.parse(v))];
      }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('covers every operator with generated inputs', () => {
    expect(new Set(cases.map((c) => c.name.split(' ')[0])).size).toBeGreaterThanOrEqual(20);
    expect(cases.length).toBeGreaterThan(200);
  });

  test.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const expected = exprs[i].evaluate(env);
    expect({ args: cases[i].args, go: exprs[i].go(TOP), result: rendered[`c${i}`] }).toEqual({ args: cases[i].args, go: exprs[i].go(TOP), result: expected });
  });

  test('goJson writes what Helm\'s toJson writes (sorted keys, <>& and line separators escaped)', () => {
    expect(goJson({ b: '<a&b>', a: '\u2028', 'Ä': 1, Z: [1, 'x'] })).toBe('{"Z":[1,"x"],"a":"\\u2028","b":"\\u003ca\\u0026b\\u003e","Ä":1}');
    expect(new ReleaseField('Name').evaluate(env)).toBe('rel');
  });
});
