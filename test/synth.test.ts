import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { AirflowChart } from '../src';

// AirflowChart.toJson() (src/synth.ts) must render exactly what cdk8s's own Chart.toJson() renders, with the same
// validation, while preparing only its own chart. Each test compares with cdk8s's path on an identical app.

/**
 * A user's App: two AirflowCharts, one with a user object its scheduler depends on, a dependency between two of
 * its components and a chart nested in it; a cross-chart dependency; and a plain cdk8s Chart of the user's own.
 */
function userApp(): App {
  const app = Testing.app();
  const a = new AirflowChart(app, 'team-a', { namespace: 'a' });
  const b = new AirflowChart(app, 'team-b', { namespace: 'b' });
  const extra = new ApiObject(b, 'Extra', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra' } });
  b.scheduler.node.addDependency(extra);
  b.triggerer.node.addDependency(b.postgres!);
  const addons = new Chart(b, 'addons', { namespace: 'b' });
  new ApiObject(addons, 'Addon', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'addon' } });
  a.addDependency(b);
  const user = new Chart(app, 'user', { namespace: 'a' });
  new ApiObject(user, 'Client', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'client' } });
  user.addDependency(a.apiServer);
  return app;
}

/** Makes every AirflowChart of `app` render through cdk8s's own `Chart.toJson()` (App._synthChart). */
function withCdk8sToJson(app: App): App {
  for (const c of app.node.findAll()) {
    if (c instanceof AirflowChart) c.toJson = Chart.prototype.toJson;
  }
  return app;
}

function chart(app: App, id: string): Chart {
  return app.node.findChild(id) as Chart;
}

/** Every file `app.synth()` wrote, by name. */
function synthFiles(app: App): Record<string, string> {
  app.synth();
  return Object.fromEntries(fs.readdirSync(app.outdir).sort().map(f => [f, fs.readFileSync(path.join(app.outdir, f), 'utf8')]));
}

function names(manifests: any[]): string[] {
  return manifests.map(m => `${m.kind}/${m.metadata.name}`);
}

/** A construct whose validation always fails. */
function failing(scope: Construct, id: string, message: string): Construct {
  const c = new Construct(scope, id);
  c.node.addValidation({ validate: () => [message] });
  return c;
}

describe('AirflowChart.toJson', () => {
  test('renders an App byte for byte as cdk8s does', () => {
    // GIVEN the same user App twice
    // WHEN one renders through AirflowChart.toJson and the other through cdk8s's Chart.toJson
    const ours = userApp();
    const theirs = withCdk8sToJson(userApp());
    // THEN app.synth() writes the same files and app.synthYaml() the same YAML
    const files = synthFiles(ours);
    expect(files).toEqual(synthFiles(theirs));
    expect(Object.keys(files)).toEqual(['0000-team-b-addons-c8d99971.k8s.yaml', '0001-team-b.k8s.yaml', '0002-team-a.k8s.yaml', '0003-user.k8s.yaml']);
    expect(userApp().synthYaml()).toEqual(withCdk8sToJson(userApp()).synthYaml());
  });

  test.each(['team-a', 'team-b'])('renders %s alone as cdk8s does, dependencies first', (id) => {
    // GIVEN a fresh user App; WHEN one AirflowChart is rendered alone, before any app-wide pass
    const ours = Testing.synth(chart(userApp(), id));
    const theirs = Chart.prototype.toJson.call(chart(userApp(), id));
    // THEN the objects and their order are cdk8s's
    expect(ours).toEqual(theirs);
    expect(names(ours)).not.toContain('ConfigMap/addon'); // rendered by the nested chart
  });

  test('orders a user dependency inside an AirflowChart before its dependant', () => {
    const order = names(Testing.synth(chart(userApp(), 'team-b')));
    const scheduler = order.findIndex(n => n.startsWith('Deployment/') && n.endsWith('-scheduler'));
    const triggerer = order.findIndex(n => n.endsWith('-triggerer') && !n.startsWith('NetworkPolicy/'));
    const postgres = order.findIndex(n => n.startsWith('StatefulSet/') && n.endsWith('-postgres'));
    expect(scheduler).toBeGreaterThan(order.indexOf('ConfigMap/extra'));
    expect(triggerer).toBeGreaterThan(postgres);
  });

  test('orders charts by chart.addDependency as cdk8s does', () => {
    const build = () => {
      const app = Testing.app();
      const first = new AirflowChart(app, 'first', { namespace: 'one' });
      const second = new AirflowChart(app, 'second', { namespace: 'two' });
      first.addDependency(second);
      return app;
    };
    const files = synthFiles(build());
    expect(files).toEqual(synthFiles(withCdk8sToJson(build())));
    expect(Object.keys(files)).toEqual(['0000-second.k8s.yaml', '0001-first.k8s.yaml']);
    const yaml = build().synthYaml();
    expect(yaml).toEqual(withCdk8sToJson(build()).synthYaml());
    expect(yaml.lastIndexOf('namespace: two')).toBeLessThan(yaml.indexOf('namespace: one'));
  });

  test('fails when a construct in an AirflowChart fails its validation', () => {
    const build = () => {
      const app = Testing.app();
      const airflow = new AirflowChart(app, 'airflow', { namespace: 'airflow' });
      failing(airflow.scheduler, 'Quota', 'quota exceeded: set scheduler.replicas to 1');
      return app;
    };
    const message = 'Validation failed with the following errors:\n  [airflow/Scheduler/Quota] quota exceeded: set scheduler.replicas to 1';
    expect(() => build().synth()).toThrow(message);
    expect(() => build().synthYaml()).toThrow(message);
    expect(() => Testing.synth(chart(build(), 'airflow'))).toThrow(message);
    expect(() => Chart.prototype.toJson.call(chart(build(), 'airflow'))).toThrow(message);
  });

  test('fails when the App of an AirflowChart rendered alone fails its validation', () => {
    const app = Testing.app();
    const airflow = new AirflowChart(app, 'airflow', { namespace: 'airflow' });
    app.node.addValidation({ validate: () => ['no cluster configured'] });
    expect(() => Testing.synth(airflow)).toThrow('Validation failed with the following errors:\n  [] no cluster configured');
  });

  test('validates a chart twice per app.synth(), not once per chart in the App', () => {
    // GIVEN three AirflowCharts, the first with a construct that counts its validations
    const build = () => {
      const app = Testing.app();
      const charts = ['a', 'b', 'c'].map(id => new AirflowChart(app, id, { namespace: id }));
      const counted = { runs: 0 };
      new Construct(charts[0], 'Counted').node.addValidation({ validate: () => { counted.runs++; return []; } });
      return { app, counted };
    };
    // WHEN the App is synthesized
    const ours = build();
    ours.app.synth();
    const theirs = build();
    withCdk8sToJson(theirs.app).synth();
    // THEN app.synth() validates once, then the chart itself once; cdk8s validates the whole App once more per chart
    expect(ours.counted.runs).toBe(2);
    expect(theirs.counted.runs).toBe(4);
  });
});
