/**
 * Prints object trees (plain JSON plus the nodes of src/expr) as Helm template text: expressions become `{{ }}`
 * actions, conditional entries and items `if` blocks, user maps and lists `with` + `toYaml`, lists built per element
 * `range`, named templates `include`. Every control action is on a line of its own and trims the newline before it,
 * so the text reads like a hand-written chart and renders to the same YAML as the tree evaluated in TypeScript.
 *
 * What the writer knows holds where it prints (the object's conditions, the enclosing `if`s) simplifies what it
 * prints: no condition is tested again inside itself, and a choice it decides is printed as the branch it takes.
 * A list or map whose entries are all conditional is printed as its key and entries: null (absent, to Kubernetes)
 * when none is rendered.
 */
import { stringify } from 'yaml';
import { Expr, GoContext, goPipeline, isExpr, NamedCondition, NamedValue, Op, operand, ReleaseField, TOP } from '../expr/core';
import { Include, ItemGroup, NonEmpty, Range, Spread, SPREAD, walkExprs, When } from '../expr/tree';
import { specialize } from './text';

/** Lines of template text being written, and what the printing found along the way. */
export class TemplateWriter {
  public readonly lines: string[] = [];
  /** Named templates and conditions the text includes, by name. */
  public readonly includes = new Map<string, Include | NamedCondition | NamedValue>();
  /** Conditions known where the text is printed, by their Go text: true or false. */
  private readonly facts: { key: string; cond: Expr<boolean>; value: boolean }[] = [];
  private base: { key: string; cond: Expr<boolean>; value: boolean }[] = [];

  constructor(public readonly ctx: GoContext = TOP) {}

  /** Prints what follows knowing `conds` hold (the object's or the template's scope). */
  public assume(conds: Expr<boolean>[]): void {
    this.base = conds.map((c) => ({ key: c.go(TOP), cond: c, value: true }));
  }

  /** `x` simplified by what is known here. */
  public simplify<T>(x: T): T {
    let y: unknown = x;
    for (const f of [...this.base, ...this.facts]) y = specialize(y, f.cond, f.value);
    return y as T;
  }

  private withFact<T>(cond: Expr<boolean>, value: boolean, f: () => T): T {
    this.facts.push({ key: cond.go(TOP), cond, value });
    try {
      return f();
    } finally {
      this.facts.pop();
    }
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
    // An operator that yields YAML text (an include) is printed as it is; data is turned into YAML.
    this.control(indent, `${isYamlText(s.value) ? '.' : 'toYaml .'} | nindent ${indent}`);
    this.control(indent, 'end');
  }

  /** Prints one `key: value` entry (or nothing, or a conditional block). */
  public entry(key: string, value: unknown, indent: number, ctx: GoContext): void {
    this.choice(value, indent, ctx, (v) => this.plainEntry(key, v, indent, ctx));
  }

  /**
   * Prints a value that may be a choice (a `When`, or a ternary expression): each alternative in an `if` / `else if` /
   * `else` block, knowing its condition there; a choice decided by what is known here prints only its branch.
   */
  private choice(value: unknown, indent: number, ctx: GoContext, print: (v: unknown) => void): void {
    if (value === undefined) return;
    const w = asChoice(value);
    if (!w) { print(value); return; }
    const cond = this.simplify(w.cond) as Expr<boolean> | boolean;
    if (!isExpr(cond)) { this.choice(cond ? w.then : w.otherwise, indent, ctx, print); return; }
    const direct = withTarget(w);
    if (direct) { print(new WithBlock(direct)); return; }
    this.control(indent, `if ${this.cond(cond, ctx)}`);
    this.withFact(cond, true, () => this.choice(w.then, indent, ctx, print));
    this.withFact(cond, false, () => this.elseChain(w.otherwise, indent, ctx, print));
    this.control(indent, 'end');
  }

  private elseChain(value: unknown, indent: number, ctx: GoContext, print: (v: unknown) => void): void {
    if (value === undefined) return;
    const w = asChoice(value);
    const cond = w ? this.simplify(w.cond) as Expr<boolean> | boolean : undefined;
    if (w && isExpr(cond) && !withTarget(w)) {
      this.control(indent, `else if ${this.cond(cond, ctx)}`);
      this.withFact(cond, true, () => this.choice(w.then, indent, ctx, print));
      this.withFact(cond, false, () => this.elseChain(w.otherwise, indent, ctx, print));
      return;
    }
    this.control(indent, 'else');
    this.choice(value, indent, ctx, print);
  }

