/**
 * The operators constructs compute with. Each folds to a literal when its arguments are literal (TypeScript use) and
 * otherwise becomes an expression printed as Go template text. `evaluate` mirrors what the Go text does (sprig and
 * text/template semantics), and test/expr/ops.test.ts checks the two against the real helm binary on generated inputs.
 */
import { createHash } from 'crypto';
import { apply, Expr, GoContext, isExpr, kindOf, Kind, NamedCondition, NamedValue, Op, OpDef, truthy, Val } from './core';

/** Operands that must be real booleans for Go (`ternary`): a named condition prints "true" or "". */
function boolOperand(x: unknown, operand: (x: unknown) => string): string {
  if (x instanceof NamedCondition) return `(ne ${operand(x)} "")`;
  return operand(x);
}

/** Operands compared as integers: values files give float64, template literals int; int64 makes them comparable. */
function intOperand(x: unknown, operand: (x: unknown) => string): string {
  return isExpr(x) && x.kind === 'int' ? `(int64 ${operand(x)})` : operand(x);
}

/** An argument that starts a pipeline (`x | f`): a pipeline chains, so an expression needs no parentheses. */
function pipeline(x: unknown, operand: (x: unknown) => string, ctx: GoContext): string {
  return isExpr(x) ? x.goData(ctx) : operand(x);
}

/** Go's `%v`/toString of a scalar as the chart prints it (integers without exponent). */
export function goString(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (v === null || v === undefined) return '';
  return String(v);
}

const CONCAT: OpDef = {
  name: 'concat',
  kind: 'string',
  evaluate: (...parts: unknown[]) => parts.map(goString).join(''),
  go: (parts, operand, ctx) => {
    const only = parts[0];
    if (parts.length === 1 && isExpr(only) && only.kind === 'string') return only.go(ctx);
    let format = '';
    const args: string[] = [];
    for (const p of parts) {
      if (!isExpr(p)) { format += goString(p).replace(/%/g, '%%'); continue; }
      if (p.kind === 'int') { format += '%d'; args.push(`(int64 ${operand(p)})`); } else if (p.kind === 'bool') { format += '%t'; args.push(operand(p)); } else { format += '%s'; args.push(operand(p)); }
    }
    return `printf ${JSON.stringify(format)} ${args.join(' ')}`;
  },
};

/** String concatenation (integers printed in decimal). */
export function concat(...parts: Val<string | number>[]): Val<string> {
  const merged: Val<string | number>[] = [];
  const flat = parts.flatMap((p) => (p instanceof Op && p.def.name === 'concat' ? p.args as Val<string | number>[] : [p]));
  for (const p of flat) {
    const last = merged[merged.length - 1];
    if (!isExpr(p) && merged.length && !isExpr(last)) merged[merged.length - 1] = goString(last) + goString(p);
    else merged.push(p);
  }
  return apply<string>(CONCAT, merged);
}

/** Tagged template: `` str`${release}-worker` ``. */
export function str(strings: TemplateStringsArray, ...vals: Val<string | number>[]): Val<string> {
  const parts: Val<string | number>[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i < vals.length) parts.push(vals[i]);
  });
  return concat(...parts);
}

const eqLike = (name: string, test: (a: unknown, b: unknown) => boolean): OpDef => ({
  name,
  kind: 'bool',
  evaluate: (a, b) => test(a, b),
  go: ([a, b], operand) => `${name} ${intOperand(a, operand)} ${intOperand(b, operand)}`,
});
const EQ = eqLike('eq', (a, b) => a === b);
const NE = eqLike('ne', (a, b) => a !== b);
const GT = eqLike('gt', (a, b) => (a as number) > (b as number));
const GE = eqLike('ge', (a, b) => (a as number) >= (b as number));

export function eq<T extends string | number | boolean>(a: Val<T>, b: Val<T>): Val<boolean> { return apply(EQ, [a, b]); }
export function ne<T extends string | number | boolean>(a: Val<T>, b: Val<T>): Val<boolean> { return apply(NE, [a, b]); }
export function gt(a: Val<number>, b: Val<number>): Val<boolean> { return apply(GT, [a, b]); }
export function ge(a: Val<number>, b: Val<number>): Val<boolean> { return apply(GE, [a, b]); }

