/**
 * Typed value expressions: how one construct code path gives both plain manifests and a Helm chart.
 *
 * A construct computes with `Val<T>`: in TypeScript use every input is a literal `T` and every helper here folds to a
 * literal at once, so synthesis is plain cdk8s. When the chart is emitted, the same inputs are references into the
 * values model (`Ref`), the helpers build expression nodes instead, and src/helm prints each node as a Go template.
 * Every operator therefore has exactly two implementations side by side: `evaluate` (TypeScript, mirroring Go's
 * semantics) and `go` (the template text); test/expr checks them against the real helm binary.
 */

/** What an expression yields, as far as printing it needs to know. */
export type Kind = 'string' | 'int' | 'bool' | 'map' | 'list' | 'any';

/** A value computed when the chart is rendered. `T` is the TypeScript type it stands for. */
export abstract class Expr<T = unknown> {
  /** Phantom: the TypeScript type of the value. */
  declare public readonly __type?: T;
  protected constructor(public readonly kind: Kind) {}
  /** Go template pipeline of this value in `ctx`. */
  public abstract go(ctx: GoContext): string;
  /** Go pipeline of this value as data (a named template's YAML text is parsed back into a map or list). */
  public goData(ctx: GoContext): string {
    return this.go(ctx);
  }
  /** Evaluates with Go's semantics against an environment (tests and the in-process chart renderer). */
  public abstract evaluate(env: Env): unknown;
}

/** A literal or an expression. */
export type Val<T> = T | Expr<T>;

/** What an expression is evaluated against: the values, the release, template parameters, range items. */
export interface Env {
  readonly values: Record<string, unknown>;
  readonly release: { readonly Name: string; readonly Namespace: string; readonly Service: string };
  readonly params?: Record<string, unknown>;
  readonly items?: unknown[];
}

/**
 * Where a Go expression is printed: `root` reaches the top-level context (`.` at the top of a template file, `$`
 * inside `with`/`range`, `$.root` / `.root` inside a named template called with a dict), `params` the named
 * template's parameters, and `items` the variables of enclosing ranges.
 */
export interface GoContext {
  /** Expression of the top-level context, e.g. `.`, `$` or `$.root`. */
  readonly root: string;
  /** Expression of the named template's parameter map (`.`/`$`), when printing a named template. */
  readonly params?: string;
  /** Expressions of the enclosing range items, outermost first. */
  readonly items: string[];
  /** Values path `.` stands for (inside `with .Values.<dot>`). */
  readonly dot?: string;
}

export const TOP: GoContext = { root: '.', items: [] };

/** Whether `x` is an expression. */
export function isExpr(x: unknown): x is Expr {
  return x instanceof Expr;
}

/** The literal of a value known to be literal (throws otherwise: a construct compared an expression as a literal). */
export function lit<T>(v: Val<T>, what = 'value'): T {
  if (isExpr(v)) throw new Error(`internal: ${what} must be a literal here, got an expression (${v.go(TOP)})`);
  return v;
}

/** `.Values.<path>` of the chart. */
export class Ref<T = unknown> extends Expr<T> {
  constructor(public readonly path: string, kind: Kind) {
    super(kind);
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path)) throw new Error(`internal: bad values path '${path}'`);
  }
  public go(ctx: GoContext): string {
    if (ctx.dot !== undefined && this.path.startsWith(`${ctx.dot}.`)) return `.${this.path.slice(ctx.dot.length + 1)}`;
    return `${ctx.root === '.' ? '' : ctx.root}.Values.${this.path}`;
  }
  public evaluate(env: Env): unknown {
    return this.path.split('.').reduce((o: any, k) => (o === undefined || o === null ? undefined : o[k]), env.values);
  }
}

/** `.Release.Name` and friends. */
export class ReleaseField extends Expr<string> {
  constructor(public readonly field: 'Name' | 'Namespace' | 'Service') {
    super('string');
  }
  public go(ctx: GoContext): string {
    return `${ctx.root === '.' ? '' : ctx.root}.Release.${this.field}`;
  }
  public evaluate(env: Env): unknown {
    return env.release[this.field];
  }
}

