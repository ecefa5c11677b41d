/**
 * The end-to-end runner's restarts (release.ts), on small pods of their own: a container that fails for a tolerated
 * cause is restarted in the same pod (its emptyDir kept) and becomes ready; one that fails for any other cause fails
 * the wait at once; a Job whose pods keep failing for a tolerated cause stops at its backoffLimit.
 */
import { Manifest } from '../util';
import { Release, ToleratedFailure } from './release';
import { E2eTools, e2eTools } from './sandbox';

const RACE: ToleratedFailure = { name: 'test race', pattern: /duplicate key value violates unique constraint "ab_\w+"/ };

let tools: E2eTools;
beforeAll(() => {
  tools = e2eTools();
});

/** A pod template whose one container runs `script` in sh, as the chart's containers run (non-root, read-only root). */
function podTemplate(script: string, extra: object = {}): any {
  return {
    metadata: { labels: { 'app.kubernetes.io/component': 'probe-me' } },
    spec: {
      securityContext: { runAsUser: 10002, runAsGroup: 10002, fsGroup: 10002 },
      volumes: [{ name: 'work', emptyDir: {} }],
      containers: [{
        name: 'main', image: 'redis:8', command: ['sh', '-c', script], workingDir: '/work',
        securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'work', mountPath: '/work' }],
        ...extra,
      }],
    },
  };
}

/** Fails the first run with `message` (exit 1), then runs until stopped; ready once it has failed. */
function failsOnce(message: string): Manifest {
  const script = `if [ -e /work/failed ]; then exec sleep 600; fi; touch /work/failed; echo '${message}'; exit 1`;
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'flaky' },
    spec: { template: podTemplate(script, { readinessProbe: { exec: { command: ['test', '-e', '/work/failed'] }, periodSeconds: 1 } }) },
  };
}

async function withRelease(name: string, objects: Manifest[], f: (r: Release) => Promise<void>): Promise<Release> {
  const release = new Release(name, objects, tools);
  release.tolerated = [RACE];
  try {
    await f(release);
  } finally {
    await release.stop();
  }
  return release;
}

const SECRETS_JOB: Manifest = {
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'secrets', labels: { 'app.kubernetes.io/component': 'secrets' } },
  spec: { template: { metadata: { labels: { 'app.kubernetes.io/component': 'secrets' } }, spec: { containers: [{ args: [] }] } } },
};

test('a container that fails for a tolerated cause is restarted in its pod and becomes ready', async () => {
  const release = await withRelease('restart', [SECRETS_JOB, failsOnce('ERROR: duplicate key value violates unique constraint "ab_permission_name_key"')], async (r) => {
    const containers = await r.runPod(r.object('Deployment', 'flaky'));
    await r.waitReady(containers, 120);
    expect(r.problems()).toEqual([]);
  });
  expect(release.restarts.map((x) => [x.id.replace(/-[a-z0-9]+-[a-z0-9]+\//, '/'), x.exit, x.cause])).toEqual([['flaky/main', 'exited 1', 'test race']]);
  expect(release.containers.map((rc) => rc.restarts)).toEqual([1]);
});

test('a container that fails for any other cause fails the wait at once, with its log', async () => {
  const release = await withRelease('crash', [SECRETS_JOB, failsOnce('ERROR: something else broke')], async (r) => {
    const containers = await r.runPod(r.object('Deployment', 'flaky'));
    await expect(r.waitReady(containers, 120)).rejects.toThrow(/flaky-.*\/main exited 1\n[^]*something else broke/);
  });
  expect(release.restarts).toEqual([]);
});

test('a Job whose pods fail for a tolerated cause gets new pods up to its backoffLimit', async () => {
  const job: Manifest = {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'always-races' },
    spec: { backoffLimit: 1, template: podTemplate('echo \'duplicate key value violates unique constraint "ab_user_username_key"\'; exit 1') },
  };
  const release = await withRelease('job', [SECRETS_JOB, job], async (r) => {
    await expect(r.runPod(job)).rejects.toThrow(/always-races.*exited 1[^]*backoffLimit 1 is reached/);
  });
  expect(release.restarts.map((x) => [x.id, x.exit, x.cause])).toEqual([['Job always-races', 'exit 1', 'test race']]);
  expect(release.jobs.map((j) => j.code)).toEqual([1, 1]);
});