const AND: OpDef = {
  name: 'and', kind: 'bool',
  evaluate: (...cs) => cs.every(truthy),
  go: (cs, operand) => `and ${cs.map((c) => operand(c)).join(' ')}`,
};
const OR: OpDef = {
  name: 'or', kind: 'bool',
  evaluate: (...cs) => cs.some(truthy),
  go: (cs, operand) => `or ${cs.map((c) => operand(c)).join(' ')}`,
};
const NOT: OpDef = {
  name: 'not', kind: 'bool',
  evaluate: (c) => !truthy(c),
  go: ([c], operand) => `not ${operand(c)}`,
};

/** Logical and (literal operands fold away; an operand another one implies is dropped). */
export function and(...cs: Val<boolean>[]): Val<boolean> {
  if (cs.some((c) => !isExpr(c) && !c)) return false;
  const exprs = cs.filter(isExpr) as Expr<boolean>[];
  const rest = exprs.filter((c, i) => !exprs.some((d, j) => j !== i && implies(d, c) && !(implies(c, d) && j > i)));
  if (rest.length === 0) return true;
  if (rest.length === 1) return rest[0];
  return apply(AND, rest);
}

/** Whether condition `a` implies `b` by its structure (the same condition, or a conjunct of it, also through names). */
export function implies(a: Expr<boolean>, b: Expr<boolean>): boolean {
  const key = (x: Expr) => x.go({ root: '.', items: [] });
  if (key(a) === key(b)) return true;
  if (a instanceof NamedCondition && isExpr(a.body)) return implies(a.body, b);
  if (a instanceof Op && a.def.name === 'and') return a.args.some((x) => isExpr(x) && implies(x as Expr<boolean>, b));
  return false;
}

/** Logical or (literal operands fold away). */
export function or(...cs: Val<boolean>[]): Val<boolean> {
  if (cs.some((c) => !isExpr(c) && c)) return true;
  const rest = cs.filter(isExpr);
  if (rest.length === 0) return false;
  if (rest.length === 1) return rest[0];
  return apply(OR, rest);
}

/** Logical not (`not (eq a b)` is written `ne a b`, `not (not (empty x))` is `empty x`, and so on). */
export function not(c: Val<boolean>): Val<boolean> {
  if (c instanceof Op) {
    const [a, b] = c.args;
    switch (c.def.name) {
      case 'not': return a as Val<boolean>;
      case 'eq': return apply(NE, [a, b]);
      case 'ne': return apply(EQ, [a, b]);
      case 'nonEmpty': return apply(EMPTY, [a]);
      case 'empty': return apply(NON_EMPTY, [a]);
    }
  }
  return apply(NOT, [c]);
}

const TERNARY: OpDef = {
  name: 'ternary',
  kind: (args) => kindOf(args[1]) === 'any' ? kindOf(args[2]) : kindOf(args[1]),
  evaluate: (c, a, b) => (truthy(c) ? a : b),
  go: ([c, a, b], operand) => `ternary ${operand(a)} ${operand(b)} ${boolOperand(c, operand)}`,
};

/** `cond ? a : b`, folded when the condition is literal. */
export function ifElse<T>(cond: Val<boolean>, a: Val<T>, b: Val<T>): Val<T> {
  if (!isExpr(cond)) return cond ? a : b;
  return apply<T>(TERNARY, [cond, a, b]);
}

const DEFAULT: OpDef = {
  name: 'default',
  kind: (args) => kindOf(args[0]),
  evaluate: (a, b) => (truthy(a) ? a : b),
  go: ([a, b], operand, ctx) => `${pipeline(a, operand, ctx)} | default ${operand(b)}`,
};

/** `a` unless it is empty (Go's notion: "", 0, false, empty list or map), else `b`. */
export function orDefault<T>(a: Val<T>, b: Val<T>): Val<T> {
  return apply<T>(DEFAULT, [a, b]);
}

const ADD: OpDef = {
  name: 'add', kind: 'int',
  evaluate: (...xs) => xs.reduce<number>((s, x) => s + Math.trunc(x as number), 0),
  go: (xs, operand) => `add ${xs.map((x) => operand(x)).join(' ')}`,
};

/** Integer sum (literal terms added up, nested sums flattened). */
export function add(...xs: Val<number>[]): Val<number> {
  const flat = xs.flatMap((x) => (x instanceof Op && x.def.name === 'add' ? x.args as Val<number>[] : [x]));
  const literal = flat.filter((x) => !isExpr(x)).reduce<number>((s, x) => s + (x as number), 0);
  const exprs = flat.filter(isExpr);
  if (exprs.length === 0) return literal;
  return apply(ADD, literal === 0 ? exprs : [...exprs, literal]);
}

const JOIN: OpDef = {
  name: 'join', kind: 'string',
  evaluate: (list, sep) => (list as unknown[]).map(goString).join(sep as string),
  go: ([list, sep], operand) => `join ${operand(sep)} ${operand(list)}`,
};

