/**
 * Roles of the FAB auth manager: Airflow's built-in roles, declared custom roles with per-DAG access, and the
 * script that keeps declared roles in sync in the metadata database.
 *
 * Facts behind the permission sets (apache-airflow-providers-fab 3.10.2):
 * - a DAG is authorized by `(action, "DAGs")` globally or `(action, "DAG:<dag_id>")` for one DAG, the action
 *   following the HTTP method (GET can_read, PUT/PATCH can_edit, POST can_create, DELETE can_delete)
 *   (fab_auth_manager.py `_is_authorized_dag`, www/utils.py `_MAP_METHOD_NAME_TO_FAB_ACTION_NAME`);
 * - a DAG's runs, task instances, logs, XComs, code, versions, warnings need the global resource of the entity
 *   (`"DAG Runs"`, `"Task Instances"`, ...) AND the DAG itself: read for GET, edit for any other method
 *   (fab_auth_manager.py `is_authorized_dag`, scenario 3); for runs, `"DAG Run:<dag_id>"` may replace the global
 *   resource. Triggering (POST on a run) therefore needs `(can_create, "DAG Run:<id>")` and `(can_edit, "DAG:<id>")`:
 *   FAB has no trigger-without-edit, so the access levels are cumulative.
 * - FAB's own start-up sync gives every custom role `(can_read, "Website")` (override.py
 *   `add_homepage_access_to_custom_roles`); declaring it here keeps both syncs in agreement.
 */

/** Airflow's built-in roles, created by the FAB auth manager. */
export enum BuiltinRole {
  ADMIN = 'Admin',
  OP = 'Op',
  USER = 'User',
  VIEWER = 'Viewer',
  /** No permissions (anonymous access is off). */
  PUBLIC = 'Public',
}

/** Per-DAG access level, cumulative: EDIT includes READ, TRIGGER includes EDIT (FAB requires edit to trigger). */
export enum DagAccess {
  /** See the DAG, its runs, task instances, logs, XComs and code. */
  READ = 'read',
  /** READ, plus pause/unpause, clear and mark runs and task instances. */
  EDIT = 'edit',
  /** EDIT, plus trigger new runs. */
  TRIGGER = 'trigger',
}

const DAG_ID = /^[A-Za-z0-9_.-]{1,250}$/;
const TAG = /^[^\s,][^,]{0,99}$/;

/** Access to some DAGs, named by id or by tag. */
export class DagGrant {
  /** `access` to the DAGs with these ids. */
  public static dags(dagIds: string[], access: DagAccess): DagGrant {
    return new DagGrant(dagIds, [], access);
  }

  /**
   * `access` to every DAG carrying one of these tags, as found in the metadata database when the role sync runs
   * (install, upgrade, and every change of the auth settings).
   */
  public static tagged(tags: string[], access: DagAccess): DagGrant {
    return new DagGrant([], tags, access);
  }

  private constructor(public readonly dagIds: string[], public readonly tags: string[], public readonly access: DagAccess) {}
}

/** A raw FAB permission: an action on a resource (e.g. `can_read` on `Pools`). */
export class FabPermission {
  /** `action` (`can_read`, `can_edit`, `can_create`, `can_delete`, `menu_access`) on `resource`. */
  public static of(action: string, resource: string): FabPermission {
    return new FabPermission(action, resource);
  }

  private constructor(public readonly action: string, public readonly resource: string) {}
}

/** A role declared by the chart and kept in sync with this definition. */
export interface CustomRole {
  /** Role name (1-64 characters; not a built-in role name). */
  readonly name: string;
  /**
   * Per-DAG access.
   * @default - none
   */
  readonly dags?: DagGrant[];
  /**
   * Further FAB permissions, granted globally.
   * @default - none
   */
  readonly permissions?: FabPermission[];
}

const ACTIONS = ['can_read', 'can_edit', 'can_create', 'can_delete', 'menu_access'];
const DAG_PREFIX = 'DAG:';
const DAG_RUN_PREFIX = 'DAG Run:';

