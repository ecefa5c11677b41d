/**
 * Structure that depends on values: conditional entries and items, user lists and maps spliced in, lists built per
 * element, named templates, and conditional objects. Every builder folds to plain JSON when its inputs are literal,
 * so TypeScript synthesis sees ordinary objects; when the chart is emitted they stay nodes that src/helm prints as
 * `if`, `with`, `range` and `include`.
 */
import { ApiObject } from 'cdk8s';
import { stringify } from 'yaml';
import { Construct } from 'constructs';
import { Env, evaluate as evaluateValue, Expr, GoContext, isExpr, Item, Kind, NamedCondition, NamedValue, Op, operand, Param, ReleaseField, Ref, truthy, Val } from './core';

/** A value present only when `cond` holds (or `otherwise` when it does not). */
export class When<T = unknown> {
  constructor(public readonly cond: Expr<boolean>, public readonly then: T, public readonly otherwise?: T) {}
}

/**
 * In a list: every element of a list value; in a map (under {@link SPREAD}): every entry of a map value, before the
 * map's own entries (`first`) or after them.
 */
export class Spread {
  constructor(public readonly value: Expr<unknown>, public readonly first = false) {}
}

/** In a list: one `body` per element of `list` (the body refers to the element as `Item(0)`). */
export class Range {
  constructor(public readonly list: Expr<unknown[]>, public readonly body: unknown) {}
}

/** Key under which a map keeps the maps spliced into it, after its own entries. */
export const SPREAD = Symbol('spread');

/** Items that flatten into the enclosing list (what {@link each} and {@link spread} give for literal lists). */
class Group<T> {
  constructor(public readonly items: T[]) {}
}

/** Several items of a list that share one condition (printed in one `if` block). */
export class ItemGroup {
  constructor(public readonly items: unknown[]) {}
}

/** Items present only when `cond` holds, in one `if` block in the chart (for {@link items}). */
export function whenAll<T>(cond: Val<boolean>, ...xs: (T | undefined)[]): T | undefined {
  const list = items<T>(...xs);
  if (!isExpr(cond)) return cond ? (new Group<T>(list) as unknown as T) : undefined;
  return new When(cond, new ItemGroup(list)) as unknown as T;
}

/** A value, or `otherwise` (default: absent) when `cond` does not hold. */
export function when<T>(cond: Val<boolean>, then: T, otherwise?: T): T | undefined {
  if (!isExpr(cond)) return cond ? then : otherwise;
  return new When<T>(cond, then, otherwise) as unknown as T;
}

/** The items of a list value spliced into a list built with {@link items}. */
export function spread<T>(list: Val<T[]> | undefined): T {
  if (list === undefined) return new Group<T>([]) as unknown as T;
  return (isExpr(list) ? new Spread(list) : new Group<T>(list)) as unknown as T;
}

/** One item per element of a list value, built by `fn` (for {@link items}). */
export function each<T, U>(list: Val<T[]>, fn: (item: Val<T>) => U, kind: Kind = 'any'): U {
  if (!isExpr(list)) return new Group<U>(list.map((x) => fn(x))) as unknown as U;
  return new Range(list, fn(new Item<T>(0, kind))) as unknown as U;
}

/** A list: absent items dropped, groups flattened; conditional items, spreads and ranges kept for printing. */
export function items<T>(...xs: (T | undefined)[]): T[] {
  const out: T[] = [];
  for (const x of xs) {
    if (x === undefined) continue;
    if (x instanceof Group) out.push(...(x.items as T[]));
    else out.push(x);
  }
  return out;
}

/**
 * A map of `before`'s entries, then `own`, then `after`'s (TypeScript: merged in that order; chart: printed in that
 * order, so the maps must not share keys: the schema refuses keys the chart owns).
 */
export function mapWith<T extends object>(before: Val<Record<string, unknown>> | undefined, own: T, after?: Val<Record<string, unknown>>): T {
  const out: any = { ...(before !== undefined && !isExpr(before) ? before : {}), ...own, ...(after !== undefined && !isExpr(after) ? after : {}) };
  const spreads: Spread[] = [...((own as any)[SPREAD] ?? [])];
  if (isExpr(before)) spreads.unshift(new Spread(before, true));
  if (isExpr(after)) spreads.push(new Spread(after));
  if (spreads.length) out[SPREAD] = spreads;
  return out;
}

