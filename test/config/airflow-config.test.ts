import { mergeConfig, renderAirflowCfg, validateConfig } from '../../src/config/airflow-config';

describe('airflow.cfg rendering', () => {
  test('sections and keys are sorted so the checksum is stable', () => {
    // GIVEN two orderings of the same settings
    const a = renderAirflowCfg({ core: { b: 1, a: 'x' }, api: { port: 8080 } });
    const b = renderAirflowCfg({ api: { port: 8080 }, core: { a: 'x', b: 1 } });
    // THEN the text is identical
    expect(a).toBe(b);
    expect(a).toBe('[api]\nport = 8080\n\n[core]\na = x\nb = 1\n');
  });

  test('booleans use Airflow spelling, % is doubled, Jinja and multi-line values survive', () => {
    const text = renderAirflowCfg({ s: { on: true, off: false, fmt: '%(levelname)s {{ ti.dag_id }}', multi: 'a\nb' } });
    expect(text).toContain('on = True\n');
    expect(text).toContain('off = False\n');
    expect(text).toContain('fmt = %%(levelname)s {{ ti.dag_id }}\n');
    expect(text).toContain('multi = a\n    b\n');
  });

  test('empty sections are left out', () => {
    expect(renderAirflowCfg({ empty: {}, core: { a: 1 } })).toBe('[core]\na = 1\n');
  });

  test('later layers win key by key', () => {
    expect(mergeConfig({ core: { a: 1, b: 2 } }, { core: { b: 3 }, api: { c: 4 } })).toEqual({ core: { a: 1, b: 3 }, api: { c: 4 } });
  });

});