/** A parameter of a named template (see template.ts). */
export class Param<T = unknown> extends Expr<T> {
  constructor(public readonly name: string, kind: Kind) {
    super(kind);
  }
  public go(ctx: GoContext): string {
    if (ctx.params === undefined) throw new Error(`internal: template parameter ${this.name} used outside its template`);
    return `${ctx.params === '.' ? '' : ctx.params}.${this.name}`;
  }
  public evaluate(env: Env): unknown {
    if (!env.params || !(this.name in env.params)) throw new Error(`internal: no template parameter ${this.name}`);
    return env.params[this.name];
  }
}

/** The current element of an enclosing range (depth 0 is the innermost). */
export class Item<T = unknown> extends Expr<T> {
  constructor(public readonly depth: number, kind: Kind) {
    super(kind);
  }
  public go(ctx: GoContext): string {
    const v = ctx.items[ctx.items.length - 1 - this.depth];
    if (v === undefined) throw new Error('internal: range item used outside its range');
    return v;
  }
  public evaluate(env: Env): unknown {
    return env.items![env.items!.length - 1 - this.depth];
  }
}

/** A field of a map value: a literal's entry, or a reference one level deeper. */
export function field<T>(v: Val<Record<string, unknown>>, key: string, kind: Kind): Val<T> {
  if (v instanceof Ref) return new Ref<T>(`${v.path}.${key}`, kind);
  if (isExpr(v)) throw new Error(`internal: field ${key} of a computed map`);
  return (v as Record<string, unknown>)[key] as T;
}

/** Definition of an operator: its TypeScript evaluation and its Go text, side by side. */
export interface OpDef {
  readonly name: string;
  /** Kind of the result (or a function of the arguments' kinds). */
  readonly kind: Kind | ((args: unknown[]) => Kind);
  /** Go's semantics, in TypeScript, over evaluated arguments. */
  readonly evaluate: (...args: any[]) => unknown;
  /** The Go pipeline, given the arguments (literals or expressions) and a way to print each as an operand. */
  readonly go: (args: unknown[], operand: (x: unknown) => string, ctx: GoContext) => string;
  /** Named templates the Go text includes (name -> full `define` text). */
  readonly defines?: Record<string, string>;
  /** The Go text yields a map or list as YAML text (an `include`), parsed back with fromYaml where data is needed. */
  readonly yamlText?: boolean;
}

/** An operator applied to arguments of which at least one is an expression. */
export class Op<T = unknown> extends Expr<T> {
  constructor(public readonly def: OpDef, public readonly args: unknown[]) {
    super(typeof def.kind === 'function' ? def.kind(args) : def.kind);
  }
  public go(ctx: GoContext): string {
    return this.def.go(this.args, (x) => operand(x, ctx), ctx);
  }
  public goData(ctx: GoContext): string {
    if (this.def.yamlText) return `${this.go(ctx)} | ${this.kind === 'list' ? 'fromYamlArray' : 'fromYaml'}`;
    return this.go(ctx);
  }
  public evaluate(env: Env): unknown {
    return this.def.evaluate(...this.args.map((a) => evaluate(a, env)));
  }
}

/**
 * A condition with a name: printed as `include "<name>" .` (defined once in _helpers.tpl), so that a condition used
 * in several places reads as a sentence and is written once.
 */
export class NamedCondition extends Expr<boolean> {
  constructor(public readonly name: string, public readonly doc: string, public readonly body: Val<boolean>, public readonly file?: string) {
    super('bool');
  }
  public go(ctx: GoContext): string {
    return `include ${JSON.stringify(this.name)} ${ctx.root}`;
  }
  public evaluate(env: Env): unknown {
    return truthy(evaluate(this.body, env));
  }
  /** The `define` of this condition: prints `true` when it holds, nothing otherwise. */
  public define(): string {
    return [
      `{{- /* ${this.doc} */ -}}`,
      `{{- define ${JSON.stringify(this.name)} -}}`,
      `{{- if ${goPipeline(this.body, TOP)} -}}true{{- end -}}`,
      '{{- end }}',
    ].join('\n');
  }
}

