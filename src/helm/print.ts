/**
 * Prints object trees (plain JSON plus the nodes of src/expr) as Helm template text: expressions become `{{ }}`
 * actions, conditional entries and items `if` blocks, user maps and lists `with` + `toYaml`, lists built per element
 * `range`, named templates `include`. Every control action is on a line of its own and trims the newline before it,
 * so the text reads like a hand-written chart and renders to the same YAML as the tree evaluated in TypeScript.
 */
import { stringify } from 'yaml';
import { Expr, GoContext, goPipeline, isExpr, NamedCondition, NamedValue, Op, operand, ReleaseField, TOP } from '../expr/core';
import { Include, ItemGroup, NonEmpty, Range, Spread, SPREAD, walkExprs, When } from '../expr/tree';

/** Lines of template text being written, and what the printing found along the way. */
export class TemplateWriter {
  public readonly lines: string[] = [];
  /** Named templates and conditions the text includes, by name. */
  public readonly includes = new Map<string, Include | NamedCondition | NamedValue>();

  /** Conditions known to hold where the text is printed (the object's scope): not tested again. */
  private assumed = new Set<string>();

  constructor(public readonly ctx: GoContext = TOP) {}

  /** Prints what follows knowing `conds` hold. */
  public assume(conds: Expr<boolean>[]): void {
    this.assumed = new Set(conds.flatMap((c) => (c instanceof NamedCondition && isExpr(c.body) ? [c.go(TOP), c.body.go(TOP)] : [c.go(TOP)])));
  }

  /** Whether `c` is known to hold here. */
  private known(c: Expr<boolean>): boolean {
    return this.assumed.has(c.go(TOP)) || (c instanceof NamedCondition && isExpr(c.body) && this.assumed.has(c.body.go(TOP)));
  }

  /** Prints the entries of a map at `indent`. */
  public map(node: Record<string, unknown>, indent: number, ctx: GoContext = this.ctx): void {
    const entries = Object.entries(node).filter(([, v]) => v !== undefined);
    const spreads = ((node as any)[SPREAD] ?? []) as Spread[];
    for (const s of spreads.filter((x) => x.first)) this.spread(s, indent, ctx);
    for (const [k, v] of entries) this.entry(k, v, indent, ctx);
    for (const s of spreads.filter((x) => !x.first)) this.spread(s, indent, ctx);
  }

  /** The entries of a map value (or the items of a list value) at `indent`. */
  private spread(s: Spread, indent: number, ctx: GoContext): void {
    if (s.value instanceof Include) {
      this.control(indent, `${this.block(s.value, ctx)} | nindent ${indent}`);
      return;
    }
    this.control(indent, `with ${this.pipe(s.value, ctx)}`);
    this.control(indent, `toYaml . | nindent ${indent}`);
    this.control(indent, 'end');
  }

