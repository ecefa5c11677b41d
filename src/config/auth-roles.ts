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

/**
 * The names of Airflow's built-in roles, created by the FAB auth manager, for `roleMapping` and `defaultRole` (which
 * take role names: these or declared roles'). String constants rather than an enum, so that every jsii language
 * gets the names themselves.
 */
export class BuiltinRole {
  /** Everything, including users, roles and configuration. */
  public static readonly ADMIN = 'Admin';
  /** User, plus connections, pools, variables and providers. */
  public static readonly OP = 'Op';
  /** Viewer, plus editing DAGs and their runs and task instances. */
  public static readonly USER = 'User';
  /** Read-only access to DAGs, runs, task instances and logs. */
  public static readonly VIEWER = 'Viewer';
  /** No permissions (anonymous access is off). */
  public static readonly PUBLIC = 'Public';

  private constructor() {}
}

/** Every built-in role name. */
export const BUILTIN_ROLES: readonly string[] = [BuiltinRole.ADMIN, BuiltinRole.OP, BuiltinRole.USER, BuiltinRole.VIEWER, BuiltinRole.PUBLIC];

/** The role the release keeps for Cornflow's Airflow account (`Cornflow.enabled`); not declarable as a custom role. */
export const CORNFLOW_AIRFLOW_ROLE = 'Cornflow';

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

  private constructor(
    /** DAG ids granted (empty with tags). */ public readonly dagIds: string[],
    /** DAG tags granted (empty with DAG ids). */ public readonly tags: string[],
    /** What the grant allows. */ public readonly access: DagAccess,
  ) {}
}

/** A raw FAB permission: an action on a resource (e.g. `can_read` on `Pools`). */
export class FabPermission {
  /** `action` (`can_read`, `can_edit`, `can_create`, `can_delete`, `menu_access`) on `resource`. */
  public static of(action: string, resource: string): FabPermission {
    return new FabPermission(action, resource);
  }

  private constructor(
    /** The FAB action, e.g. `can_read`. */ public readonly action: string,
    /** The FAB resource, e.g. `Pools`. */ public readonly resource: string,
  ) {}
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

/** The FAB actions a raw {@link FabPermission} may name. */
export const FAB_ACTIONS = ['can_read', 'can_edit', 'can_create', 'can_delete', 'menu_access'];
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

/**
 * One declared role as the sync Job reads it: the declaration itself (the sync script turns it into permissions),
 * empty lists left out. The Helm values `auth.roles` hold exactly this shape, so the chart passes them on with
 * `toJson` and both give the same `ROLES_SPEC` (see {@link sortedJson}).
 */
export interface RoleSyncSpec {
  readonly name: string;
  /** @default - no DAG grant */
  readonly dags?: RoleSyncGrant[];
  /** @default - no raw permission */
  readonly permissions?: RoleSyncPermission[];
}

/** One DAG grant of a {@link RoleSyncSpec}: DAG ids or tags (never both), and the access level. */
export interface RoleSyncGrant {
  readonly access: string;
  /** @default - none */
  readonly dagIds?: string[];
  /** @default - none */
  readonly tags?: string[];
}

/** One raw permission of a {@link RoleSyncSpec}. */
export interface RoleSyncPermission {
  readonly action: string;
  readonly resource: string;
}

/**
 * JSON with object keys sorted bytewise (UTF-8), as Go sorts map keys: what Helm's `toJson` prints for the same data
 * (once its HTML escapes of <, >, & and U+2028/9 are undone, as the chart does). The same data always gives the
 * same text, whatever order its keys were written in. Only for JSON data (strings, numbers, booleans, lists, maps).
 */
export function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Validates declared roles (naming `prop`) and returns them as the sync Job reads them. */
export function roleSyncSpecs(prop: string, roles: CustomRole[]): RoleSyncSpec[] {
  const builtin = [...BUILTIN_ROLES];
  const seen = new Set<string>();
  return roles.map((role, i) => {
    const at = `${prop}[${i}]`;
    if (typeof role.name !== 'string' || !/^[^\s].{0,63}$/.test(role.name) || role.name.trim() !== role.name) {
      throw new Error(`${at}.name must be 1-64 characters without leading or trailing spaces, got '${role.name}'`);
    }
    if (builtin.some((b) => b.toLowerCase() === role.name.toLowerCase())) {
      throw new Error(`${at}.name '${role.name}' is a built-in role; built-in roles are managed by Airflow, choose another name`);
    }
    if (role.name === CORNFLOW_AIRFLOW_ROLE && prop !== 'cornflow role') {
      throw new Error(`${at}.name '${role.name}' is the role the release keeps for Cornflow's Airflow account; choose another name`);
    }
    if (seen.has(role.name)) throw new Error(`${at}.name '${role.name}' is declared twice; merge the two roles`);
    seen.add(role.name);
    const dags = role.dags ?? [];
    const extra = role.permissions ?? [];
    if (dags.length === 0 && extra.length === 0) {
      throw new Error(`${at} ('${role.name}') has no permissions: add dags (DagGrant.dags([...], DagAccess.READ)) `
        + 'or permissions (FabPermission.of(action, resource)), or remove the role');
    }
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
    });
    extra.forEach((x, j) => {
      if (!(x instanceof FabPermission)) throw new Error(`${at}.permissions[${j}] must be FabPermission.of(action, resource)`);
      if (!FAB_ACTIONS.includes(x.action)) {
        throw new Error(`${at}.permissions[${j}].action must be one of ${FAB_ACTIONS.join(', ')}, got '${x.action}'`);
      }
      if (!x.resource || x.resource.length > 250) throw new Error(`${at}.permissions[${j}].resource must be 1-250 characters, got '${x.resource}'`);
      if (x.resource.startsWith(DAG_PREFIX) || x.resource.startsWith(DAG_RUN_PREFIX)) {
        throw new Error(`${at}.permissions[${j}]: use DagGrant.dags(['${x.resource.replace(/^DAG( Run)?:/, '')}'], ...) for per-DAG access, not '${x.resource}'`);
      }
    });
    // Empty lists are left out, as the values schema requires (a values list is never empty), so that both agree.
    return {
      name: role.name,
      ...(dags.length ? {
        dags: dags.map((g) => ({ access: g.access, ...(g.dagIds.length ? { dagIds: [...g.dagIds] } : {}), ...(g.tags.length ? { tags: [...g.tags] } : {}) })),
      } : {}),
      ...(extra.length ? { permissions: extra.map((x) => ({ action: x.action, resource: x.resource })) } : {}),
    };
  });
}