/**
 * A value with a name: printed as `include "<name>" .` and defined once in _helpers.tpl (e.g. the name of a Secret
 * that is the user's or generated), so that a value used in several places is written once.
 */
export class NamedValue<T = unknown> extends Expr<T> {
  constructor(public readonly name: string, public readonly doc: string, public readonly body: Val<T>, public readonly file?: string) {
    super(isExpr(body) ? body.kind : kindOf(body));
  }
  public go(ctx: GoContext): string {
    return `include ${JSON.stringify(this.name)} ${ctx.root}`;
  }
  public goData(ctx: GoContext): string {
    return this.kind === 'int' ? `int64 (${this.go(ctx)})` : this.go(ctx);
  }
  public evaluate(env: Env): unknown {
    return evaluate(this.body, env);
  }
}

/** Go's truthiness (`if`, `and`, `or`, `not`, `default`): false, 0, "", nil, empty list and map are false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** Evaluates a value that may hold expressions anywhere inside (lists and maps are walked). */
export function evaluate(v: unknown, env: Env): unknown {
  if (isExpr(v)) return v.evaluate(env);
  if (Array.isArray(v)) return v.map((x) => evaluate(x, env));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, evaluate(x, env)]));
  return v;
}

/** Whether a value holds no expression anywhere inside. */
export function isLiteral(v: unknown): boolean {
  if (isExpr(v)) return false;
  if (Array.isArray(v)) return v.every(isLiteral);
  if (v && typeof v === 'object') return Object.values(v).every(isLiteral);
  return true;
}

/** A Go literal for a JSON-like value. */
export function goLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`internal: cannot print ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length ? `(list ${v.map(goLiteral).join(' ')})` : 'list';
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  return entries.length ? `(dict ${entries.map(([k, x]) => `${JSON.stringify(k)} ${goLiteral(x)}`).join(' ')})` : 'dict';
}

/** A value as a Go operand: parenthesized unless it is a single term. */
export function operand(x: unknown, ctx: GoContext): string {
  if (isExpr(x)) {
    const p = x.goData(ctx);
    return /^[$.A-Za-z0-9_"]*$/.test(p) && !/\s/.test(p) ? p : `(${p})`;
  }
  if (Array.isArray(x) && !isLiteral(x)) return x.length ? `(list ${x.map((y) => operand(y, ctx)).join(' ')})` : 'list';
  if (x && typeof x === 'object' && !isLiteral(x)) {
    return `(dict ${Object.entries(x).filter(([, y]) => y !== undefined).map(([k, y]) => `${JSON.stringify(k)} ${operand(y, ctx)}`).join(' ')})`;
  }
  return goLiteral(x);
}

/** A value as a whole Go pipeline (no parentheses). */
export function goPipeline(x: unknown, ctx: GoContext): string {
  return isExpr(x) ? x.go(ctx) : goLiteral(x);
}

/** Applies an operator: folds to a literal when every argument is literal, otherwise builds an {@link Op}. */
export function apply<T>(def: OpDef, args: unknown[]): Val<T> {
  if (args.every(isLiteral)) return def.evaluate(...args) as T;
  // One choice between literals among literal arguments: the choice moves outside and each branch folds
  // (`add (ternary 5120 1024 c) 1536` is printed as the choice of 6656 or 2560).
  const choices = args.filter((a) => !isLiteral(a));
  const [choice] = choices;
  if (def.name !== 'ternary' && choices.length === 1 && choice instanceof Op && choice.def.name === 'ternary'
    && isLiteral(choice.args[1]) && isLiteral(choice.args[2])) {
    const branch = (v: unknown) => apply(def, args.map((a) => (a === choice ? v : a)));
    return new Op<T>(choice.def, [choice.args[0], branch(choice.args[1]), branch(choice.args[2])]);
  }
  return new Op<T>(def, args);
}

/** Kind of a value. */
export function kindOf(v: unknown): Kind {
  if (isExpr(v)) return v.kind;
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (v && typeof v === 'object') return 'map';
  return 'any';
}