/** Joins a list of strings (Go would print numbers of a values file in exponent form). */
export function join(list: Val<string[]>, sep: string): Val<string> {
  return apply(JOIN, [list, sep]);
}

const SHA256: OpDef = {
  name: 'sha256sum', kind: 'string',
  evaluate: (s) => createHash('sha256').update(String(s)).digest('hex'),
  go: ([s], operand, ctx) => `${pipeline(s, operand, ctx)} | sha256sum`,
};

/** Hex SHA-256 of a string. */
export function sha256(s: Val<string>): Val<string> {
  return apply(SHA256, [s]);
}

const NON_EMPTY: OpDef = {
  name: 'nonEmpty', kind: 'bool',
  evaluate: (x) => truthy(x),
  go: ([x], operand) => `not (empty ${operand(x)})`,
};

/** Whether a value is set: a non-empty string, list or map, true, or a non-zero number. */
export function isSet(x: Val<unknown>): Val<boolean> {
  return apply(NON_EMPTY, [x]);
}

const EMPTY: OpDef = {
  name: 'empty', kind: 'bool',
  evaluate: (x) => !truthy(x),
  go: ([x], operand) => `empty ${operand(x)}`,
};

/** Whether a value is unset: "", an empty list or map, false, 0 or null. */
export function isEmpty(x: Val<unknown>): Val<boolean> {
  return apply(EMPTY, [x]);
}

/** A value under a name (a named template in the chart, so that it is written once); a literal as it is. */
export function named<T>(name: string, doc: string, v: Val<T>, file?: string): Val<T> {
  return isExpr(v) ? new NamedValue<T>(name, doc, v, file) : v;
}

/** A condition under a name (`include "<name>" .` in the chart); a literal as it is. */
export function condition(name: string, doc: string, c: Val<boolean>, file?: string): Val<boolean> {
  return isExpr(c) ? new NamedCondition(name, doc, c, file) : c;
}

const IS_NUMBER: OpDef = {
  name: 'isNumber', kind: 'bool',
  evaluate: (x) => typeof x === 'number',
  go: ([x], operand) => `kindIs "float64" ${operand(x)}`,
};

/** Whether a value is a number (not null): values files give numbers as float64. */
export function isNumber(x: Val<unknown>): Val<boolean> {
  return apply(IS_NUMBER, [x]);
}

const MEBIBYTES: OpDef = {
  name: 'mebibytes', kind: 'int',
  evaluate: (q) => parseInt(String(q).replace(/Mi$/, ''), 10),
  go: ([q], operand) => `trimSuffix "Mi" ${operand(q)} | int`,
};

/** MiB of a quantity written `<n>Mi`. */
export function mebibytes(q: Val<string>): Val<number> {
  return apply(MEBIBYTES, [q]);
}

/** JSON as Go's encoding/json (so sprig's toJson) writes it: map keys sorted bytewise, `<>&` and U+2028/9 escaped. */
export function goJson(v: unknown): string {
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (x && typeof x === 'object') {
      return Object.fromEntries(Object.keys(x).sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)))).map((k) => [k, sortKeys((x as any)[k])]));
    }
    return x;
  };
  return JSON.stringify(sortKeys(v))
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const TO_JSON: OpDef = {
  name: 'toJson', kind: 'string',
  evaluate: (x) => goJson(x),
  go: ([x], operand) => `toJson ${operand(x)}`,
};

/** JSON text of a value, exactly as Helm's toJson writes it. */
export function toJson(x: Val<unknown>): Val<string> {
  return apply(TO_JSON, [x]);
}

/** The kind a literal or expression has (re-exported for constructs that branch on it). */
export function kind(v: unknown): Kind {
  return kindOf(v);
}

/** Whether a value is an expression (known only when the chart is rendered). */
export function isDeferred(v: unknown): v is Expr {
  return isExpr(v);
}

/**
 * `f` applied to a value, through a choice: `f(ifElse(c, a, b))` is `ifElse(c, f(a), f(b))`, which the chart prints as
 * an if/else of two literals rather than an expression around a ternary.
 */
export function mapChoice<T, U>(v: Val<T>, f: (x: Val<T>) => Val<U>): Val<U> {
  if (v instanceof Op && v.def.name === 'ternary') {
    const [c, a, b] = v.args as [Val<boolean>, Val<T>, Val<T>];
    return ifElse(c, mapChoice(a, f), mapChoice(b, f));
  }
  return f(v);
}
