/**
 * Where Airflow runs task instances.
 * @see https://airflow.apache.org/docs/apache-airflow/stable/core-concepts/executor/index.html
 */
export enum Executor {
  /** Celery workers fed through Redis. Horizontally scalable; the default. */
  CELERY = 'CeleryExecutor',
  /** Tasks run as subprocesses of the scheduler. No workers, no broker. */
  LOCAL = 'LocalExecutor',
  /** One pod per task, created by the scheduler through the Kubernetes API. */
  KUBERNETES = 'KubernetesExecutor',
}
