/**
 * The emitted chart reads like one written by hand (issue 12, acceptance 1), checked over every file of
 * charts/airflow/templates (the helpers included): size, line length, condition length, no double negation, no `if`
 * inside an identical `if`, every condition used in more than one place a named helper, and the repeated blocks
 * (labels, security contexts) from helpers.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { CHART_DIR } from './helm';

const TEMPLATES = join(CHART_DIR, 'templates');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

const TEXTS = new Map(files(TEMPLATES).map((f) => [relative(TEMPLATES, f), readFileSync(f, 'utf8')]));

/** Every `if` / `else if` condition with its file and line. */
function conditions(): { file: string; line: number; cond: string; depth: string[] }[] {
  const out: { file: string; line: number; cond: string; depth: string[] }[] = [];
  for (const [file, text] of TEXTS) {
    const stack: string[] = [];
    text.split('\n').forEach((l, i) => {
      for (const m of l.matchAll(/\{\{-?\s*(if|else if|with|range|end|define|else)\b\s*(.*?)\s*-?\}\}/g)) {
        const [, kw, rest] = m;
        if (kw === 'if' || kw === 'else if') out.push({ file, line: i + 1, cond: rest, depth: [...stack] });
        if (kw === 'if' || kw === 'with' || kw === 'range' || kw === 'define') stack.push(kw === 'if' ? rest : `${kw} ${rest}`);
        if (kw === 'else if') stack[stack.length - 1] = rest;
        if (kw === 'end') stack.pop();
      }
    });
  }
  return out;
}

describe('charts/airflow/templates read like a hand-written chart', () => {
  test('walks every template', () => {
    expect(TEXTS.size).toBeGreaterThan(40);
    expect(TEXTS.has('_helpers.tpl')).toBe(true);
  });

  test('no file is over 15 KB', () => {
    const big = [...TEXTS].filter(([, t]) => Buffer.byteLength(t) > 15 * 1024).map(([f, t]) => `${f}: ${Buffer.byteLength(t)} B`);
    expect(big).toEqual([]);
  });

  test('no line is over 160 characters', () => {
    const long = [...TEXTS].flatMap(([f, t]) => t.split('\n').map((l, i) => ({ f, i, l })).filter(({ l }) => l.length > 160))
      .map(({ f, i, l }) => `${f}:${i + 1} (${l.length}) ${l.slice(0, 100)}...`);
    expect(long).toEqual([]);
  });

  test('no condition is over 120 characters', () => {
    expect(conditions().filter((c) => c.cond.length > 120).map((c) => `${c.file}:${c.line} (${c.cond.length}) ${c.cond}`)).toEqual([]);
  });

  test('no double negation', () => {
    expect([...TEXTS].filter(([, t]) => /not \(not |not \(empty /.test(t)).map(([f]) => f)).toEqual([]);
  });

  test('no if inside an identical if', () => {
    expect(conditions().filter((c) => c.depth.includes(c.cond)).map((c) => `${c.file}:${c.line} ${c.cond}`)).toEqual([]);
  });

  test('every condition used in more than one place is a named helper (or a single value)', () => {
    const simple = /^(not )?(\.|\$)[A-Za-z0-9_.]+$|^(not \()?include "[^"]+" [.$][A-Za-z.]*\)?$|^empty [.$][A-Za-z0-9_.]+$/;
    const uses = new Map<string, string[]>();
    for (const c of conditions()) {
      if (simple.test(c.cond)) continue;
      uses.set(c.cond, [...(uses.get(c.cond) ?? []), `${c.file}:${c.line}`]);
    }
    expect([...uses].filter(([, at]) => at.length > 1).map(([cond, at]) => `${cond} at ${at.join(', ')}`)).toEqual([]);
  });

  test('labels and security contexts come from helpers', () => {
    for (const [f, t] of TEXTS) {
      if (f === '_helpers.tpl' || f === 'NOTES.txt' || f === 'validate.yaml') continue;
      expect({ f, literalLabels: /^\s*app\.kubernetes\.io\/name:/m.test(t) }).toEqual({ f, literalLabels: false });
      expect({ f, literalSecurityContext: /^\s*(runAsNonRoot|allowPrivilegeEscalation):/m.test(t) }).toEqual({ f, literalSecurityContext: false });
    }
  });
});
