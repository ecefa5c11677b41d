"""The charts of test/python/scenarios.ts (examples/*.ts and one more), written with the Python package.

    python examples.py <outdir>             writes <outdir>/<scenario>/<chart id>.k8s.yaml for every scenario
    python examples.py --errors             prints, as JSON, the message each refused input raises in Python

test/python/bindings.test.ts runs it in a venv holding the wheel that jsii-pacmak built, and compares the files with
what the TypeScript constructs synthesize.
"""
import json
import os
import sys

import cdk8s
import cdk8s_plus_27 as kplus
from cdk8s_plus_27 import k8s

import cdk8s_airflow as af


def default_example(scope):
    return af.AirflowChart(scope, "airflow", namespace="airflow")


def minimal_example(scope):
    return af.AirflowChart(
        scope, "airflow-minimal",
        namespace="airflow-minimal",
        release_name="airflow",
        executor=af.Executor.LOCAL,
        api_server=af.ApiServerOptions(replicas=1),
        scheduler=af.SchedulerOptions(replicas=1),
    )


def size(cpu_millis, mem_request_mi, mem_limit_mi, disk_limit_mi=2048):
    return kplus.ContainerResources(
        cpu=kplus.CpuResources(request=kplus.Cpu.millis(cpu_millis)),
        memory=kplus.MemoryResources(request=cdk8s.Size.mebibytes(mem_request_mi), limit=cdk8s.Size.mebibytes(mem_limit_mi)),
        ephemeral_storage=kplus.EphemeralStorageResources(request=cdk8s.Size.mebibytes(256), limit=cdk8s.Size.mebibytes(disk_limit_mi)),
    )


def production_example(scope):
    return af.AirflowChart(
        scope, "airflow-production",
        namespace="airflow-prod",
        release_name="airflow",
        database=af.MetadataDatabase.external(
            host="airflow-db.postgres.example.com",
            database="airflow",
            user="airflow",
            password=af.SecretKeyRef.from_secret("airflow-db", "password"),
            ssl_mode=af.SslMode.VERIFY_FULL,
            ca_certificate=af.SecretKeyRef.from_secret("airflow-db-ca", "ca.crt"),
            cidrs=["10.20.0.0/16"],
        ),
        broker=af.CeleryBroker.external(
            host="airflow-redis.redis.example.com",
            port=6380,
            password=af.SecretKeyRef.from_secret("airflow-redis", "password"),
            tls=True,
            ca_certificate=af.SecretKeyRef.from_secret("airflow-redis-ca", "ca.crt"),
            cidrs=["10.30.0.0/16"],
        ),
        api_server=af.ApiServerOptions(replicas=3, resources=size(500, 2048, 3072)),
        scheduler=af.SchedulerOptions(replicas=2, resources=size(1000, 2048, 4096)),
        dag_processor=af.DagProcessorOptions(resources=size(500, 2048, 4096)),
        triggerer=af.TriggererOptions(replicas=2, resources=size(250, 1024, 2048)),
        workers=af.CeleryWorkersOptions(replicas=4, concurrency=16, resources=size(1000, 4096, 8192, 8192)),
        flower=af.FlowerChartOptions(enabled=True),
        ingress=af.IngressOptions(
            host="airflow.example.com",
            class_name="nginx",
            tls=af.IngressTls.cert_manager("letsencrypt-prod", af.IssuerKind.CLUSTER_ISSUER),
        ),
        network_policy=af.NetworkPolicyOptions(task_egress_cidrs=["10.0.0.0/8"]),
        config={
            "core": {"parallelism": 128, "max_active_tasks_per_dag": 32},
            "logging": {"log_filename_template": "dag_id={{ ti.dag_id }}/run_id={{ ti.run_id }}/task_id={{ ti.task_id }}/attempt={{ try_number|default(ti.try_number) }}.log"},
        },
    )


def cornflow_example(scope):
    directory = af.LdapDirectory(
        url="ldaps://ldap.example.org",
        ca_certificate=af.SecretKeyRef.from_secret("ldap-ca", "ca.crt"),
        bind_dn="cn=airflow,ou=services,dc=example,dc=org",
        bind_password=af.SecretKeyRef.from_secret("ldap-bind", "password"),
        user_base="ou=people,dc=example,dc=org",
        group_base="ou=groups,dc=example,dc=org",
        cidrs=["10.40.0.0/16"],
    )
    tls = af.IngressTls.cert_manager("letsencrypt-prod", af.IssuerKind.CLUSTER_ISSUER)
    return af.AirflowChart(
        scope, "airflow-cornflow",
        namespace="optimization",
        release_name="airflow",
        database=af.MetadataDatabase.external(
            host="pg.example.com",
            password=af.SecretKeyRef.from_secret("airflow-db", "password"),
            ssl_mode=af.SslMode.VERIFY_FULL,
            ca_certificate=af.SecretKeyRef.from_secret("pg-ca", "ca.crt"),
            cidrs=["10.20.0.0/16"],
        ),
        auth=af.AirflowAuth.ldap(
            directory=directory,
            role_mapping={
                "cn=airflow-admins,ou=groups,dc=example,dc=org": [af.BuiltinRole.ADMIN],
                "cn=planners,ou=groups,dc=example,dc=org": [af.BuiltinRole.VIEWER],
                "cn=cornflow-service,ou=groups,dc=example,dc=org": [af.CornflowServer.AIRFLOW_ROLE_NAME],
            },
        ),
        ingress=af.IngressOptions(host="airflow.example.com", class_name="nginx", tls=tls),
        cornflow=af.Cornflow.enabled(
            replicas=2,
            database=af.CornflowDatabase.external(
                host="pg.example.com",
                password=af.SecretKeyRef.from_secret("cornflow-db", "password"),
                ssl_mode=af.SslMode.VERIFY_FULL,
                ca_certificate=af.SecretKeyRef.from_secret("pg-ca", "ca.crt"),
                cidrs=["10.20.0.0/16"],
            ),
            auth=af.CornflowAuth.ldap(role_groups=af.CornflowRoleGroups(
                admin="cornflow-admins", planner="planners", viewer="viewers", service="cornflow-service")),
            service_user=af.CornflowUserOptions(username="cornflow-service", password=af.SecretKeyRef.from_secret("cornflow-service", "password")),
            airflow_user=af.CornflowUserOptions(username="cornflow-airflow", password=af.SecretKeyRef.from_secret("cornflow-airflow", "password")),
            ingress=af.IngressHostOptions(host="cornflow.example.com", class_name="nginx", tls=tls),
        ),
    )