/** Whether a list may hold anything at all in some render. */
function maybeNonEmpty(list: unknown[]): boolean {
  return list.length > 0;
}

/**
 * A list that is absent when empty (TypeScript), printed in a chart as its key and conditional items (null, which
 * Kubernetes takes as absent, when none is rendered).
 */
export function optionalList<T>(list: T[]): T[] | undefined {
  return list.length ? list : undefined;
}

/** A map that is absent when empty (TypeScript); in a chart its key with conditional entries (null when none). */
export function optionalMap<T extends object>(map: T): T | undefined {
  if (!EmitContext.current) return Object.values(map).some((v) => v !== undefined) ? map : undefined;
  return map;
}

/**
 * `list` if it may be non-empty, else absent (Kubernetes omits empty lists; so do we). In a chart a list whose items
 * are all conditional is kept as is: the printer gives it `[]` when nothing is rendered into it.
 */
export function nonEmptyList<T>(list: T[]): T[] | undefined {
  return maybeNonEmpty(list) ? list : undefined;
}

/** A map value, absent when empty (`with` in the chart). */
export function nonEmptyMap<T>(map: Val<Record<string, T>> | undefined): Val<Record<string, T>> | undefined {
  if (map === undefined) return undefined;
  if (isExpr(map)) return when(new NonEmpty(map), map);
  return Object.keys(map).length ? map : undefined;
}

/** A list value, absent when empty (`with` in the chart). */
export function nonEmptyValue<T>(list: Val<T[]> | undefined): Val<T[]> | undefined {
  if (list === undefined) return undefined;
  if (isExpr(list)) return when(new NonEmpty(list), list);
  return list.length ? list : undefined;
}

/** `not (empty x)`: the condition the printer turns into `with x`. */
export class NonEmpty extends Expr<boolean> {
  constructor(public readonly value: Expr<unknown>) {
    super('bool');
  }
  public go(ctx: GoContext): string {
    const v = this.value.go(ctx);
    return `not (empty ${/\s/.test(v) ? `(${v})` : v})`;
  }
  public evaluate(env: Env): unknown {
    return truthy(this.value.evaluate(env));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Named templates

/** A named template: a block of YAML (or a scalar) defined once in _helpers.tpl and included where used. */
export interface TemplateDef<P extends Record<string, unknown>> {
  /** Template name, e.g. `airflow.labels`. */
  readonly name: string;
  /** Helper file it is defined in (`_<file>.tpl`); default: the one template that uses it, else `_helpers.tpl`. */
  readonly file?: string;
  /** One line saying what it gives. */
  readonly doc: string;
  /** Kind of what it gives (`map`, `list` or a scalar kind). */
  readonly kind: Kind;
  /** Parameters and their kinds. */
  readonly params: { readonly [K in keyof P]: Kind };
  /** The block, built from the parameters (which are {@link Param}s when the template is printed). */
  readonly body: (p: P) => unknown;
}

/** A use of a named template: `include "<name>" (dict "root" . <params>)`. */
export class Include extends Expr<unknown> {
  /** Conditions in effect where it is used (what its body may take for granted). */
  public readonly conditions: Expr<boolean>[];

  constructor(public readonly def: TemplateDef<any>, public readonly args: Record<string, unknown>) {
    super(def.kind);
    this.conditions = currentConditions();
  }
  public go(ctx: GoContext): string {
    const names = Object.keys(this.def.params);
    if (names.length === 0) return `include ${JSON.stringify(this.def.name)} ${ctx.root}`;
    const args = names.map((n) => `${JSON.stringify(n)} ${operand(this.args[n], ctx)}`);
    if (this.usesRoot()) args.unshift(`"root" ${ctx.root}`);
    return `include ${JSON.stringify(this.def.name)} (dict ${args.join(' ')})`;
  }

  public goData(ctx: GoContext): string {
    if (this.kind === 'map') return `${this.go(ctx)} | fromYaml`;
    if (this.kind === 'list') return `${this.go(ctx)} | fromYamlArray`;
    return this.go(ctx);
  }

  /** Whether the body reads the top-level context (values, release, named conditions): then it gets `root`. */
  public usesRoot(): boolean {
    let uses = false;
    walkExprs(this.body(), (e) => {
      if (e instanceof Ref || e instanceof ReleaseField || e instanceof NamedCondition || e instanceof NamedValue || (e instanceof Include && e.usesRoot())) uses = true;
    });
    return uses;
  }
  public evaluate(env: Env): unknown {
    const params = Object.fromEntries(Object.keys(this.def.params).map((n) => [n, evaluateValue(this.args[n], env)]));
    const v = evaluateTree(this.body(), { ...env, params });
    return this.kind === 'string' && typeof v !== 'string' ? yamlOf(v) : v;
  }
  /** The body with parameter nodes, as printed in the `define` (built as in an emission: templates inside stay includes). */
  public body(): unknown {
    const params = Object.fromEntries(Object.entries(this.def.params).map(([n, k]) => [n, new Param(n, k as Kind)]));
    if (EmitContext.current) return this.def.body(params);
    EmitContext.current = new EmitContext();
    try {
      return this.def.body(params);
    } finally {
      EmitContext.current = undefined;
    }
  }
}

/** YAML text of a value as the constructs write it: keys sorted, no line folding. */
function yamlOf(v: unknown): string {
  const sort = (x: unknown): unknown => (Array.isArray(x) ? x.map(sort) : x && typeof x === 'object'
    ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as any)[k])])) : x);
  return stringify(sort(JSON.parse(JSON.stringify(v))), { lineWidth: 0 });
}