  /** Prints one `key: value` entry (or nothing, or a conditional block). */
  public entry(key: string, value: unknown, indent: number, ctx: GoContext): void {
    const pad = ' '.repeat(indent);
    const k = yamlKey(key);
    if (value === undefined) return;
    if (value instanceof When && this.known(value.cond)) {
      this.entry(key, value.then, indent, ctx);
      return;
    }
    if (value instanceof When) {
      const direct = withTarget(value);
      if (direct) {
        this.control(indent, `with ${this.pipe(direct, ctx)}`);
        this.lines.push(`${pad}${k}:`);
        this.control(indent + 2, `${isYamlText(direct) ? '.' : 'toYaml .'} | nindent ${indent + 2}`);
        this.control(indent, 'end');
        return;
      }
      let w: When | undefined = value;
      let first = true;
      while (w) {
        this.control(indent, `${first ? 'if' : 'else if'} ${this.cond(w.cond, ctx)}`);
        this.entry(key, w.then, indent, ctx);
        first = false;
        const next: unknown = w.otherwise;
        if (next instanceof When && !withTarget(next)) { w = next; continue; }
        if (next !== undefined) {
          this.control(indent, 'else');
          this.entry(key, next, indent, ctx);
        }
        w = undefined;
      }
      this.control(indent, 'end');
      return;
    }
    if (isExpr(value)) {
      if (isBlock(value)) {
        this.lines.push(`${pad}${k}:`);
        this.control(indent + 2, `${this.block(value, ctx)} | nindent ${indent + 2}`);
      } else {
        this.lines.push(`${pad}${k}: ${this.scalar(value, ctx)}`);
      }
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) { this.lines.push(`${pad}${k}: []`); return; }
      const always = value.some(isUnconditional) || this.known(listPresence(value));
      if (!always) {
        this.control(indent, `if ${this.cond(listPresence(value), ctx)}`);
        this.lines.push(`${pad}${k}:`);
        this.list(value, indent + 2, ctx);
        this.control(indent, 'else');
        this.lines.push(`${pad}${k}: []`);
        this.control(indent, 'end');
        return;
      }
      this.lines.push(`${pad}${k}:`);
      this.list(value, indent + 2, ctx);
      return;
    }
    if (value !== null && typeof value === 'object') {
      const own = Object.values(value).filter((v) => v !== undefined);
      const spreads = ((value as any)[SPREAD] ?? []) as Spread[];
      if (own.length === 0 && spreads.length === 0) { this.lines.push(`${pad}${k}: {}`); return; }
      if (!own.some(isUnconditional) && !spreads.some(isUnconditional)) {
        this.control(indent, `if ${this.cond(mapPresence(value as Record<string, unknown>), ctx)}`);
        this.lines.push(`${pad}${k}:`);
        this.map(value as Record<string, unknown>, indent + 2, ctx);
        this.control(indent, 'else');
        this.lines.push(`${pad}${k}: {}`);
        this.control(indent, 'end');
        return;
      }
      this.lines.push(`${pad}${k}:`);
      this.map(value as Record<string, unknown>, indent + 2, ctx);
      return;
    }
    if (isBlockText(value)) {
      const b = blockScalar(value, indent + 2);
      this.lines.push(`${pad}${k}: ${b.header}`, ...b.lines);
      return;
    }
    this.lines.push(`${pad}${k}: ${yamlScalar(value)}`);
  }

  /** Prints the items of a list at `indent`. */
  public list(items: unknown[], indent: number, ctx: GoContext = this.ctx): void {
    const pad = ' '.repeat(indent);
    for (const item of items) {
      if (item === undefined) continue;
      if (item instanceof Spread) {
        this.spread(item, indent, ctx);
        continue;
      }
      if (item instanceof Range) {
        this.control(indent, `range ${this.pipe(item.list, ctx)}`);
        this.list([item.body], indent, rebind(ctx, true));
        this.control(indent, 'end');
        continue;
      }
      if (item instanceof When && this.known(item.cond)) {
        this.list(item.then instanceof ItemGroup ? item.then.items : [item.then], indent, ctx);
        continue;
      }
      if (item instanceof When) {
        this.control(indent, `if ${this.cond(item.cond, ctx)}`);
        this.list(item.then instanceof ItemGroup ? item.then.items : [item.then], indent, ctx);
        if (item.otherwise !== undefined) {
          this.control(indent, 'else');
          this.list([item.otherwise], indent, ctx);
        }
        this.control(indent, 'end');
        continue;
      }
      if (isExpr(item)) {
        if (isBlock(item)) {
          this.lines.push(`${pad}-`);
          this.control(indent + 2, `${this.block(item, ctx)} | nindent ${indent + 2}`);
        } else {
          this.lines.push(`${pad}- ${this.scalar(item, ctx)}`);
        }
        continue;
      }
      if (Array.isArray(item)) {
        this.lines.push(`${pad}-`);
        this.list(item, indent + 2, ctx);
        continue;
      }
      if (item !== null && typeof item === 'object') {
        const entries = Object.entries(item).filter(([, v]) => v !== undefined);
        const first = entries[0];
        const inline = first && isInlineable(first[1]);
        if (!inline) {
          if (entries.length === 0 && !((item as any)[SPREAD] ?? []).length) { this.lines.push(`${pad}- {}`); continue; }
          this.lines.push(`${pad}-`);
          this.map(item as Record<string, unknown>, indent + 2, ctx);
          continue;
        }
        const start = this.lines.length;
        this.entry(first[0], first[1], indent + 2, ctx);
        this.lines[start] = `${pad}- ${this.lines[start].slice(indent + 2)}`;
        const rest: Record<string, unknown> = Object.fromEntries(entries.slice(1));
        (rest as any)[SPREAD] = (item as any)[SPREAD];
        this.map(rest, indent + 2, ctx);
        continue;
      }
      if (isBlockText(item)) {
        const b = blockScalar(item, indent + 2);
        this.lines.push(`${pad}- ${b.header}`, ...b.lines);
        continue;
      }
      this.lines.push(`${pad}- ${yamlScalar(item)}`);
    }
  }

  /** `{{- <text> }}` on a line of its own. */
  public control(indent: number, text: string): void {
    this.lines.push(`${' '.repeat(indent)}{{- ${text} }}`);
  }

  /** A condition as the `if` argument. */
  public cond(c: Expr<boolean>, ctx: GoContext): string {
    this.collect(c);
    return truthText(c, ctx, true);
  }

  /** A value as a pipeline. */
  public pipe(x: unknown, ctx: GoContext): string {
    this.collect(x);
    return goPipeline(x, ctx);
  }

  /** A map or list valued expression as a pipeline printing YAML at column 0. */
  private block(x: Expr, ctx: GoContext): string {
    this.collect(x);
    if (isYamlText(x)) return x.go(ctx);
    return `toYaml ${operand(x, ctx)}`;
  }

  /** A scalar expression in a YAML value position. */
  private scalar(x: Expr, ctx: GoContext): string {
    this.collect(x);
    if (x.kind === 'int') return `{{ ${operand(x, ctx)} | int64 }}`;
    if (x instanceof NamedCondition) return `{{ ${x.go(ctx)} | eq "true" }}`;
    if (x.kind === 'bool') return `{{ ${x.go(ctx)} }}`;
    const inline = inlineConcat(x, ctx);
    if (inline !== undefined) return inline;
    return `{{ ${x.go(ctx)} | quote }}`;
  }

  /** Records named templates and conditions used anywhere inside an expression. */
  private collect(x: unknown): void {
    walkExprs(x, (e) => {
      if (e instanceof Include || e instanceof NamedCondition || e instanceof NamedValue) this.includes.set(e instanceof Include ? e.def.name : e.name, e);
    });
  }
}

