/**
 * Service accounts and the few Roles the release needs. Every component gets its own ServiceAccount with
 * `automountServiceAccountToken: false`; only components that call the Kubernetes API get a Role, and their
 * pods (not the account) opt in to the token.
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';

/** One RBAC rule. */
export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  /** Limit to these object names (not possible for `create`, which Kubernetes checks before a name exists). */
  readonly resourceNames?: string[];
}

/** Creates the component's ServiceAccount, never automounting its token. */
export function serviceAccount(scope: Construct, name: string, labels: Record<string, string>): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
    metadata: { name, labels },
    automountServiceAccountToken: false,
  });
}

/** A namespaced Role bound to one ServiceAccount. */
export function namespacedRole(scope: Construct, name: string, labels: Record<string, string>, serviceAccountName: string, rules: PolicyRule[]): void {
  new k8s.KubeRole(scope, 'Role', {
    metadata: { name, labels },
    rules: rules.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs, resourceNames: r.resourceNames })),
  });
  new k8s.KubeRoleBinding(scope, 'RoleBinding', {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccountName }],
  });
}
