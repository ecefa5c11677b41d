/**
 * Prints a string-valued expression as template text, the way it reads best in a `define`: literal text with
 * `{{ }}` for the parts that depend on values, `if`/`else` blocks for a condition the text depends on in several
 * places (each branch then simplified), `with` for a group of values the text reads many of, and long lines broken
 * between actions.
 */
import { Expr, GoContext, isExpr, NamedCondition, Op, operand, Ref, Val } from '../expr/core';
import { and, concat, ifElse, not, or } from '../expr/ops';
import { apply } from '../expr/core';
import { Include } from '../expr/tree';
import { TemplateWriter } from './print';

const MAX_LINE = 110;

/** Lines of template text that render to the string value of `x`. */
export function printText(x: Val<unknown>, ctx: GoContext, w: TemplateWriter): string[] {
  if (x instanceof Op && x.def.name === 'ternary') {
    // A choice between texts: an if / else if / else chain.
    const lines: string[] = [];
    let y: unknown = x;
    let first = true;
    while (y instanceof Op && y.def.name === 'ternary') {
      lines.push(`{{- ${first ? 'if' : 'else if'} ${w.cond(y.args[0] as Expr<boolean>, ctx)} -}}`, ...printText(y.args[1], ctx, w));
      first = false;
      y = y.args[2];
    }
    return [...lines, '{{- else -}}', ...printText(y, ctx, w), '{{- end -}}'];
  }
  const split = splitCondition(x);
  if (split) {
    return [
      `{{- if ${w.cond(split, ctx)} -}}`,
      ...printText(specialize(x, split, true), ctx, w),
      '{{- else -}}',
      ...printText(specialize(x, split, false), ctx, w),
      '{{- end -}}',
    ];
  }
  const prefix = ctx.dot === undefined ? sharedPrefix(x) : undefined;
  if (prefix) {
    const inner: GoContext = { ...ctx, root: ctx.root === '.' ? '$' : ctx.root, dot: prefix };
    return [`{{- with ${new Ref(prefix, 'map').go(ctx)} -}}`, ...printText(x, inner, w), '{{- end -}}'];
  }
  return wrap(inline(x, ctx, w));
}

/** The parts of one line: literal text and `{{ }}` actions. */
function inline(x: unknown, ctx: GoContext, w: TemplateWriter): string[] {
  if (!isExpr(x)) return [escape(x === undefined || x === null ? '' : String(x))];
  if (x instanceof Op && x.def.name === 'concat') return x.args.flatMap((p) => inline(p, ctx, w));
  if (x instanceof Op && x.def.name === 'ternary') {
    const [c, a, b] = x.args;
    const otherwise = inline(b, ctx, w);
    const empty = otherwise.length === 1 && otherwise[0] === '';
    return [`{{ if ${w.cond(c as Expr<boolean>, ctx)} }}`, ...inline(a, ctx, w), ...(empty ? [] : ['{{ else }}', ...otherwise]), '{{ end }}'];
  }
  w.pipe(x, ctx);
  const p = x.go(ctx);
  if (x.kind === 'int' && (x instanceof Ref || x instanceof Include)) return [`{{ ${operand(x, ctx)} | int64 }}`];
  return [`{{ ${p} }}`];
}

/** Joins parts into lines of at most MAX_LINE characters, breaking after an action (`-}}` eats the newline). */
function wrap(parts: string[]): string[] {
  const lines: string[] = [];
  let line = '';
  for (const p of parts.filter((x) => x !== '')) {
    const canBreak = line.endsWith('}}') && !/^\s/.test(p);
    if (canBreak && line.length + p.length > MAX_LINE) {
      lines.push(`${line.slice(0, -2)}-}}`);
      line = '';
    }
    line += p;
  }
  if (line) lines.push(line);
  return lines;
}

function escape(s: string): string {
  return s.replace(/\{\{/g, '{{ "{{" }}');
}

/** The boolean the text depends on in most places (two at least), to print as `if`/`else`. */
function splitCondition(x: unknown): Expr<boolean> | undefined {
  const counts = new Map<string, { c: Expr<boolean>; n: number }>();
  const visit = (y: unknown): void => {
    if (!(y instanceof Op)) return;
    if (y.def.name === 'ternary') {
      for (const c of conjuncts(y.args[0])) {
        const key = c.go({ root: '.', items: [] });
        const e = counts.get(key) ?? { c, n: 0 };
        e.n++;
        counts.set(key, e);
      }
    }
    y.args.forEach(visit);
  };
  visit(x);
  const best = [...counts.values()].filter((e) => e.n >= 2).sort((a, b) => b.n - a.n)[0];
  return best?.c;
}

/** The basic conditions a condition is made of (through and, or, not). */
function conjuncts(c: unknown): Expr<boolean>[] {
  if (c instanceof Op && ['and', 'or', 'not'].includes(c.def.name)) return c.args.flatMap(conjuncts);
  // Structural switches only: a named condition or a boolean value.
  return (c instanceof NamedCondition || (c instanceof Ref && c.kind === 'bool')) ? [c as Expr<boolean>] : [];
}

/** `x` with condition `c` known to be `value`, simplified. */
export function specialize(x: unknown, c: Expr<boolean>, value: boolean): unknown {
  const key = c.go({ root: '.', items: [] });
  const go = (y: unknown): unknown => {
    if (!isExpr(y)) return y;
    if (y.kind === 'bool' && y.go({ root: '.', items: [] }) === key) return value;
    if (y instanceof NamedCondition) {
      // A named condition the known one decides (e.g. "an external database with a CA" when it is embedded).
      const body = go(y.body);
      return isExpr(body) ? y : body;
    }
    if (!(y instanceof Op)) return y;
    const args = y.args.map(go);
    switch (y.def.name) {
      case 'ternary': return ifElse(args[0] as Val<boolean>, args[1], args[2]);
      case 'and': return and(...(args as Val<boolean>[]));
      case 'or': return or(...(args as Val<boolean>[]));
      case 'not': return not(args[0] as Val<boolean>);
      case 'concat': return concat(...(args as Val<string>[]));
      default: return apply(y.def, args);
    }
  };
  return go(x);
}

/** The deepest values group all of at least three values the text reads are in (printed inside `with`). */
function sharedPrefix(x: unknown): string | undefined {
  const paths: string[][] = [];
  let other = false;
  const visit = (y: unknown): void => {
    if (y instanceof Ref) paths.push(y.path.split('.').slice(0, -1));
    else if (y instanceof Op) y.args.forEach(visit);
    else if (isExpr(y)) other = true;
  };
  visit(x);
  if (paths.length < 3 || other) return undefined;
  const prefix: string[] = [];
  for (let i = 0; paths.every((p) => p.length > i && p[i] === paths[0][i]); i++) prefix.push(paths[0][i]);
  return prefix.length ? prefix.join('.') : undefined;
}
