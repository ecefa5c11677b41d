import { ApiObject, Chart, DependencyGraph } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Renders one chart to its Kubernetes manifests, in dependency order: what cdk8s's `Chart.toJson()` does, but
 * prepared for this chart alone, so that N charts in one `app.synth()` cost O(N) instead of O(N²).
 *
 * Why: cdk8s 2.70's `Chart.toJson()` (`App._synthChart`) resolves dependencies and validates the *whole app*, and
 * `App.synth()` / `App.synthYaml()` call it once per chart, right after doing both passes over the whole app
 * themselves. See test/bench/NOTES.md, "Findings" 1.
 *
 * Why the output is the same: the manifests come from `DependencyGraph(chart.node)` (public cdk8s API, the same
 * graph cdk8s's private `chartToKube` uses), which only reads the dependencies of constructs in this chart's
 * subtree, and only edges between two of them. cdk8s's app-wide `resolveDependencies` adds a dependency to a
 * construct of this subtree only for a construct dependency whose source is in this subtree too (it adds to
 * `Chart.of(source)` and to the ApiObjects of `source` whose closest chart is `Chart.of(source)`; a source outside
 * this chart, even an ancestor, has a different closest chart). So {@link resolveChartDependencies} adds exactly
 * the dependencies the app-wide pass adds to this subtree, in the same order (a subtree's preorder is the app's
 * preorder restricted to it), and adding a dependency twice is a no-op (a `Set`). Inside `App.synth()` the app-wide
 * pass already ran, so nothing is added; called alone (`Testing.synth(chart)`), this chart's order is as before.
 *
 * What is validated: this chart's constructs, nested charts included, and its ancestors (the App), with cdk8s's
 * error message. Validations of *other* charts no longer run when this chart is rendered alone; `App.synth()`
 * and `App.synthYaml()` validate the whole app before rendering any chart, so an app still fails on any error.
 *
 * Only public cdk8s and constructs APIs are used. Remove this once cdk8s renders charts without the app-wide
 * passes inside `App.synth()` (then `Chart.toJson()` is linear there too).
 */
export function synthChart(chart: Chart): any[] {
  // Same order as cdk8s's `App._synthChart`: dependencies first, then validation.
  resolveChartDependencies(chart);
  validateChart(chart);
  return new DependencyGraph(chart.node).topology()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === chart) // an object renders in its closest chart only
    .map((o) => o.toJson());
}

/** cdk8s's `validate(app)` for `chart`'s ancestors and subtree: throws every `node.validate()` error at once. */
function validateChart(chart: Chart): void {
  const constructs = [...chart.node.scopes.slice(0, -1), ...chart.node.findAll()];
  const errors = constructs.flatMap((c) => c.node.validate().map((error) => `[${c.node.path}] ${error}`));
  if (errors.length > 0) {
    throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
  }
}

/**
 * cdk8s's `resolveDependencies(app)` for the dependencies whose source is in `chart`'s subtree: a chart depends on
 * the charts nested in it and on the charts its constructs depend on; an ApiObject depends on the ApiObjects of the
 * constructs its enclosing constructs depend on.
 */
function resolveChartDependencies(chart: Chart): void {
  const subtree = chart.node.findAll();
  const descendants = new Map<IConstruct, IConstruct[]>();
  const findAll = (c: IConstruct) => {
    let all = descendants.get(c);
    if (!all) descendants.set(c, all = c.node.findAll());
    return all;
  };
  const dependencies = () => subtree.flatMap((source) => source.node.dependencies.map((target) => ({ source, target })));
  const apiObjectsOf = (c: IConstruct, closestChart: Chart) =>
    findAll(c).filter((x) => ApiObject.isApiObject(x) && Chart.of(x) === closestChart);

  for (const parent of subtree.filter(Chart.isChart)) {
    for (const child of parent.node.children.filter(Chart.isChart)) parent.node.addDependency(child);
  }
  for (const { source, target } of dependencies()) {
    const sourceChart = Chart.of(source);
    const targetChart = Chart.of(target);
    if (sourceChart !== targetChart) sourceChart.node.addDependency(targetChart);
  }
  for (const { source, target } of dependencies()) {
    const targets = apiObjectsOf(target, Chart.of(target));
    const sources = apiObjectsOf(source, Chart.of(source));
    for (const t of targets) {
      for (const s of sources) {
        if (t !== s) s.node.addDependency(t);
      }
    }
  }
}
