import { CFG_PLACEHOLDER, CFG_SUM_PLACEHOLDER, CONFIG_KIND, JOB_HASH_PLACEHOLDER } from './generator';
import { cond } from '../values/model';
import { Expr, ListItem, MapEntry, nonEmpty, TNode } from './tree';

/**
 * Writes a template tree as Helm template text. Conditions become `{{- if }}` blocks, values become
 * `{{ ... }}` actions with a printing pipeline per type, passed-through YAML becomes `toYaml | nindent`.
 * Literal text is JSON-quoted (valid YAML) and every `{{` in it is escaped, so Airflow's own Jinja survives.
 */

const pad = (n: number) => ' '.repeat(n);

/** Escapes Go-template delimiters in literal text. */
export function escapeTemplate(s: string): string {
  return s.replace(/\{\{/g, '{{ "{{" }}');
}

/** A literal string as a YAML (JSON) double-quoted scalar, template-safe. */
function quote(s: string): string {
  return escapeTemplate(JSON.stringify(s));
}

const KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function key(k: string): string {
  return KEY.test(k) && !RESERVED.test(k) ? k : quote(k);
}

/** An expression printed as a scalar of its type. */
function scalarExpr(e: Expr): string {
  switch (e.type) {
    case 'string': return `{{ ${e.helm} | toJson }}`;
    case 'integer': return `{{ ${e.helm} | int64 }}`;
    case 'boolean': return `{{ ${e.helm} }}`;
    default: throw new Error(`internal: ${e.helm} is not a scalar`);
  }
}

/** An expression printed inside a double-quoted string. */
function inStringExpr(e: Expr): string {
  if (e.helm.startsWith('$.Release.')) return `{{ ${e.helm} }}`;
  return `{{ include "airflow.inline" (${e.helm}) }}`;
}

/** The inline YAML text of a scalar node, or undefined when the node needs lines of its own. */
function inline(node: TNode): string | undefined {
  switch (node.t) {
    case 'lit':
      if (node.v === CFG_PLACEHOLDER) return '{{ include "airflow.config.cfg" $ | toJson }}';
      if (node.v === CFG_SUM_PLACEHOLDER) return '{{ include "airflow.config.cfg" $ | sha256sum | quote }}';
      return typeof node.v === 'string' ? quote(node.v) : JSON.stringify(node.v);
    case 'str':
      return `"${node.parts.map((p) => (typeof p === 'string' ? escapeTemplate(JSON.stringify(p).slice(1, -1)) : inStringExpr(p))).join('')}"`;
    case 'expr':
      return node.e.type === 'yaml' ? undefined : scalarExpr(node.e);
    case 'switch': {
      const branches = [...node.cases.map((c) => inline(c.node)), inline(node.otherwise)];
      if (branches.some((b) => b === undefined)) return undefined;
      let out = '';
      node.cases.forEach((c, i) => { out += `{{ ${i === 0 ? 'if' : 'else if'} ${c.when.helm} }}${branches[i]}`; });
      return `${out}{{ else }}${branches[branches.length - 1]}{{ end }}`;
    }
    default:
      return undefined;
  }
}

/** Emits lines into a buffer. */
export class TemplateWriter {
  public readonly lines: string[] = [];
  /** Named templates (`define`) the objects need, e.g. Job pod templates. */
  public readonly defines: string[] = [];

  public map(node: TNode, indent: number): void {
    if (node.t !== 'map') throw new Error(`internal: expected a map, got ${node.t}`);
    for (const e of node.entries) this.entry(e, indent);
  }

  private guarded(when: { helm: string } | undefined, indent: number, body: () => void): void {
    if (!when) { body(); return; }
    this.lines.push(`${pad(indent)}{{- if ${when.helm} }}`);
    body();
    this.lines.push(`${pad(indent)}{{- end }}`);
  }

  private entry(e: MapEntry, indent: number): void {
    const ne = 'spread' in e || !e.omitEmpty ? undefined : nonEmpty(e.node);
    this.guarded(e.when && ne ? cond.and(e.when, ne) : e.when ?? ne, indent, () => {
      if ('spread' in e) {
        this.lines.push(`${pad(indent)}{{- with ${e.spread.helm} }}`, `${pad(indent)}{{- toYaml . | nindent ${indent} }}`, `${pad(indent)}{{- end }}`);
      } else {
        this.keyValue(e.key, e.node, indent);
      }
    });
  }

  /** A map or list whose every entry is conditional prints `{}` / `[]` when none holds (not YAML's null). */
  private orEmpty(node: TNode, indent: number, empty: string, body: () => void): void {
    const ne = nonEmpty(node);
    if (!ne) { body(); return; }
    this.lines.push(`${pad(indent)}{{- if ${ne.helm} }}`);
    body();
    this.lines.push(`${pad(indent)}{{- else }}`, `${pad(indent)}${empty}`, `${pad(indent)}{{- end }}`);
  }

  private keyValue(k: string, node: TNode, indent: number): void {
    const text = inline(node);
    if (text !== undefined) { this.lines.push(`${pad(indent)}${key(k)}: ${text}`); return; }
    switch (node.t) {
      case 'map':
        if (node.entries.length === 0) { this.lines.push(`${pad(indent)}${key(k)}: {}`); return; }
        this.orEmpty(node, indent, `${key(k)}: {}`, () => {
          this.lines.push(`${pad(indent)}${key(k)}:`);
          this.map(node, indent + 2);
        });
        return;
      case 'list':
        if (node.items.length === 0) { this.lines.push(`${pad(indent)}${key(k)}: []`); return; }
        this.orEmpty(node, indent, `${key(k)}: []`, () => {
          this.lines.push(`${pad(indent)}${key(k)}:`);
          this.list(node, indent + 2);
        });
        return;
      case 'expr':
        this.lines.push(`${pad(indent)}${key(k)}:`, `${pad(indent + 2)}{{- ${yamlPipeline(node.e)} | nindent ${indent + 2} }}`);
        return;
      case 'yamlText':
        this.lines.push(`${pad(indent)}${key(k)}: |`);
        this.map(node.node, indent + 2);
        return;
      case 'switch':
        node.cases.forEach((c, i) => {
          this.lines.push(`${pad(indent)}{{- ${i === 0 ? 'if' : 'else if'} ${c.when.helm} }}`);
          this.keyValue(k, c.node, indent);
        });
        this.lines.push(`${pad(indent)}{{- else }}`);
        this.keyValue(k, node.otherwise, indent);
        this.lines.push(`${pad(indent)}{{- end }}`);
        return;
      default:
        throw new Error(`internal: cannot emit ${node.t} under ${k}`);
    }
  }

  public list(node: TNode, indent: number): void {
    if (node.t !== 'list') throw new Error(`internal: expected a list, got ${node.t}`);
    for (const it of node.items) this.item(it, indent);
  }

  private item(it: ListItem, indent: number): void {
    this.guarded(it.when, indent, () => {
      if ('spread' in it) {
        this.lines.push(`${pad(indent)}{{- with ${it.spread.helm} }}`, `${pad(indent)}{{- toYaml . | nindent ${indent} }}`, `${pad(indent)}{{- end }}`);
      } else if ('range' in it) {
        this.lines.push(`${pad(indent)}{{- range $item := ${it.range.helm} }}`);
        this.element(it.item, indent);
        this.lines.push(`${pad(indent)}{{- end }}`);
      } else {
        this.element(it.node, indent);
      }
    });
  }

  private element(node: TNode, indent: number): void {
    const text = inline(node);
    if (text !== undefined) { this.lines.push(`${pad(indent)}- ${text}`); return; }
    switch (node.t) {
      case 'map': {
        const [first, ...rest] = node.entries;
        const firstInline = first && !('spread' in first) && !first.when ? inline(first.node) : undefined;
        if (first && !('spread' in first) && !first.when && firstInline !== undefined) {
          this.lines.push(`${pad(indent)}- ${key(first.key)}: ${firstInline}`);
          this.map({ t: 'map', entries: rest }, indent + 2);
        } else {
          this.orEmpty(node, indent, '- {}', () => {
            this.lines.push(`${pad(indent)}-`);
            this.map(node, indent + 2);
          });
        }
        return;
      }
      case 'list':
        this.orEmpty(node, indent, '- []', () => {
          this.lines.push(`${pad(indent)}-`);
          this.list(node, indent + 2);
        });
        return;
      case 'expr':
        this.lines.push(`${pad(indent)}-`, `${pad(indent + 2)}{{- ${yamlPipeline(node.e)} | nindent ${indent + 2} }}`);
        return;
      case 'switch':
        node.cases.forEach((c, i) => {
          this.lines.push(`${pad(indent)}{{- ${i === 0 ? 'if' : 'else if'} ${c.when.helm} }}`);
          this.element(c.node, indent);
        });
        this.lines.push(`${pad(indent)}{{- else }}`);
        this.element(node.otherwise, indent);
        this.lines.push(`${pad(indent)}{{- end }}`);
        return;
      default:
        throw new Error(`internal: cannot emit a ${node.t} list element`);
    }
  }
}

/** Expressions of type yaml print with toYaml; pre-rendered YAML (an include) prints as it is. */
function yamlPipeline(e: Expr): string {
  return e.helm.startsWith('include ') ? e.helm : `toYaml ${e.helm}`;
}

/** An object of the template tree with what the emitter needs to place it. */
export interface EmittedObject {
  readonly kind: string;
  readonly component: string;
  readonly text: string;
  readonly defines: string[];
}

function literalAt(node: TNode, ...path: string[]): string | undefined {
  let n: TNode | undefined = node;
  for (const k of path) {
    if (!n || n.t !== 'map') return undefined;
    const e = n.entries.find((x) => !('spread' in x) && x.key === k) as { node: TNode } | undefined;
    n = e?.node;
  }
  return n && n.t === 'lit' && typeof n.v === 'string' ? n.v : undefined;
}

function replaceEntry(node: TNode, path: string[], f: (n: TNode) => TNode): TNode {
  if (node.t !== 'map') throw new Error('internal: expected a map');
  const [k, ...rest] = path;
  return {
    t: 'map',
    entries: node.entries.map((e) => ('spread' in e || e.key !== k ? e : { ...e, node: rest.length ? replaceEntry(e.node, rest, f) : f(e.node) })),
  };
}

/** Adds `helm.sh/chart` to an object's own labels. */
function withChartLabel(node: TNode): TNode {
  return replaceEntry(node, ['metadata', 'labels'], (labels) => {
    if (labels.t !== 'map') return labels;
    return { t: 'map', entries: [...labels.entries, { key: 'helm.sh/chart', node: { t: 'expr', e: { helm: 'include "airflow.chart" $', js: () => '', type: 'string' } } }] };
  });
}

/** Emits every object of the tree; the chart config pseudo-object becomes a named template. */
export function emitObjects(objects: TNode): { objects: EmittedObject[]; configTemplate: string } {
  if (objects.t !== 'list') throw new Error('internal: expected the object list');
  const out: EmittedObject[] = [];
  let configTemplate = '';
  for (const it of objects.items) {
    if ('spread' in it || 'range' in it) throw new Error('internal: objects come from plain items');
    let node = it.node;
    const kind = literalAt(node, 'kind')!;
    const w = new TemplateWriter();
    if (kind === CONFIG_KIND) {
      w.map((node as any).entries.find((e: any) => e.key === 'data').node, 0);
      configTemplate = ['{{- define "airflow.config.chart" }}', ...w.lines, '{{- end }}'].join('\n');
      continue;
    }
    const component = literalAt(node, 'metadata', 'labels', 'app.kubernetes.io/component') ?? 'release';
    const defines: string[] = [];
    node = withChartLabel(node);
    if (kind === 'Job') {
      // The Job's name ends with a hash of its pod template: a changed template is a new Job.
      const define = `airflow.job.${component}.podTemplate`;
      const pod = new TemplateWriter();
      const spec = (node as any).entries.find((e: any) => e.key === 'spec').node;
      pod.map(spec.entries.find((e: any) => e.key === 'template').node, 0);
      defines.push([`{{- define "${define}" }}`, ...pod.lines, '{{- end }}'].join('\n'));
      const hash: Expr = { helm: `include "${define}" $ | sha256sum | trunc 8`, js: () => '', type: 'string' };
      node = replaceEntry(node, ['metadata', 'name'], (n) => {
        const parts = n.t === 'str' ? n.parts : n.t === 'lit' ? [n.v as string] : [];
        return { t: 'str', parts: parts.flatMap((p) => (typeof p === 'string' && p.includes(JOB_HASH_PLACEHOLDER) ? [p.replace(JOB_HASH_PLACEHOLDER, ''), hash] : [p])) };
      });
      node = replaceEntry(node, ['spec', 'template'], () => ({ t: 'expr', e: { helm: `include "${define}" $`, js: () => undefined, type: 'yaml' } }));
    }
    w.lines.push(...(it.when ? [`{{- if ${it.when.helm} }}`] : []), '---');
    w.map(node, 0);
    if (it.when) w.lines.push('{{- end }}');
    out.push({ kind, component, text: w.lines.join('\n'), defines });
  }
  return { objects: out, configTemplate };
}
