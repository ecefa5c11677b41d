/**
 * The Helm chart as the validators see it: `helm template` of charts/airflow with its default values, and with every
 * optional component on (every `enabled: false` of values.yaml turned on, see test/bench/all-on.ts). Rendered once
 * per test process with the pinned helm (test/helm/helm.ts).
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { chartAllOnValues } from '../bench/all-on';
import { CHART_DIR, helmTemplate } from '../helm/helm';
import { Manifest } from '../util';

let renderValues: Record<string, object> | undefined;

/** Values of each validated chart render, by source name (values.yaml is read once). */
export function chartRenderValues(): Record<string, object> {
  if (!renderValues) {
    const defaults = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'));
    renderValues = { 'helm:default': {}, 'helm:all-on': chartAllOnValues(defaults).values };
  }
  return renderValues;
}

const cache = new Map<string, Manifest[]>();

/** `helm template airflow charts/airflow --namespace airflow` with the values of `name`. */
export function chartRender(name: string): Manifest[] {
  let out = cache.get(name);
  if (!out) {
    const values = chartRenderValues()[name];
    if (!values) throw new Error(`no chart render named ${name}; known: ${Object.keys(chartRenderValues()).join(', ')}`);
    cache.set(name, out = helmTemplate({ values }));
  }
  return out;
}
