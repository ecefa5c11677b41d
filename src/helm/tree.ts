import { Condition, cond, jsonClone, truthy, Values } from '../values/model';

/**
 * The template tree: Kubernetes objects where some parts come from Helm values. Every node can be rendered
 * two ways that must agree: as Go-template text (emit.ts) and evaluated in TypeScript for given values
 * (`evaluate`), which is how the generator checks itself against the constructs.
 */

/** A value taken from Helm values (or derived from them). */
export interface Expr {
  /** Go-template pipeline producing the value, root-anchored (`$.Values.x`). */
  readonly helm: string;
  readonly js: (values: Values, scope: Scope) => any;
  /** How to print it in YAML: a scalar of a JSON type, or a YAML block (maps, lists). */
  readonly type: 'string' | 'integer' | 'boolean' | 'yaml';
}

/** Variables bound by `range`. */
export interface Scope {
  readonly item?: any;
}

export type Part = string | Expr;

export type TNode =
  | { readonly t: 'lit'; readonly v: null | boolean | number | string }
  | { readonly t: 'str'; readonly parts: Part[] }
  | { readonly t: 'expr'; readonly e: Expr }
  | { readonly t: 'map'; readonly entries: MapEntry[] }
  | { readonly t: 'list'; readonly items: ListItem[] }
  | { readonly t: 'switch'; readonly cases: { readonly when: Condition; readonly node: TNode }[]; readonly otherwise: TNode }
  /** A string holding YAML (e.g. a pod template in a ConfigMap), templated structurally. */
  | { readonly t: 'yamlText'; readonly node: TNode };

export type MapEntry =
  /** `omitEmpty`: the key is left out when its map is empty (e.g. annotations that every value can remove). */
  | { readonly key: string; readonly node: TNode; readonly when?: Condition; readonly omitEmpty?: boolean }
  /** Entries of a map from values, merged in (rendered with toYaml). */
  | { readonly spread: Expr; readonly when?: Condition };

export type ListItem =
  | { readonly node: TNode; readonly when?: Condition }
  /** Items of a list from values (rendered with toYaml). */
  | { readonly spread: Expr; readonly when?: Condition }
  /** One item per element of a values list, `$item` bound to the element. */
  | { readonly range: Expr; readonly item: TNode; readonly when?: Condition };

export const YAML_TEXT_KEY = '\u27e6yaml\u27e7';

/** Converts plain JSON into a literal tree, turning marked substrings into expressions. */
export function fromJson(json: unknown, split: (s: string) => TNode = (s) => ({ t: 'lit', v: s })): TNode {
  if (json === null || typeof json === 'boolean' || typeof json === 'number') return { t: 'lit', v: json };
  if (typeof json === 'string') return split(json);
  if (Array.isArray(json)) return { t: 'list', items: json.map((x) => ({ node: fromJson(x, split) })) };
  const o = json as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === YAML_TEXT_KEY) return { t: 'yamlText', node: fromJson(o[YAML_TEXT_KEY], split) };
  return { t: 'map', entries: keys.filter((k) => o[k] !== undefined).map((k) => ({ key: k, node: fromJson(o[k], split) })) };
}

const holds = (when: Condition | undefined, values: Values) => !when || when.js(values);

/** Evaluates a tree for given values: what `helm template` must produce (compared as parsed YAML). */
export function evaluate(node: TNode, values: Values, scope: Scope = {}): unknown {
  switch (node.t) {
    case 'lit': return node.v;
    case 'str': return node.parts.map((p) => (typeof p === 'string' ? p : String(p.js(values, scope)))).join('');
    case 'expr': return jsonClone(node.e.js(values, scope));
    case 'yamlText': return { [YAML_TEXT_KEY]: evaluate(node.node, values, scope) };
    case 'switch': {
      const c = node.cases.find((x) => x.when.js(values));
      return evaluate(c ? c.node : node.otherwise, values, scope);
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const e of node.entries) {
        if (!holds(e.when, values)) continue;
        if ('spread' in e) Object.assign(out, jsonClone(e.spread.js(values, scope) ?? {}));
        else {
          const x = evaluate(e.node, values, scope);
          if (!(e.omitEmpty && isEmptyMap(x))) out[e.key] = x;
        }
      }
      return out;
    }
    case 'list': {
      const out: unknown[] = [];
      for (const it of node.items) {
        if (!holds(it.when, values)) continue;
        if ('spread' in it) out.push(...jsonClone(it.spread.js(values, scope) ?? []));
        else if ('range' in it) for (const x of it.range.js(values, scope) ?? []) out.push(evaluate(it.item, values, { ...scope, item: x }));
        else out.push(evaluate(it.node, values, scope));
      }
      return out;
    }
  }
}

function isEmptyMap(x: unknown): boolean {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0;
}

const NEVER: Condition = { helm: 'false', js: () => false };

/**
 * When a map or list node renders non-empty, as a condition; undefined when it always does. The emitter uses it
 * for `omitEmpty` entries and to print `{}` / `[]` where every entry is conditional.
 */
export function nonEmpty(node: TNode): Condition | undefined {
  switch (node.t) {
    case 'map': {
      const present: Condition[] = [];
      for (const e of node.entries) {
        const inner = 'spread' in e ? { helm: e.spread.helm, js: (v: Values) => truthy(e.spread.js(v, {})) } : e.omitEmpty ? nonEmpty(e.node) : undefined;
        const c = e.when && inner ? cond.and(e.when, inner) : e.when ?? inner;
        if (!c) return undefined;
        present.push(c);
      }
      return present.length ? cond.or(...present) : NEVER;
    }
    case 'switch': {
      const branches = [...node.cases.map((c) => ({ when: c.when, node: c.node })), { when: undefined, node: node.otherwise }];
      const ne = branches.map((b) => nonEmpty(b.node));
      if (ne.every((c) => c === undefined)) return undefined;
      // Branch i is taken when its condition holds and no earlier one does.
      const taken = branches.map((b, i) => {
        const earlier = node.cases.slice(0, i).map((c) => cond.not(c.when));
        const parts = [...earlier, ...(b.when ? [b.when] : []), ...(ne[i] ? [ne[i]!] : [])];
        return parts.length ? cond.and(...parts) : undefined;
      });
      if (taken.some((t) => t === undefined)) return undefined;
      return cond.or(...taken as Condition[]);
    }
    case 'list': {
      const present: Condition[] = [];
      for (const it of node.items) {
        const inner = 'spread' in it ? it.spread : 'range' in it ? it.range : undefined;
        const ne: Condition | undefined = inner ? { helm: inner.helm, js: (v) => truthy(inner.js(v, {})) } : undefined;
        const c = it.when && ne ? cond.and(it.when, ne) : it.when ?? ne;
        if (!c) return undefined;
        present.push(c);
      }
      return present.length ? cond.or(...present) : NEVER;
    }
    case 'expr':
      return node.e.type === 'yaml' ? { helm: node.e.helm, js: (v) => truthy(node.e.js(v, {})) } : undefined;
    default:
      return undefined;
  }
}

/** Whether two JSON values are equal (maps compared without regard to key order). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ak = Object.keys(a as object).filter((k) => (a as any)[k] !== undefined);
  const bk = Object.keys(b as object).filter((k) => (b as any)[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}

/** Canonical JSON (sorted keys), for identities and messages. */
export function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') {
    return `{${Object.keys(x).filter((k) => (x as any)[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical((x as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}