describe('config checked against Airflow\'s configuration reference', () => {
  const errorOf = (config: object, extraConfig: object = {}): string => {
    try {
      validateConfig(config as any, extraConfig as any);
    } catch (e) {
      return (e as Error).message;
    }
    return '(no error)';
  };

  test('accepts settings of Airflow and its providers, in Airflow\'s types', () => {
    expect(errorOf({
      core: { parallelism: 64, max_active_tasks_per_dag: '32', dags_are_paused_at_creation: 'True', dagbag_import_timeout: 45.5, default_task_execution_timeout: '' },
      logging: { log_filename_template: '{{ ti.dag_id }}/{{ ti.task_id }}/{{ try_number }}.log' },
      celery: { worker_enable_remote_control: false, operation_timeout: 2 },
      'common.io': { xcom_objectstorage_threshold: 1024 },
      kubernetes_executor: { worker_pods_creation_batch_size: 4 },
      fab: { session_lifetime_minutes: 60 },
      workers: { secrets_backend: 'airflow.secrets.local_filesystem.LocalFilesystemBackend' },
    })).toBe('(no error)');
  });

  test('allows the _cmd and _secret variants of the settings Airflow marks sensitive', () => {
    expect(errorOf({ sentry: { sentry_dsn_secret: 'sentry/dsn' }, secrets: { backend_kwargs_cmd: 'cat /run/backend.json' } })).toBe('(no error)');
  });

  test.each([
    ['throws if a section is unknown, naming the closest one', { schedular: { parsing_cleanup_interval: 60 } },
      'config.schedular: unknown section; did you mean \'scheduler\'? (Airflow 3.3.2 and its providers have no [schedular]; sections of plugins go in extraConfig)'],
    ['throws if a section is unknown and nothing is close', { my_plugin: { endpoint: 'x' } },
      'config.my_plugin: unknown section (Airflow 3.3.2 and its providers have no [my_plugin]; sections of plugins go in extraConfig)'],
    ['throws if a section is one Airflow 3 removed', { webserver: { some_key: 1 } },
      'config.webserver: unknown section (Airflow 3.3.2 has no [webserver]: its options were removed or moved to [api], [fab]; sections of plugins go in extraConfig)'],
    ['throws if a setting was removed without replacement', { webserver: { navbar_logo_text_color: 'x' } },
      'config.webserver.navbar_logo_text_color is no longer read by Airflow 3.3.2 (removed in Airflow 3); remove it'],
    ['throws if a key is unknown, naming the closest one', { core: { paralellism: 64 } },
      'config.core.paralellism: unknown key; did you mean \'parallelism\'? (apache-airflow 3.3.2 has no [core] paralellism; keys of plugins go in extraConfig)'],
    ['throws if a key belongs to another section, naming it', { core: { min_file_process_interval: 30 } },
      'config.core.min_file_process_interval: unknown key; did you mean \'dag_processor.min_file_process_interval\'? (apache-airflow 3.3.2 has no [core] min_file_process_interval; keys of plugins go in extraConfig)'],
    ['throws if a provider section has an unknown key, naming the provider', { celery: { worker_concurency: 8 } },
      'config.celery.worker_concurency: unknown key; did you mean \'worker_concurrency\'? (apache-airflow-providers-celery 3.26.0 has no [celery] worker_concurency; keys of plugins go in extraConfig)'],
    ['throws if an integer is not one', { core: { parallelism: 'many' } }, 'config.core.parallelism must be an integer, got \'many\''],
    ['throws if an integer is fractional', { core: { parallelism: 1.5 } }, 'config.core.parallelism must be an integer, got 1.5'],
    ['throws if a number is not one', { core: { dagbag_import_timeout: 'slow' } }, 'config.core.dagbag_import_timeout must be a number, got \'slow\''],
    ['throws if a boolean is not one', { celery: { worker_enable_remote_control: 'yes' } }, 'config.celery.worker_enable_remote_control must be a boolean (true or false), got \'yes\''],
    ['throws if a boolean is a number', { celery: { worker_enable_remote_control: 1 } }, 'config.celery.worker_enable_remote_control must be a boolean (true or false), got 1'],
    ['throws if a setting with no default is given a word', { core: { default_task_execution_timeout: 'never' } }, 'config.core.default_task_execution_timeout must be an integer or empty (none), got \'never\''],
    ['throws if a setting is deprecated, naming its replacement', { webserver: { instance_name: 'prod' } },
      'config.webserver.instance_name is deprecated since Airflow 3.1.0: it is now api.instance_name; set config.api.instance_name instead'],
    ['throws if a deprecated setting\'s replacement is the chart\'s', { webserver: { web_server_port: 8081 } },
      'config.webserver.web_server_port is deprecated since Airflow 3.0: it is now api.port, which the chart manages; use nothing: the Service and probes use 8080'],
    ['throws if a deprecated setting\'s replacement is a secret', { webserver: { secret_key: 'x' } },
      'config.webserver.secret_key is deprecated since Airflow 3.0.2: it is now api.secret_key, which holds a secret; use secrets.apiSecretKey (a SecretKeyRef) or the generated Secret'],
    ['throws if a setting Airflow still describes is deprecated, with its reason', { traces: { otel_debug_traces_on: true } },
      'config.traces.otel_debug_traces_on is deprecated since Airflow 3.2.0: This parameter is no longer used.'],
    ['throws if a setting moved in Airflow 3, naming where', { scheduler: { min_file_process_interval: 30 } },
      'config.scheduler.min_file_process_interval is no longer read by Airflow 3.3.2: it moved to dag_processor.min_file_process_interval in Airflow 3; set config.dag_processor.min_file_process_interval instead'],
    ['throws if a setting was removed, with Airflow\'s advice', { smtp: { smtp_password: 'x' } },
      'config.smtp.smtp_password is no longer read by Airflow 3.3.2 (removed in Airflow 3): Please use the SMTP connection (`smtp_default`); remove it'],
    ['throws if a setting Airflow marks sensitive is set', { sentry: { sentry_dsn: 'https://key@sentry.example.org/1' } },
      'config.sentry.sentry_dsn holds a secret (Airflow marks it sensitive) and cannot be set in config (it would land in a ConfigMap); set sentry_dsn_secret (a key of your secrets backend) or sentry_dsn_cmd (a command printing it) instead, or pass AIRFLOW__SENTRY__SENTRY_DSN from a Secret with extraEnv'],
    ['throws if the JWT secret is set', { api_auth: { jwt_secret: 'x' } },
      'config.api_auth.jwt_secret holds a secret and cannot be set in config (it would land in a ConfigMap); use secrets.jwtSecret (a SecretKeyRef) or the generated Secret'],
    ['throws if the broker URL is set', { celery: { broker_url: 'redis://' } },
      'config.celery.broker_url holds a secret and cannot be set in config (it would land in a ConfigMap); use the broker prop (CeleryBroker.embedded/external)'],
    ['throws if a command would supply a secret the chart provides', { database: { sql_alchemy_conn_cmd: 'cat /x' } },
      'config.database.sql_alchemy_conn_cmd is ignored: the chart sets database.sql_alchemy_conn from a Secret (environment variables win over airflow.cfg); use the database prop (MetadataDatabase.embedded/external)'],
    ['throws if the log folder is set', { logging: { base_log_folder: '/x' } }, 'config.logging.base_log_folder is managed by the chart; use nothing: the writable log volume is mounted there'],
    ['throws if the executor is set', { core: { executor: 'LocalExecutor' } }, 'config.core.executor is managed by the chart; use the executor prop'],
    ['throws if a number is not finite', { core: { parallelism: Infinity } }, 'config.core.parallelism must be a string, finite number or boolean, got Infinity'],
    ['throws if a section is an array', { core: [] }, 'config.core must be an object of key: value settings'],
  ])('%s', (_, config, message) => {
    expect(errorOf(config)).toBe(message);
  });
});

