/**
 * Pod Security Standards "restricted" (baseline included), checked by our own implementation (pss.ts) over every pod
 * of every manifest source (test/validate/manifest-sources.ts: examples, variants and the KubernetesExecutor pod
 * template of the ConfigMap), plus bad-input fixtures proving each control can fail.
 */
import { MANIFEST_SOURCES } from '../validate/manifest-sources';
import { checkRestricted, podsOf } from './pss';
import { BAD_PODS, compliantPod } from './pss-fixtures';

const pods = MANIFEST_SOURCES.flatMap((s) => {
  const manifests = s.manifests();
  return podsOf(manifests).map((p) => ({ ...p, source: s.name, kinds: manifests.map((m) => m.kind) }));
});

describe('Pod Security Standards, restricted profile', () => {
  test('walks every kind of pod: Deployments, StatefulSets, Jobs and the KubernetesExecutor task pod', () => {
    expect(pods.length).toBeGreaterThan(40);
    const kinds = new Set(pods.map((p) => p.owner.split('/')[0]));
    expect([...kinds].sort()).toEqual(['Deployment', 'Job', 'Pod', 'StatefulSet']);
  });

  test.each(pods.map((p) => [`${p.source} ${p.owner}`, p] as const))('%s complies', (_, p) => {
    // WHEN the pod template is checked against every baseline and restricted control
    // THEN it violates none
    expect(checkRestricted(p.pod)).toEqual([]);
  });

  test('the compliant fixture complies (so each bad fixture below fails for its own reason)', () => {
    expect(checkRestricted(compliantPod())).toEqual([]);
  });

  test.each(BAD_PODS)('fails when a pod breaks %s: %s', (control, _what, mutate, also = []) => {
    // GIVEN a compliant pod with one bad setting
    const pod = compliantPod();
    mutate(pod);
    // WHEN it is checked
    const violations = checkRestricted(pod);
    // THEN exactly that control fails, naming the field
    expect(new Set(violations.map((x) => x.control))).toEqual(new Set([control, ...also]));
    expect(violations[0].path).toMatch(/^(spec|metadata)\./);
  });
});