/** Global permissions a role with any DAG grant needs: FAB scopes each of them by the per-DAG permissions. */
const DAG_READ_BASE: [string, string][] = [
  ['can_read', 'DAG Runs'], ['can_read', 'Task Instances'], ['can_read', 'Task Logs'], ['can_read', 'XComs'],
  ['can_read', 'DAG Code'], ['can_read', 'DAG Versions'], ['can_read', 'DAG Warnings'],
  ['can_read', 'DAG Dependencies'], ['can_read', 'HITL Detail'], ['can_read', 'My Profile'],
  ['menu_access', 'DAGs'], ['menu_access', 'Browse'], ['menu_access', 'DAG Runs'], ['menu_access', 'Task Instances'],
];
/** Added when a grant is EDIT or TRIGGER: still scoped by `(can_edit, DAG:<id>)`. */
const DAG_EDIT_BASE: [string, string][] = [
  ['can_edit', 'DAG Runs'], ['can_edit', 'Task Instances'], ['can_create', 'Task Instances'],
];
const WEBSITE: [string, string] = ['can_read', 'Website'];

/** Per-DAG permissions of a level, as `[action, resource prefix]`; the sync appends the DAG id. */
function perDag(access: DagAccess): [string, string][] {
  const read: [string, string][] = [['can_read', DAG_PREFIX]];
  const edit: [string, string][] = [...read, ['can_edit', DAG_PREFIX]];
  if (access === DagAccess.READ) return read;
  if (access === DagAccess.EDIT) return edit;
  return [...edit, ['can_create', DAG_RUN_PREFIX]];
}

/** One role as the sync script reads it. */
export interface RoleSyncSpec {
  readonly name: string;
  /** Global permissions, each `[action, resource]`. */
  readonly permissions: string[][];
  /** DAG grants; `perDag` lists `[action, resource prefix]` pairs the sync completes with each DAG id. */
  readonly grants: RoleSyncGrant[];
}

/** One DAG grant of a {@link RoleSyncSpec}. */
export interface RoleSyncGrant {
  readonly dagIds: string[];
  readonly tags: string[];
  readonly perDag: string[][];
}

/** Validates declared roles (naming `prop`) and returns the sync specification. */
export function roleSyncSpecs(prop: string, roles: CustomRole[]): RoleSyncSpec[] {
  const builtin = Object.values(BuiltinRole) as string[];
  const seen = new Set<string>();
  return roles.map((role, i) => {
    const at = `${prop}[${i}]`;
    if (typeof role.name !== 'string' || !/^[^\s].{0,63}$/.test(role.name) || role.name.trim() !== role.name) {
      throw new Error(`${at}.name must be 1-64 characters without leading or trailing spaces, got '${role.name}'`);
    }
    if (builtin.some((b) => b.toLowerCase() === role.name.toLowerCase())) {
      throw new Error(`${at}.name '${role.name}' is a built-in role; built-in roles are managed by Airflow, choose another name`);
    }
    if (seen.has(role.name)) throw new Error(`${at}.name '${role.name}' is declared twice; merge the two roles`);
    seen.add(role.name);
    const dags = role.dags ?? [];
    const extra = role.permissions ?? [];
    if (dags.length === 0 && extra.length === 0) {
      throw new Error(`${at} ('${role.name}') has no permissions: add dags (DagGrant.dags([...], DagAccess.READ)) `
        + 'or permissions (FabPermission.of(action, resource)), or remove the role');
    }
    const perms = new Map<string, [string, string]>();
    const add = (p: [string, string]) => perms.set(`${p[0]}\u0000${p[1]}`, p);
    add(WEBSITE);
    dags.forEach((g, j) => {
      if (!(g instanceof DagGrant)) throw new Error(`${at}.dags[${j}] must be DagGrant.dags(...) or DagGrant.tagged(...)`);
      if (!Object.values(DagAccess).includes(g.access)) {
        throw new Error(`${at}.dags[${j}].access must be one of ${Object.values(DagAccess).join(', ')}, got '${g.access}'`);
      }
      if (g.dagIds.length === 0 && g.tags.length === 0) throw new Error(`${at}.dags[${j}] names no DAG id or tag; list at least one`);
      for (const id of g.dagIds) {
        if (!DAG_ID.test(id)) throw new Error(`${at}.dags[${j}]: '${id}' is not a valid DAG id (letters, digits, '_', '.', '-'; at most 250)`);
      }
      for (const t of g.tags) {
        if (!TAG.test(t)) throw new Error(`${at}.dags[${j}]: '${t}' is not a valid DAG tag (1-100 characters, no comma)`);
      }
      DAG_READ_BASE.forEach(add);
      if (g.access !== DagAccess.READ) DAG_EDIT_BASE.forEach(add);
    });
    extra.forEach((x, j) => {
      if (!(x instanceof FabPermission)) throw new Error(`${at}.permissions[${j}] must be FabPermission.of(action, resource)`);
      if (!ACTIONS.includes(x.action)) {
        throw new Error(`${at}.permissions[${j}].action must be one of ${ACTIONS.join(', ')}, got '${x.action}'`);
      }
      if (!x.resource || x.resource.length > 250) throw new Error(`${at}.permissions[${j}].resource must be 1-250 characters, got '${x.resource}'`);
      if (x.resource.startsWith(DAG_PREFIX) || x.resource.startsWith(DAG_RUN_PREFIX)) {
        throw new Error(`${at}.permissions[${j}]: use DagGrant.dags(['${x.resource.replace(/^DAG( Run)?:/, '')}'], ...) for per-DAG access, not '${x.resource}'`);
      }
      add([x.action, x.resource]);
    });
    const sorted = [...perms.values()].sort((a, b) => (a[1] + a[0]).localeCompare(b[1] + b[0]));
    return {
      name: role.name,
      permissions: sorted,
      grants: dags.map((g) => ({ dagIds: [...g.dagIds], tags: [...g.tags], perDag: perDag(g.access) })),
    };
  });
}