def bindings_example(scope):
    chart = af.AirflowChart(
        scope, "airflow-bindings",
        namespace="data-platform",
        release_name="pipelines",
        executor=af.Executor.KUBERNETES,
        dags=af.DagsSource.from_persistent_volume_claim("dags"),
        auth=af.AirflowAuth.oidc(
            provider=af.OidcProvider.keycloak(url="https://sso.example.com", realm="data"),
            client_id="airflow",
            client_secret=af.SecretKeyRef.from_secret("airflow-oidc", "client-secret"),
            provider_cidrs=["10.50.0.0/16"],
            role_mapping={"airflow-admins": [af.BuiltinRole.ADMIN], "analysts": ["analysts"]},
            roles=[af.CustomRole(
                name="analysts",
                dags=[af.DagGrant.dags(["daily_report"], af.DagAccess.TRIGGER), af.DagGrant.tagged(["finance"], af.DagAccess.READ)],
                permissions=[af.FabPermission.of("can_read", "Pools")],
            )],
        ),
        ingress=af.IngressOptions(host="airflow.data.example.com", tls=af.IngressTls.from_secret("airflow-tls")),
        scheduler=af.SchedulerOptions(
            replicas=2,
            resources=kplus.ContainerResources(
                cpu=kplus.CpuResources(request=kplus.Cpu.millis(750)),
                memory=kplus.MemoryResources(request=cdk8s.Size.gibibytes(2), limit=cdk8s.Size.gibibytes(3)),
            ),
            extra_env=[k8s.EnvVar(name="TZ", value="Europe/Madrid")],
            extra_containers=[k8s.Container(
                name="log-shipper",
                image="registry.example.com/log-shipper:1.4.2",
                args=["--follow", "/opt/airflow/logs"],
                resources=k8s.ResourceRequirements(
                    requests={"cpu": k8s.Quantity.from_string("50m"), "memory": k8s.Quantity.from_string("64Mi"),
                              "ephemeral-storage": k8s.Quantity.from_string("64Mi")},
                    limits={"memory": k8s.Quantity.from_string("128Mi"), "ephemeral-storage": k8s.Quantity.from_string("256Mi")},
                ),
            )],
        ),
        config={
            "core": {"parallelism": 48, "load_examples": False},
            "dag_processor": {"refresh_interval": 120},
            "logging": {"logging_level": "INFO"},
        },
    )
    chart.scheduler.workload.connections.allow_to(af.ExternalPeer.cidrs(["10.60.0.0/16"], "the data warehouse"), af.NetworkPort.tcp(5439))
    return chart


SCENARIOS = {
    "cornflow": cornflow_example,
    "default": default_example,
    "minimal": minimal_example,
    "production": production_example,
    "bindings": bindings_example,
}

# Refused inputs: each must raise in Python with the message the TypeScript constructs give (prop, value, fix).
REFUSALS = {
    "unknown config key": lambda app: af.AirflowChart(app, "a", config={"core": {"paralellism": 64}}),
    "negative cpu": lambda app: af.AirflowChart(app, "b", scheduler=af.SchedulerOptions(
        resources=kplus.ContainerResources(cpu=kplus.CpuResources(request=kplus.Cpu.units(-2)),
                                           memory=kplus.MemoryResources(request=cdk8s.Size.mebibytes(512), limit=cdk8s.Size.mebibytes(512))))),
    "ingress host": lambda app: af.AirflowChart(app, "c", ingress=af.IngressOptions(host="not a host", tls=af.IngressTls.from_secret("t"))),
    "secret name": lambda app: af.SecretKeyRef.from_secret("Not_A_Name", "key"),
    "release name collision": lambda app: [af.AirflowChart(app, "d", namespace="x", release_name="same"),
                                           af.AirflowChart(app, "e", namespace="x", release_name="same")],
}


def main():
    if sys.argv[1:] == ["--errors"]:
        messages = {}
        for name, build in REFUSALS.items():
            try:
                build(cdk8s.App())
                messages[name] = None
            except Exception as e:  # jsii raises RuntimeError carrying the JavaScript error's message
                messages[name] = f"{type(e).__name__}: {e}"
        print(json.dumps(messages))
        return
    outdir = sys.argv[1]
    for name, build in SCENARIOS.items():
        app = cdk8s.App(outdir=os.path.join(outdir, name))
        build(app)
        app.synth()


if __name__ == "__main__":
    main()
