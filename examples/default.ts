import { App } from 'cdk8s';
import { Construct } from 'constructs';
import { AirflowChart } from '../src';

/** Celery executor with embedded PostgreSQL and Redis: everything at its defaults. */
export function defaultExample(scope: Construct): AirflowChart {
  return new AirflowChart(scope, 'airflow', { namespace: 'airflow' });
}

if (require.main === module) {
  const app = new App();
  defaultExample(app);
  app.synth();
}