/** Pairs as a Python list literal, one pair per line. */
function pairs(list: [string, string][], indent: string): string {
  return `[\n${list.map((p) => `${indent}    ${JSON.stringify(p)},`).join('\n')}\n${indent}]`;
}

/**
 * The pure part of the sync script: `wanted_permissions(role, tagged)` turns one declared role ({@link RoleSyncSpec})
 * into the exact set of `(action, resource)` pairs it gets; `tagged(tags)` gives the ids of the DAGs carrying any of
 * the tags. The permission facts are the constants above (see the module comment), printed as Python literals.
 */
export const ROLE_PERMISSIONS_SCRIPT = `
WEBSITE = tuple(${JSON.stringify(WEBSITE)})
DAG_READ_BASE = [tuple(p) for p in ${pairs(DAG_READ_BASE, '')}]
DAG_EDIT_BASE = [tuple(p) for p in ${pairs(DAG_EDIT_BASE, '')}]
# Per access level: (action, resource prefix) pairs completed with each DAG id.
PER_DAG = {
${Object.values(DagAccess).map((a) => `    ${JSON.stringify(a)}: ${pairs(perDag(a), '    ')},`).join('\n')}
}

def wanted_permissions(role, tagged):
    wanted = {WEBSITE}
    for grant in role.get("dags", []):
        per_dag = PER_DAG[grant["access"]]
        wanted.update(DAG_READ_BASE)
        if grant["access"] != ${JSON.stringify(DagAccess.READ)}:
            wanted.update(DAG_EDIT_BASE)
        dag_ids = set(grant.get("dagIds", []))
        if grant.get("tags"):
            dag_ids |= set(tagged(grant["tags"]))
        for dag_id in dag_ids:
            for action, prefix in per_dag:
                wanted.add((action, prefix + dag_id))
    for p in role.get("permissions", []):
        wanted.add((p["action"], p["resource"]))
    return wanted
`.trim();

/**
 * Creates each declared role if missing and sets its permissions to exactly the declared set (adding and
 * removing), resolving DAG tags from the metadata database. Reads the roles as declared from `ROLES_SPEC`
 * ({@link RoleSyncSpec}[] as JSON) and expands them with {@link ROLE_PERMISSIONS_SCRIPT}. Idempotent; concurrent runs are serialized by a
 * PostgreSQL advisory lock. Roles that are no longer declared are left alone (they may have been made in the UI).
 * Uses the FAB provider's app-less security manager, the one the dag-processor uses to sync DAG permissions.
 */
export const ROLE_SYNC_SCRIPT = `${ROLE_PERMISSIONS_SCRIPT}

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
        tagged = lambda tags: session.scalars(select(DagTag.dag_id).where(DagTag.name.in_(tags)))
        for role in spec:
            wanted = wanted_permissions(role, tagged)
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
