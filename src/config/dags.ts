/**
 * Where DAG files come from. Airflow 3 reads DAG files in the dag-processor (parsing) and wherever tasks
 * run (workers, triggerer, the scheduler with LocalExecutor); the api-server and scheduler use serialized DAGs.
 */
export class DagsSource {
  /** DAGs baked into the image at `/opt/airflow/dags` (the image default). */
  public static fromImage(): DagsSource {
    return new DagsSource(undefined);
  }

  /** DAGs on an existing PersistentVolumeClaim (ReadOnlyMany or ReadWriteMany), mounted read-only. */
  public static fromPersistentVolumeClaim(claimName: string): DagsSource {
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(claimName)) {
      throw new Error(`dags claim name must be a DNS subdomain, got '${claimName}'`);
    }
    return new DagsSource(claimName);
  }

  private constructor(/** The PersistentVolumeClaim holding the DAGs (none: in the image). */ public readonly claimName: string | undefined) {}
}

/** Where the official image keeps AIRFLOW_HOME and its folders. */
export const AIRFLOW_HOME = '/opt/airflow';
export const DAGS_FOLDER = `${AIRFLOW_HOME}/dags`;
export const LOGS_FOLDER = `${AIRFLOW_HOME}/logs`;