/** `.` is rebound inside `with` and `range`: the top level is then `$`. */
export function rebind(ctx: GoContext, item: boolean): GoContext {
  const root = ctx.root === '.' ? '$' : ctx.root.startsWith('.') ? `$${ctx.root}` : ctx.root;
  const params = ctx.params === '.' ? '$' : ctx.params;
  return { root, params, items: item ? [...ctx.items.map((i) => (i === '.' ? '$item' : i)), '.'] : ctx.items };
}

/** Whether an expression's Go value is YAML text (a named template's block) rather than data. */
function isYamlText(x: Expr): boolean {
  return x instanceof Include || (x instanceof Op && x.def.yamlText === true);
}

function isBlock(x: Expr): boolean {
  return x.kind === 'map' || x.kind === 'list';
}

/** `with x` form: a `When(NonEmpty(x), x)`. */
function withTarget(w: When): Expr | undefined {
  return w.cond instanceof NonEmpty && w.then === w.cond.value && w.otherwise === undefined ? w.cond.value : undefined;
}

function isUnconditional(x: unknown): boolean {
  // A named template's block is never empty.
  if (x instanceof Spread) return x.value instanceof Include;
  return !(x instanceof When) && !(x instanceof Range) && x !== undefined;
}

function isInlineable(v: unknown): boolean {
  if (v instanceof When || v === undefined) return false;
  if (isExpr(v)) return !isBlock(v);
  return true;
}

/** When a list whose items are all conditional holds anything. */
function listPresence(items: unknown[]): Expr<boolean> {
  const conds = items.map((x) => (x instanceof When ? (x.otherwise !== undefined ? undefined : x.cond)
    : x instanceof Spread ? new NonEmpty(x.value) : x instanceof Range ? new NonEmpty(x.list) : undefined));
  if (conds.some((c) => c === undefined)) throw new Error('internal: listPresence of a list with unconditional items');
  return anyOf(conds as Expr<boolean>[]);
}

function mapPresence(m: Record<string, unknown>): Expr<boolean> {
  const conds = Object.values(m).filter((v) => v !== undefined).map((v) => (v instanceof When ? v.cond : undefined));
  if (((m as any)[SPREAD] ?? []).some(isUnconditional)) throw new Error('internal: mapPresence of a map with a named template');
  for (const s of ((m as any)[SPREAD] ?? []) as Spread[]) conds.push(new NonEmpty(s.value));
  if (conds.some((c) => c === undefined)) throw new Error('internal: mapPresence of a map with unconditional entries');
  return anyOf(conds as Expr<boolean>[]);
}

function anyOf(conds: Expr<boolean>[]): Expr<boolean> {
  const unique = conds.filter((c, i) => conds.findIndex((d) => d.go(TOP) === c.go(TOP)) === i);
  if (unique.length === 1) return unique[0];
  return new AnyOf(unique);
}