/**
 * A document as YAML text (e.g. a file in a ConfigMap): literal text, or a named template printed as YAML (in
 * `templates/_<file>.tpl` when `file` is given, e.g. for a long one).
 */
export function yamlText(name: string, doc: string, tree: Record<string, unknown>, file?: string): Val<string> {
  if (!EmitContext.current) return yamlOf(tree);
  return new Include({ name, doc, kind: 'string', params: {}, body: () => tree, file }, {}) as Expr<string>;
}

/** Defines a named template; calling it gives the block (TypeScript) or an {@link Include} (chart). */
export function template<P extends Record<string, unknown>>(def: TemplateDef<P>): (p: P) => any {
  return (p: P) => (EmitContext.current ? new Include(def, p) : def.body(p));
}

// ---------------------------------------------------------------------------------------------------------------
// Conditional objects

/** An object created while the chart is emitted, with the conditions it exists under. */
export interface EmittedObject {
  readonly object: ApiObject;
  readonly json: Record<string, unknown>;
  readonly conditions: Expr<boolean>[];
}

/** State of one chart emission: the conditions of the current scope and the objects created. */
export class EmitContext {
  /** The emission in progress (none in TypeScript use). */
  public static current: EmitContext | undefined;

  /** Runs `fn` as a chart emission. */
  public static run<T>(fn: (ctx: EmitContext) => T): { result: T; context: EmitContext } {
    if (EmitContext.current) throw new Error('internal: nested chart emission');
    const context = new EmitContext();
    EmitContext.current = context;
    try {
      return { result: fn(context), context };
    } finally {
      EmitContext.current = undefined;
    }
  }

  public readonly objects: EmittedObject[] = [];
  private readonly stack: Expr<boolean>[] = [];

  /** Conditions of the current scope, outermost first. */
  public get conditions(): Expr<boolean>[] {
    return [...this.stack];
  }

  public push(c: Expr<boolean>): void { this.stack.push(c); }
  public pop(): void { this.stack.pop(); }
}

/** Runs `build` only when `cond` holds; in a chart, what it creates is wrapped in `if cond`. */
export function scoped<T>(cond: Val<boolean>, build: () => T): T | undefined {
  if (!isExpr(cond)) return cond ? build() : undefined;
  const ctx = EmitContext.current;
  if (!ctx) throw new Error(`internal: a condition on values (${cond.go({ root: '.', items: [] })}) outside a chart emission`);
  ctx.push(cond);
  try {
    return build();
  } finally {
    ctx.pop();
  }
}