  private plainEntry(key: string, value: unknown, indent: number, ctx: GoContext): void {
    const pad = ' '.repeat(indent);
    const k = yamlKey(key);
    if (value instanceof WithBlock) {
      this.control(indent, `with ${this.pipe(value.target, ctx)}`);
      this.lines.push(`${pad}${k}:`);
      this.control(indent + 2, `${isYamlText(value.target) ? '.' : 'toYaml .'} | nindent ${indent + 2}`);
      this.control(indent, 'end');
      return;
    }
    if (isExpr(value)) {
      const x = this.simplify(value);
      if (!isExpr(x)) { this.plainEntry(key, x, indent, ctx); return; }
      if (isBlock(x)) {
        this.lines.push(`${pad}${k}:`);
        this.control(indent + 2, `${this.block(x, ctx)} | nindent ${indent + 2}`);
      } else {
        this.lines.push(`${pad}${k}: ${this.scalar(x, ctx)}`);
      }
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) { this.lines.push(`${pad}${k}: []`); return; }
      this.lines.push(`${pad}${k}:`);
      this.list(value, indent + 2, ctx);
      return;
    }
    if (value !== null && typeof value === 'object') {
      const own = Object.values(value).filter((v) => v !== undefined);
      const spreads = ((value as any)[SPREAD] ?? []) as Spread[];
      if (own.length === 0 && spreads.length === 0) { this.lines.push(`${pad}${k}: {}`); return; }
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
    for (const item of items) {
      if (item === undefined) continue;
      if (item instanceof Spread) { this.spread(item, indent, ctx); continue; }
      if (item instanceof Range) {
        this.control(indent, `range ${this.pipe(item.list, ctx)}`);
        this.list([item.body], indent, rebind(ctx, true));
        this.control(indent, 'end');
        continue;
      }
      this.choice(item, indent, ctx, (v) => {
        if (v instanceof ItemGroup) this.list(v.items, indent, ctx);
        else if (v instanceof Spread || v instanceof Range) this.list([v], indent, ctx);
        else this.item(v, indent, ctx);
      });
    }
  }

  private item(item: unknown, indent: number, ctx: GoContext): void {
    const pad = ' '.repeat(indent);
    if (item instanceof WithBlock) {
      this.control(indent, `with ${this.pipe(item.target, ctx)}`);
      this.control(indent, `toYaml . | nindent ${indent}`);
      this.control(indent, 'end');
      return;
    }
    if (isExpr(item)) {
      const x = this.simplify(item);
      if (!isExpr(x)) { this.item(x, indent, ctx); return; }
      if (isBlock(x)) {
        this.lines.push(`${pad}-`);
        this.control(indent + 2, `${this.block(x, ctx)} | nindent ${indent + 2}`);
      } else {
        this.lines.push(`${pad}- ${this.scalar(x, ctx)}`);
      }
      return;
    }
    if (Array.isArray(item)) {
      this.lines.push(`${pad}-`);
      this.list(item, indent + 2, ctx);
      return;
    }
    if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item).filter(([, v]) => v !== undefined);
      const spreads = ((item as any)[SPREAD] ?? []) as Spread[];
      const first = entries[0];
      if (!first || spreads.some((s) => s.first) || !isInlineable(this.simplify(first[1]))) {
        if (entries.length === 0 && spreads.length === 0) { this.lines.push(`${pad}- {}`); return; }
        this.lines.push(`${pad}-`);
        this.map(item as Record<string, unknown>, indent + 2, ctx);
        return;
      }
      const start = this.lines.length;
      this.entry(first[0], first[1], indent + 2, ctx);
      this.lines[start] = `${pad}- ${this.lines[start].slice(indent + 2)}`;
      const rest: Record<string, unknown> = Object.fromEntries(entries.slice(1));
      (rest as any)[SPREAD] = spreads;
      this.map(rest, indent + 2, ctx);
      return;
    }
    if (isBlockText(item)) {
      const b = blockScalar(item, indent + 2);
      this.lines.push(`${pad}- ${b.header}`, ...b.lines);
      return;
    }
    this.lines.push(`${pad}- ${yamlScalar(item)}`);
  }

  /** `{{- <text> }}` on a line of its own. */
  public control(indent: number, text: string): void {
    this.lines.push(`${' '.repeat(indent)}{{- ${text} }}`);
  }

  /** A condition as the `if` argument. */
  public cond(c: Expr<boolean>, ctx: GoContext): string {
    const s = this.simplify(c);
    this.collect(s);
    return isExpr(s) ? truthText(s, ctx, true) : String(s);
  }

  /** A value as a pipeline. */
  public pipe(x: unknown, ctx: GoContext): string {
    const s = this.simplify(x);
    this.collect(s);
    return goPipeline(s, ctx);
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
    if (x.kind === 'int') return `{{ ${x instanceof NamedValue || x instanceof Include ? x.go(ctx) : operand(x, ctx)} | int64 }}`;
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


/** A `with` block: a value printed only when set. */
class WithBlock {
  constructor(public readonly target: Expr) {}
}

/** A value that is a choice: a `When`, or a ternary expression (printed as a `When`). */
function asChoice(v: unknown): When | undefined {
  if (v instanceof When) return v;
  if (v instanceof Op && v.def.name === 'ternary' && isExpr(v.args[0])) return new When(v.args[0] as Expr<boolean>, v.args[1], v.args[2]);
  return undefined;
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

function isInlineable(v: unknown): boolean {
  if (v === undefined || asChoice(v)) return false;
  if (isExpr(v)) return !isBlock(v);
  return true;
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

/**
 * `<release>-worker` printed as `{{ .Release.Name }}-worker`: a concatenation of the release name and literal text
 * that keeps it a plain string (it starts with a letter and contains a dash or other letters).
 */
function inlineConcat(x: Expr, ctx: GoContext): string | undefined {
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
