/**
 * Values for "helm template with every optional component on", derived from the chart's own values.yaml so the
 * benchmark follows the chart as it grows: every `enabled: false` switch becomes `true`. Pure.
 */

/** A deep copy of `values` with every `enabled: false` set to `true`, plus the dotted paths it flipped. */
export function allOptionalOn(values: unknown): { values: unknown; flipped: string[] } {
  const flipped: string[] = [];
  const walk = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}[${i}]`));
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = at ? `${at}.${k}` : k;
      if (k === 'enabled' && x === false) {
        out[k] = true;
        flipped.push(p);
      } else {
        out[k] = walk(x, p);
      }
    }
    return out;
  };
  return { values: walk(values, ''), flipped };
}

/**
 * The chart's "every optional component on" values: {@link allOptionalOn} of its values.yaml, plus what an enabled
 * Ingress (Airflow's and Cornflow's) requires (values.schema.json refuses it without a host and a TLS source).
 */
export function chartAllOnValues(valuesYaml: unknown): { values: any; flipped: string[] } {
  const { values, flipped } = allOptionalOn(valuesYaml);
  const withTls = (ingress: any, host: string) => {
    if (ingress?.enabled) {
      Object.assign(ingress, { host, tls: { ...ingress.tls, certManager: { ...ingress.tls?.certManager, issuer: 'letsencrypt' } } });
    }
  };
  withTls((values as any).ingress, 'airflow.example.com');
  withTls((values as any).cornflow?.ingress, 'cornflow.example.com');
  return { values, flipped };
}
