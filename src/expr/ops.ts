/**
 * The operators constructs compute with. Each folds to a literal when its arguments are literal (TypeScript use) and
 * otherwise becomes an expression printed as Go template text. `evaluate` mirrors what the Go text does (sprig and
 * text/template semantics), and test/expr/ops.test.ts checks the two against the real helm binary on generated inputs.
 */
import { createHash } from 'crypto';
import { apply, Expr, isExpr, kindOf, Kind, NamedCondition, OpDef, truthy, Val } from './core';

/** Operands that must be real booleans for Go (`ternary`): a named condition prints "true" or "". */
function boolOperand(x: unknown, operand: (x: unknown) => string): string {
  if (x instanceof NamedCondition) return `(not (empty ${operand(x)}))`;
  return operand(x);
}

/** Operands compared as integers: values files give float64, template literals int; int64 makes them comparable. */
function intOperand(x: unknown, operand: (x: unknown) => string): string {
  return isExpr(x) && x.kind === 'int' ? `(int64 ${operand(x)})` : operand(x);
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
      if (p.kind === 'int') { format += '%d'; args.push(`(int64 ${operand(p)})`); } else { format += '%s'; args.push(operand(p)); }
    }
    return `printf ${JSON.stringify(format)} ${args.join(' ')}`;
  },
};

/** String concatenation (integers printed in decimal). */
export function concat(...parts: Val<string | number>[]): Val<string> {
  const merged: Val<string | number>[] = [];
  for (const p of parts) {
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

/** Logical and (literal operands fold away). */
export function and(...cs: Val<boolean>[]): Val<boolean> {
  if (cs.some((c) => !isExpr(c) && !c)) return false;
  const rest = cs.filter(isExpr);
  if (rest.length === 0) return true;
  if (rest.length === 1) return rest[0];
  return apply(AND, rest);
}

/** Logical or (literal operands fold away). */
export function or(...cs: Val<boolean>[]): Val<boolean> {
  if (cs.some((c) => !isExpr(c) && c)) return true;
  const rest = cs.filter(isExpr);
  if (rest.length === 0) return false;
  if (rest.length === 1) return rest[0];
  return apply(OR, rest);
}

/** Logical not. */
export function not(c: Val<boolean>): Val<boolean> {
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
  go: ([a, b], operand) => `${operand(a)} | default ${operand(b)}`,
};

/** `a` unless it is empty (Go's notion: "", 0, false, empty list or map), else `b`. */
export function orDefault<T>(a: Val<T>, b: Val<T>): Val<T> {
  return apply<T>(DEFAULT, [a, b]);
}

const ADD: OpDef = {
  name: 'add', kind: 'int',
  evaluate: (a, b) => Math.trunc(a as number) + Math.trunc(b as number),
  go: ([a, b], operand) => `add ${operand(a)} ${operand(b)}`,
};

/** Integer sum. */
export function add(a: Val<number>, b: Val<number>): Val<number> {
  return apply(ADD, [a, b]);
}

const JOIN: OpDef = {
  name: 'join', kind: 'string',
  evaluate: (list, sep) => (list as unknown[]).map(goString).join(sep as string),
  go: ([list, sep], operand) => `join ${operand(sep)} ${operand(list)}`,
};

/** Joins a list of scalars. */
export function join(list: Val<(string | number)[]>, sep: string): Val<string> {
  return apply(JOIN, [list, sep]);
}

const SHA256: OpDef = {
  name: 'sha256sum', kind: 'string',
  evaluate: (s) => createHash('sha256').update(String(s)).digest('hex'),
  go: ([s], operand) => `${operand(s)} | sha256sum`,
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
