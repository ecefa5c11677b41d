import { App } from 'cdk8s';
import { Construct } from 'constructs';
import { AirflowChart, Executor } from '../src';

/** LocalExecutor: tasks run inside the scheduler; no workers, no Redis. One replica of everything. */
export function minimalExample(scope: Construct): AirflowChart {
  return new AirflowChart(scope, 'airflow-minimal', {
    namespace: 'airflow-minimal',
    releaseName: 'airflow',
    executor: Executor.LOCAL,
    apiServer: { replicas: 1 },
    scheduler: { replicas: 1 },
  });
}

if (require.main === module) {
  const app = new App();
  minimalExample(app);
  app.synth();
}
