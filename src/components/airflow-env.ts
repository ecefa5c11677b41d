import { AIRFLOW_HOME } from '../config/dags';

/** Environment every Airflow container gets (non-secret). */
export function airflowBaseEnv(): Record<string, string>[] {
  return [
    { name: 'AIRFLOW_HOME', value: AIRFLOW_HOME },
    // The image entrypoint would otherwise probe the database on every start; the init container does it once.
    { name: 'CONNECTION_CHECK_MAX_COUNT', value: '0' },
    // Byte-code caches would be written next to the sources on a read-only root.
    { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
  ];
}