/** The conditions of the current scope (empty in TypeScript use). */
export function currentConditions(): Expr<boolean>[] {
  return EmitContext.current?.conditions ?? [];
}

/** A Kubernetes object from its wire-format JSON; in a chart, recorded with the conditions of the current scope. */
export function kubeObject(scope: Construct, id: string, json: { apiVersion: string; kind: string; metadata: Record<string, unknown>; [k: string]: unknown }): ApiObject {
  const object = new ApiObject(scope, id, json as any);
  EmitContext.current?.objects.push({ object, json, conditions: currentConditions() });
  return object;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation of trees (the in-process renderer the tests compare with helm)

/** Evaluates a tree with values: conditions decided, spreads and ranges expanded, expressions computed. */
export function evaluateTree(node: unknown, env: Env): unknown {
  const ABSENT = undefined;
  const visit = (n: unknown, e: Env): unknown => {
    if (n instanceof When) return truthy(n.cond.evaluate(e)) ? visit(n.then, e) : (n.otherwise === undefined ? ABSENT : visit(n.otherwise, e));
    if (isExpr(n)) return n.evaluate(e);
    if (Array.isArray(n)) {
      const out: unknown[] = [];
      for (const y of n) {
        const x = y instanceof When && y.then instanceof ItemGroup ? (truthy(y.cond.evaluate(e)) ? y.then : undefined) : y;
        if (x === undefined) continue;
        if (x instanceof ItemGroup) { out.push(...(visit(x.items, e) as unknown[])); continue; }
        if (x instanceof Spread) { out.push(...((x.value.evaluate(e) as unknown[]) ?? [])); continue; }
        if (x instanceof Range) {
          for (const item of ((x.list.evaluate(e) as unknown[]) ?? [])) out.push(visit(x.body, { ...e, items: [...(e.items ?? []), item] }));
          continue;
        }
        const v = visit(x, e);
        if (v !== ABSENT) out.push(v);
      }
      return out;
    }
    if (n && typeof n === 'object') {
      const out: Record<string, unknown> = {};
      const spreads = ((n as any)[SPREAD] ?? []) as Spread[];
      for (const s of spreads.filter((x) => x.first)) Object.assign(out, s.value.evaluate(e) ?? {});
      for (const [k, x] of Object.entries(n)) {
        const v = visit(x, e);
        if (v !== ABSENT) out[k] = v;
      }
      for (const s of spreads.filter((x) => !x.first)) Object.assign(out, s.value.evaluate(e) ?? {});
      return out;
    }
    return n;
  };
  return visit(node, env);
}

/** Calls `f` on every expression inside a value (through operator arguments, templates' arguments, conditions). */
export function walkExprs(x: unknown, f: (e: Expr) => void): void {
  if (x === undefined || x === null) return;
  if (x instanceof When) { walkExprs(x.cond, f); walkExprs(x.then, f); walkExprs(x.otherwise, f); return; }
  if (x instanceof ItemGroup) { walkExprs(x.items, f); return; }
  if (x instanceof Spread) { walkExprs(x.value, f); return; }
  if (x instanceof Range) { walkExprs(x.list, f); walkExprs(x.body, f); return; }
  if (isExpr(x)) {
    f(x);
    if (x instanceof Op) x.args.forEach((a) => walkExprs(a, f));
    if (x instanceof Include) Object.values(x.args).forEach((a) => walkExprs(a, f));
    if (x instanceof NonEmpty) walkExprs(x.value, f);
    if (x instanceof NamedCondition || x instanceof NamedValue) walkExprs(x.body, f);
    return;
  }
  if (Array.isArray(x)) { x.forEach((y) => walkExprs(y, f)); return; }
  if (typeof x === 'object') {
    Object.values(x).forEach((y) => walkExprs(y, f));
    for (const s of ((x as any)[SPREAD] ?? []) as Spread[]) walkExprs(s, f);
  }
}

