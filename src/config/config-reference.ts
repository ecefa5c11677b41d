import REFERENCE_DATA from './airflow-reference.json';

/**
 * Airflow's configuration reference, offline: every [section] key of airflow.cfg that Airflow 3.3.2 and the providers
 * this library knows describe, with its type, default and status, and the names Airflow renamed or removed.
 * `airflow-reference.json` is generated from the packages themselves by test/integration/airflow-reference.py
 * (`npm run config:reference`); test/integration/airflow-reference.test.ts regenerates it and compares.
 */

/** How Airflow parses a setting (config.yml's `type`). */
export type ReferenceType = 'string' | 'integer' | 'float' | 'boolean';

/** One setting Airflow describes. */
export interface ReferenceOption {
  readonly type: ReferenceType;
  /** Airflow's default, as text (null: none). */
  readonly default: string | null;
  /** A secret: Airflow reads it from `<key>_cmd` / `<key>_secret` too, and masks it. */
  readonly sensitive?: boolean;
  /** Still read, but deprecated (`version_deprecated`, `deprecation_reason`). */
  readonly deprecated?: { readonly since: string | null; readonly reason: string | null };
}

/** A name Airflow no longer describes. */
export interface RetiredOption {
  /** deprecated: Airflow still reads it, with a warning; removed: Airflow ignores it. */
  readonly status: 'deprecated' | 'removed';
  /** Airflow version that deprecated it. */
  readonly since?: string;
  /** `section.key` that replaces it. */
  readonly replacement?: string;
  /** Airflow's advice. */
  readonly reason?: string;
}

export interface ReferenceSection {
  /** The package(s) describing it, e.g. apache-airflow or apache-airflow-providers-celery. */
  readonly package: string;
  readonly options: Readonly<Record<string, ReferenceOption>>;
}

export interface AirflowReference {
  /** The Airflow version described. */
  readonly airflow: string;
  /** Every package read, with its version. */
  readonly packages: Readonly<Record<string, string>>;
  readonly sections: Readonly<Record<string, ReferenceSection>>;
  /** Renamed and removed names, by `section.key`. */
  readonly retired: Readonly<Record<string, RetiredOption>>;
}

export const AIRFLOW_REFERENCE: AirflowReference = REFERENCE_DATA as unknown as AirflowReference;

/** Suffixes under which Airflow also reads a sensitive setting: a command printing it, or a secrets-backend key. */
export const SENSITIVE_VARIANTS = ['_cmd', '_secret'];

/** The package and version describing a section, e.g. `apache-airflow-providers-celery 3.26.0`. */
export function sectionSource(section: string): string {
  const packages = AIRFLOW_REFERENCE.sections[section].package.split(', ');
  return packages.map((p) => `${p} ${AIRFLOW_REFERENCE.packages[p]}`).join(', ');
}

/**
 * The setting `[section] key`, or undefined. `<key>_cmd` and `<key>_secret` of a sensitive setting are settings too
 * (strings: a command, a secrets-backend key).
 */
export function referenceOption(section: string, key: string): ReferenceOption | undefined {
  const options = AIRFLOW_REFERENCE.sections[section]?.options;
  if (!options) return undefined;
  if (Object.prototype.hasOwnProperty.call(options, key)) return options[key];
  const base = sensitiveBase(section, key);
  return base === undefined ? undefined : { type: 'string', default: null };
}

/** The sensitive setting `key` is a `_cmd` / `_secret` variant of, if any. */
export function sensitiveBase(section: string, key: string): string | undefined {
  const options = AIRFLOW_REFERENCE.sections[section]?.options ?? {};
  for (const suffix of SENSITIVE_VARIANTS) {
    const base = key.endsWith(suffix) ? key.slice(0, -suffix.length) : undefined;
    if (base && options[base]?.sensitive) return base;
  }
  return undefined;
}

/** The renamed or removed name `section.key`, or undefined. */
export function retiredOption(section: string, key: string): RetiredOption | undefined {
  const path = `${section}.${key}`;
  return Object.prototype.hasOwnProperty.call(AIRFLOW_REFERENCE.retired, path) ? AIRFLOW_REFERENCE.retired[path] : undefined;
}

/** Sections Airflow 3 no longer has at all (e.g. webserver), with the sections their options moved to. */
export function retiredSections(): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const [path, entry] of Object.entries(AIRFLOW_REFERENCE.retired)) {
    const section = splitPath(path)[0];
    if (AIRFLOW_REFERENCE.sections[section]) continue;
    const targets = out.get(section) ?? new Set<string>();
    if (entry.replacement) targets.add(splitPath(entry.replacement)[0]);
    out.set(section, targets);
  }
  return new Map([...out.entries()].map(([s, t]) => [s, [...t].sort()]));
}

/** `section.key` -> [section, key]; section names may hold a dot (`common.io`), keys never do. */
export function splitPath(path: string): [string, string] {
  const i = path.lastIndexOf('.');
  return [path.slice(0, i), path.slice(i + 1)];
}

/**
 * The candidate closest to `name` in optimal string alignment distance (Levenshtein plus swapped neighbours:
 * `paralellism` is one step from `parallelism`), if it is close enough for a typo: at most 1 edit for names of up to
 * 4 characters, 2 up to 8, 3 beyond. Hand-written: fifteen lines, not worth a runtime dependency of the library
 * (npm's damerau-levenshtein would do the same).
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = name.length <= 4 ? 1 : name.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of [...candidates].sort()) {
    const d = osaDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function osaDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (__, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
