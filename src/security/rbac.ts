/**
 * Service accounts and the few Roles the release needs. Every component gets its own ServiceAccount with
 * `automountServiceAccountToken: false`; only components that call the Kubernetes API get a Role, and their
 * pods (not the account) opt in to the token.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Val } from '../expr/core';
import { kubeObject } from '../expr/tree';

/** One RBAC rule. */
export interface PolicyRule {
  readonly apiGroups: string[];
  readonly resources: string[];
  readonly verbs: string[];
  /** Limit to these object names (not possible for `create`, which Kubernetes checks before a name exists). */
  readonly resourceNames?: unknown[];
}

/** Creates the component's ServiceAccount, never automounting its token. */
export function serviceAccount(scope: Construct, name: Val<string>, labels: unknown): ApiObject {
  return kubeObject(scope, 'ServiceAccount', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, labels },
    automountServiceAccountToken: false,
  });
}

/** A namespaced Role bound to one ServiceAccount. */
export function namespacedRole(scope: Construct, name: Val<string>, labels: unknown, serviceAccountName: Val<string>, rules: PolicyRule[]): void {
  kubeObject(scope, 'Role', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, labels },
    rules: rules.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs, resourceNames: r.resourceNames })),
  });
  kubeObject(scope, 'RoleBinding', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccountName }],
  });
}