class AnyOf extends Expr<boolean> {
  constructor(public readonly conds: Expr<boolean>[]) {
    super('bool');
  }
  public go(ctx: GoContext): string {
    return `or ${this.conds.map((c) => (c instanceof NonEmpty ? operand(c.value, ctx) : operand(c, ctx))).join(' ')}`;
  }
  public evaluate(env: any): unknown {
    return this.conds.some((c) => c.evaluate(env));
  }
}

/**
 * `<release>-worker` printed as `{{ .Release.Name }}-worker`: a concatenation of the release name and literal text
 * that keeps it a plain string (it starts with a letter and contains a dash or other letters).
 */
function inlineConcat(x: Expr, ctx: GoContext): string | undefined {
  if (x instanceof ReleaseField && x.field === 'Name') return undefined;
  if (!(x instanceof Op) || x.def.name !== 'concat') return undefined;
  const parts = x.args;
  if (!parts.every((p) => (isExpr(p) ? p instanceof ReleaseField && p.field === 'Name' : typeof p === 'string' && /^[-a-z0-9./:]*$/.test(p)))) return undefined;
  if (!(parts[0] instanceof ReleaseField) || parts.length < 2 || typeof parts[1] !== 'string' || !parts[1].startsWith('-')) return undefined;
  return parts.map((p) => (isExpr(p) ? `{{ ${p.go(ctx)} }}` : p)).join('');
}

/** A YAML map key as written in the template. */
function yamlKey(k: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(k) && !/^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~)$/.test(k)
    ? k : JSON.stringify(k);
}

/** A multi-line text printed as a block scalar (not one with carriage returns, tabs or trailing spaces). */
function isBlockText(v: unknown): v is string {
  return typeof v === 'string' && v.includes('\n') && !/[\r\t]/.test(v) && !/ \n/.test(v) && !/ $/.test(v);
}

/** A literal scalar as YAML (quoted where YAML 1.1, which Helm reads, would take it for something else). */
export function yamlScalar(v: unknown): string {
  if (typeof v === 'string') {
    if (v.includes('{{')) return `{{ ${JSON.stringify(v)} | quote }}`;
    if (/[\r\n]/.test(v)) return JSON.stringify(v);
    return stringify(v, { lineWidth: 0, version: '1.1' }).trimEnd();
  }
  if (v === null) return 'null';
  return String(v);
}

/**
 * A multi-line literal as a YAML block scalar: `|`, `|-` or `|+` after the key (by its trailing newlines), an
 * indentation indicator when the first line starts with a space, and `{{` escaped for the template engine.
 */
export function blockScalar(v: string, indent: number): { header: string; lines: string[] } {
  const body = v.replace(/\n+$/, '');
  const trailing = v.length - body.length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const indicator = /^[ \t]/.test(body) ? '2' : '';
  const pad = ' '.repeat(indent);
  const lines = body.split('\n').map((l) => (l === '' ? '' : pad + l.replace(/\{\{/g, '{{ "{{" }}')));
  for (let i = 1; i < trailing; i++) lines.push('');
  return { header: `|${indicator}${chomp}`, lines };
}

/**
 * A condition as `if` reads it: `if x` for "x is set" (Go's truthiness), also inside `and`, `or` and `not`, so
 * conditions read `and .Values.a (not .Values.b)` rather than `and (not (empty .Values.a)) (empty .Values.b)`.
 */
export function truthText(c: Expr<boolean>, ctx: GoContext, top: boolean): string {
  const wrap = (t: string) => (top || /^[$.A-Za-z0-9_"]*$/.test(t) ? t : `(${t})`);
  if (c instanceof NonEmpty) return wrap(c.value.go(ctx));
  if (c instanceof Op) {
    const args = c.args as Expr<boolean>[];
    switch (c.def.name) {
      case 'nonEmpty': return wrap(goPipeline(args[0], ctx));
      case 'empty': return wrap(`not ${operand(args[0], ctx)}`);
      case 'and': case 'or': return wrap(`${c.def.name} ${args.map((a) => (isExpr(a) ? truthText(a, ctx, false) : operand(a, ctx))).join(' ')}`);
      case 'not': return wrap(`not ${isExpr(args[0]) ? truthText(args[0], ctx, false) : operand(args[0], ctx)}`);
    }
  }
  return top ? c.go(ctx) : operand(c, ctx);
}