/**
 * Creates each declared role if missing and sets its permissions to exactly the declared set (adding and
 * removing), resolving DAG tags from the metadata database. Idempotent; concurrent runs are serialized by a
 * PostgreSQL advisory lock. Roles that are no longer declared are left alone (they may have been made in the UI).
 * Uses the FAB provider's app-less security manager, the one the dag-processor uses to sync DAG permissions.
 */
export const ROLE_SYNC_SCRIPT = `
import json, os
from sqlalchemy import select, text
from airflow import settings
from airflow.models.dag import DagTag
from airflow.utils.session import create_session
from airflow.providers.fab.www.security_appless import ApplessAirflowSecurityManager

LOCK = "hashtext('cdk8s-airflow:sync-roles')"
spec = json.loads(os.environ["ROLES_SPEC"])
# One connection holds the lock for the whole run (the session below may change connections between commits).
lock = settings.engine.connect() if settings.engine.dialect.name == "postgresql" else None
if lock is not None:
    lock.execute(text("SELECT pg_advisory_lock(%s)" % LOCK))
try:
    with create_session() as session:
        sm = ApplessAirflowSecurityManager(session=session)
        for role in spec:
            wanted = {tuple(p) for p in role["permissions"]}
            for grant in role["grants"]:
                dag_ids = set(grant["dagIds"])
                if grant["tags"]:
                    dag_ids |= set(session.scalars(select(DagTag.dag_id).where(DagTag.name.in_(grant["tags"]))))
                for dag_id in dag_ids:
                    for action, prefix in grant["perDag"]:
                        wanted.add((action, prefix + dag_id))
            found = sm.find_role(role["name"])
            created = found is None
            if created:
                found = sm.add_role(role["name"])
            before = {(p.action.name, p.resource.name) for p in found.permissions if p.action and p.resource}
            found.permissions = [sm.create_permission(a, r) for a, r in sorted(wanted)]
            session.commit()
            print("sync-roles " + json.dumps({"role": role["name"], "created": created, "permissions": len(wanted),
                                              "added": sorted(wanted - before), "removed": sorted(before - wanted)}), flush=True)
finally:
    if lock is not None:
        lock.execute(text("SELECT pg_advisory_unlock(%s)" % LOCK))
        lock.close()
`.trim();