describe('extraConfig: the escape hatch for what the reference does not describe', () => {
  const errorOf = (extraConfig: object): string => {
    try {
      validateConfig({}, extraConfig as any);
    } catch (e) {
      return (e as Error).message;
    }
    return '(no error)';
  };

  test('accepts plugins\' own sections, and keys a known section does not describe', () => {
    expect(errorOf({ my_plugin: { endpoint: 'https://x.example.org', retries: 3, verbose: true, password_cmd: 'cat /run/pw' }, celery: { my_plugin_queue: 'x' } })).toBe('(no error)');
  });

  test.each([
    ['throws if a key is one the reference describes', { core: { parallelism: 64 } },
      'extraConfig.core.parallelism is described by the Airflow configuration reference; set it in config, where it is checked'],
    ['throws if a key is a sensitive setting\'s variant the reference describes', { sentry: { sentry_dsn_cmd: 'x' } },
      'extraConfig.sentry.sentry_dsn_cmd is described by the Airflow configuration reference; set it in config, where it is checked'],
    ['throws if a key is a renamed setting', { webserver: { base_url: 'https://x' } },
      'extraConfig.webserver.base_url is deprecated since Airflow 3.0: it is now api.base_url; set config.api.base_url instead'],
    ['throws if a key looks like a secret', { my_plugin: { api_token: 'x' } },
      'extraConfig.my_plugin.api_token looks like a secret and cannot be set in extraConfig (it would land in a ConfigMap); pass it from a Secret with extraEnv, or use its \'api_token_secret\' / \'api_token_cmd\' variant'],
    ['throws if a key is a secret the chart provides', { core: { fernet_key: 'x' } },
      'extraConfig.core.fernet_key holds a secret and cannot be set in extraConfig (it would land in a ConfigMap); use secrets.fernetKey (a SecretKeyRef) or the generated Secret'],
    ['throws if a key is one the chart owns', { api: { port: 9090 } }, 'extraConfig.api.port is managed by the chart; use nothing: the Service and probes use 8080'],
    ['throws if a section name is not Airflow\'s form', { 'My-Plugin': { a: 1 } },
      'extraConfig section \'My-Plugin\' is invalid: Airflow sections use only [a-z0-9_] and dots (e.g. \'core\', \'celery_kubernetes_executor\', \'common.io\')'],
  ])('%s', (_, extraConfig, message) => {
    expect(errorOf(extraConfig)).toBe(message);
  });
});
