/**
 * What each app identity may do in Cloud Storage, read from infra/terraform: the service account of each Cloud Run
 * service or job, the bucket-level (and project-level storage) grants whose member is that account, the permissions
 * of each granted role, and each grant's IAM condition. `allows()` answers one permission on one resource name the
 * way Cloud Storage evaluates it. Anything the model does not cover (an unknown role, another condition shape, a
 * grant on a bucket it cannot resolve) throws, so a change to the Terraform files forces this file to follow.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';

export type Identity = 'web' | 'worker' | 'backfill';
export const identities: readonly Identity[] = ['web', 'worker', 'backfill'];

/** Where each identity's service account is named: `template.service_account` of its Cloud Run resource. */
const identityResources: Record<Identity, { type: string; name: string }> = {
  web: { type: 'google_cloud_run_v2_service', name: 'web' },
  worker: { type: 'google_cloud_run_v2_service', name: 'worker' },
  backfill: { type: 'google_cloud_run_v2_job', name: 'backfill' },
};

export interface PolicyCondition {
  /** The condition as written in Terraform. */
  expression: string;
  /** `resource.name.startsWith(resourceNamePrefix)`, with the Terraform references resolved. */
  resourceNamePrefix: string;
}

export interface PolicyBinding {
  /** `roles/storage.objectViewer`, or the custom role's Terraform address (`google_project_iam_custom_role.x`). */
  role: string;
  /** Permissions of the role; an entry ending in `.*` stands for every permission under it. */
  permissions: readonly string[];
  /**
   * The resources the grant covers: `projects/_/buckets/<bucket>` for a bucket-level grant (that bucket and its
   * objects), `projects/_` for a project-level one (every bucket of the project, and the project itself).
   */
  scope: string;
  condition?: PolicyCondition;
  /** The Terraform resource the grant comes from, e.g. `google_storage_bucket_iam_member.worker["roles/…"]`. */
  source: string;
}

export interface IdentityPolicy {
  identity: string;
  /** The service account's email, as Cloud Storage names it in a refusal. */
  serviceAccount: string;
  bindings: PolicyBinding[];
}

/**
 * Storage permissions of the predefined Cloud Storage roles, from "IAM roles for Cloud Storage"
 * (https://cloud.google.com/storage/docs/access-control/iam-roles) and "Cloud Storage roles and permissions"
 * (https://cloud.google.com/iam/docs/roles-permissions/storage); the legacy roles as the Java client's StorageRoles
 * reference lists them. Only `storage.*` permissions are kept (the resourcemanager/orgpolicy ones play no part).
 * Facts that matter here: objectCreator can create but not read, delete or replace; objectViewer can get and list
 * objects but not read the bucket (no storage.buckets.get); replacing an object needs create and delete.
 */
const predefinedRoles: Record<string, readonly string[]> = {
  'roles/storage.objectCreator': [
    'storage.objects.create',
    'storage.folders.create',
    'storage.managedFolders.create',
    'storage.multipartUploads.create',
    'storage.multipartUploads.abort',
    'storage.multipartUploads.listParts',
  ],
  'roles/storage.objectViewer': [
    'storage.objects.get',
    'storage.objects.list',
    'storage.folders.get',
    'storage.folders.list',
    'storage.managedFolders.get',
    'storage.managedFolders.list',
  ],
  'roles/storage.objectUser': [
    'storage.objects.create',
    'storage.objects.delete',
    'storage.objects.get',
    'storage.objects.list',
    'storage.objects.restore',
    'storage.objects.update',
    'storage.folders.*',
    'storage.managedFolders.create',
    'storage.managedFolders.delete',
    'storage.managedFolders.get',
    'storage.managedFolders.list',
    'storage.multipartUploads.*',
  ],
  'roles/storage.objectAdmin': [
    'storage.objects.*',
    'storage.folders.*',
    'storage.managedFolders.*',
    'storage.multipartUploads.*',
  ],
  'roles/storage.admin': [
    'storage.buckets.*',
    'storage.objects.*',
    'storage.folders.*',
    'storage.managedFolders.*',
    'storage.multipartUploads.*',
    'storage.anywhereCaches.*',
    'storage.bucketOperations.*',
  ],
  'roles/storage.legacyBucketReader': [
    'storage.buckets.get',
    'storage.objects.list',
    'storage.multipartUploads.list',
  ],
  'roles/storage.legacyBucketWriter': [
    'storage.buckets.get',
    'storage.objects.create',
    'storage.objects.delete',
    'storage.objects.list',
    'storage.objects.restore',
    'storage.multipartUploads.*',
  ],
  'roles/storage.legacyBucketOwner': [
    'storage.buckets.get',
    'storage.buckets.update',
    'storage.buckets.getIamPolicy',
    'storage.buckets.setIamPolicy',
    'storage.objects.create',
    'storage.objects.delete',
    'storage.objects.list',
    'storage.objects.restore',
    'storage.multipartUploads.*',
  ],
  'roles/storage.legacyObjectReader': ['storage.objects.get'],
  'roles/storage.legacyObjectOwner': [
    'storage.objects.get',
    'storage.objects.update',
    'storage.objects.getIamPolicy',
    'storage.objects.setIamPolicy',
  ],
};

/** The storage permissions of a predefined Cloud Storage role; an unknown role throws. */
export function predefinedRolePermissions(role: string): readonly string[] {
  const permissions = predefinedRoles[role];
  if (!permissions)
    throw new Error(`IAM policy: unknown role ${role}: add its permissions to the table in iam-policy.ts`);
  return permissions;
}

/** The resource name Cloud Storage checks object permissions against. */
export function objectResource(bucket: string, object: string): string {
  return `projects/_/buckets/${bucket}/objects/${object}`;
}

/** The resource name of bucket-level operations (list, bucket metadata, notification configs). */
export function bucketResource(bucket: string): string {
  return `projects/_/buckets/${bucket}`;
}

/** The resource name of project-level operations (bucket list, bucket create). */
export const projectResource = 'projects/_';

function covers(scope: string, resourceName: string): boolean {
  return resourceName === scope || resourceName.startsWith(`${scope}/`);
}

function grants(permissions: readonly string[], permission: string): boolean {
  return permissions.some(
    (p) => p === permission || (p.endsWith('.*') && permission.startsWith(p.slice(0, -1))),
  );
}

/** True when some binding grants `permission` on `resourceName` (its scope covers it and its condition holds). */
export function allows(policy: IdentityPolicy, permission: string, resourceName: string): boolean {
  return policy.bindings.some(
    (b) =>
      covers(b.scope, resourceName) &&
      grants(b.permissions, permission) &&
      (!b.condition || resourceName.startsWith(b.condition.resourceNamePrefix)),
  );
}

/**
 * A policy made of predefined roles on one bucket, for tests that need another set of roles than Terraform's
 * (`condition`: a resource-name prefix the grant is confined to, as an IAM condition would).
 */
export function bucketPolicy(options: {
  identity: string;
  serviceAccount?: string;
  bucket: string;
  roles: (string | { role: string; resourceNamePrefix?: string; permissions?: readonly string[] })[];
}): IdentityPolicy {
  return {
    identity: options.identity,
    serviceAccount: options.serviceAccount ?? `${options.identity}@test.iam.gserviceaccount.com`,
    bindings: options.roles.map((entry) => {
      const { role, resourceNamePrefix, permissions } = typeof entry === 'string' ? { role: entry } : entry;
      const binding: PolicyBinding = {
        role,
        permissions: permissions ?? predefinedRolePermissions(role),
        scope: bucketResource(options.bucket),
        source: 'bucketPolicy()',
      };
      if (resourceNamePrefix !== undefined)
        binding.condition = {
          expression: `resource.name.startsWith(${JSON.stringify(resourceNamePrefix)})`,
          resourceNamePrefix,
        };
      return binding;
    }),
  };
}

export interface LoadPolicyOptions {
  /** The folder of .tf files (default: the repository's infra/terraform). */
  dir?: string;
  /** The bucket the proxy serves: `google_storage_bucket.uploads.name` resolves to it. */
  bucket: string;
  /** `var.thumbnail_prefix` resolves to it. */
  thumbnailPrefix: string;
  /** The project in the service accounts' emails (default `local-project`). */
  projectId?: string;
}

export const terraformDir = fileURLToPath(new URL('../../terraform/', import.meta.url));

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Each `resource "type" "name"` body (hcl2json wraps each in a one-element array), merged over the files. */
function resourcesOf(files: Json[], type: string): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const file of files) {
    const byType = isRecord(file.resource) ? file.resource[type] : undefined;
    if (!isRecord(byType)) continue;
    for (const [name, bodies] of Object.entries(byType))
      if (Array.isArray(bodies) && isRecord(bodies[0])) out.set(name, bodies[0]);
  }
  return out;
}

/** Top-level locals whose values are literals (hcl2json keeps expressions as "${…}" strings). */
function localsOf(files: Json[]): Json {
  const out: Json = {};
  for (const file of files) {
    const locals = file.locals;
    for (const part of Array.isArray(locals) ? locals : []) if (isRecord(part)) Object.assign(out, part);
  }
  return out;
}

function firstBlock(parent: Json, key: string): Json | undefined {
  const value = parent[key];
  return Array.isArray(value) && isRecord(value[0]) ? value[0] : undefined;
}

class Unsupported extends Error {
  constructor(what: string, where: string) {
    super(`IAM policy: unsupported ${what} in ${where}`);
  }
}

/** Parses every .tf file of `dir` and builds the policy of each identity. */
export async function loadTerraformPolicy(
  options: LoadPolicyOptions,
): Promise<Record<Identity, IdentityPolicy>> {
  const dir = options.dir ?? terraformDir;
  const files: Json[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    files.push((await parse(name, readFileSync(join(dir, name), 'utf8'))) as Json);
  }
  return policyFromTerraform(files, options);
}

function policyFromTerraform(files: Json[], options: LoadPolicyOptions): Record<Identity, IdentityPolicy> {
  const locals = localsOf(files);
  const customRoles = resourcesOf(files, 'google_project_iam_custom_role');
  const accounts = resourcesOf(files, 'google_service_account');
  const projectId = options.projectId ?? 'local-project';
  for (const type of ['google_storage_bucket_iam_policy', 'google_project_iam_policy'])
    if (resourcesOf(files, type).size > 0) throw new Unsupported(`${type} (an authoritative policy)`, type);

  /** Resolves `${local.x}` (literal locals only); any other expression in a name throws. */
  const literal = (value: unknown, where: string): string => {
    if (typeof value !== 'string') throw new Unsupported('non-string value', where);
    const out = value.replace(/\$\{\s*local\.(\w+)\s*\}/g, (ref, name: string) => {
      const resolved = locals[name];
      if (typeof resolved !== 'string' || resolved.includes('${')) throw new Unsupported(ref, where);
      return resolved;
    });
    if (out.includes('${')) throw new Unsupported(`expression ${value}`, where);
    return out;
  };

  const roleBindings = (role: string, where: string, projectLevel: boolean) => {
    const custom = /^\$\{google_project_iam_custom_role\.(\w+)\.(?:id|name)\}$/.exec(role);
    if (custom) {
      const body = customRoles.get(custom[1]!);
      if (!body) throw new Unsupported(`reference to an undefined custom role ${role}`, where);
      const permissions = body.permissions;
      if (
        !Array.isArray(permissions) ||
        !permissions.every((p) => typeof p === 'string' && !p.includes('${'))
      )
        throw new Unsupported('custom role permissions that are not a literal list', where);
      return { role: `google_project_iam_custom_role.${custom[1]}`, permissions: permissions as string[] };
    }
    const byId = /^projects\/[^/]+\/roles\/(\w+)$/.exec(role);
    if (byId) {
      const match = [...customRoles].find(([, body]) => body.role_id === byId[1]);
      if (!match)
        throw new Unsupported(`custom role ${role} that no google_project_iam_custom_role defines`, where);
      return roleBindings(`\${google_project_iam_custom_role.${match[0]}.id}`, where, projectLevel);
    }
    if (/^roles\/(owner|editor|viewer)$/.test(role))
      throw new Unsupported(
        `basic role ${role} (it grants storage permissions this model does not list)`,
        where,
      );
    if (projectLevel && !role.startsWith('roles/storage.')) return undefined; // not a Cloud Storage role
    return { role, permissions: predefinedRolePermissions(role) };
  };

  /** The roles a grant resource expands to: `role = each.value` over `for_each = toset([...])`, or a plain role. */
  const rolesOf = (body: Json, where: string): { role: string; key?: string }[] => {
    const role = body.role;
    if (typeof role !== 'string') throw new Unsupported('grant without a role', where);
    if (!/^\$\{each\.(value|key)\}$/.test(role)) {
      if (body.for_each !== undefined)
        throw new Unsupported('for_each with a role other than each.value', where);
      return [{ role }];
    }
    return forEachItems(body.for_each, where).map((item) => ({ role: item, key: item }));
  };

  const forEachItems = (value: unknown, where: string): string[] => {
    if (Array.isArray(value)) return value.map((v) => literal(v, where));
    if (typeof value !== 'string') throw new Unsupported('for_each', where);
    const set = /^\$\{\s*toset\(\s*([\s\S]*)\)\s*\}$/.exec(value);
    if (!set) throw new Unsupported(`for_each ${value}`, where);
    const inner = set[1]!.trim();
    const local = /^local\.(\w+)$/.exec(inner);
    if (local) {
      const list = locals[local[1]!];
      if (!Array.isArray(list)) throw new Unsupported(`for_each over ${inner}`, where);
      return list.map((v) => literal(v, where));
    }
    const list = /^\[([\s\S]*)\]$/.exec(inner);
    if (!list) throw new Unsupported(`for_each ${value}`, where);
    return list[1]!
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map((item) => {
        if (/^"[^"\\$]*"$/.test(item)) return item.slice(1, -1);
        if (/^google_project_iam_custom_role\.\w+\.(id|name)$/.test(item)) return `\${${item}}`;
        throw new Unsupported(`for_each item ${item}`, where);
      });
  };

  const conditionOf = (body: Json, where: string): PolicyCondition | undefined => {
    const block = firstBlock(body, 'condition');
    if (!block) return undefined;
    const expression = block.expression;
    const match =
      typeof expression === 'string'
        ? /^\s*resource\.name\.startsWith\(\s*"([^"\\]*)"\s*\)\s*$/.exec(expression)
        : undefined;
    if (!match) throw new Unsupported(`condition ${JSON.stringify(expression)}`, where);
    const resourceNamePrefix = match[1]!.replace(/\$\{\s*([\w.]+)\s*\}/g, (ref, name: string) => {
      if (name === 'google_storage_bucket.uploads.name') return options.bucket;
      if (name === 'var.thumbnail_prefix') return options.thumbnailPrefix;
      throw new Unsupported(`condition reference ${ref}`, where);
    });
    if (!resourceNamePrefix.startsWith('projects/_/buckets/'))
      throw new Unsupported(`condition ${expression as string} (not a Cloud Storage resource name)`, where);
    return { expression: expression as string, resourceNamePrefix };
  };

  const bucketScope = (bucket: unknown, where: string): string => {
    if (bucket === '${google_storage_bucket.uploads.name}') return bucketResource(options.bucket);
    if (typeof bucket === 'string' && !bucket.includes('${')) return bucketResource(bucket);
    throw new Unsupported(`bucket ${String(bucket)}`, where);
  };

  /** Members of a grant (`member` or `members`) that name the service account `account`. */
  const names = (body: Json, account: string): boolean => {
    const members: unknown[] = [
      body.member,
      ...(Array.isArray(body.members) ? (body.members as unknown[]) : []),
    ];
    return members.some(
      (m) =>
        m === `\${google_service_account.${account}.member}` ||
        m === `serviceAccount:\${google_service_account.${account}.email}`,
    );
  };

  const policyOf = (identity: Identity): IdentityPolicy => {
    const { type, name } = identityResources[identity];
    const where = `${type}.${name}`;
    const body = resourcesOf(files, type).get(name);
    if (!body) throw new Error(`IAM policy: ${where} is not defined in ${options.dir ?? terraformDir}`);
    const outer = firstBlock(body, 'template');
    const template = (outer && firstBlock(outer, 'template')) ?? outer;
    const reference = template?.service_account;
    const account =
      typeof reference === 'string'
        ? /^\$\{google_service_account\.(\w+)\.email\}$/.exec(reference)?.[1]
        : undefined;
    if (!account) throw new Unsupported(`service_account ${String(reference)}`, where);
    const accountBody = accounts.get(account);
    if (!accountBody) throw new Error(`IAM policy: google_service_account.${account} is not defined`);
    const serviceAccount = `${literal(accountBody.account_id, `google_service_account.${account}`)}@${projectId}.iam.gserviceaccount.com`;

    const bindings: PolicyBinding[] = [];
    const grantTypes = [
      { type: 'google_storage_bucket_iam_member', projectLevel: false },
      { type: 'google_storage_bucket_iam_binding', projectLevel: false },
      { type: 'google_project_iam_member', projectLevel: true },
      { type: 'google_project_iam_binding', projectLevel: true },
    ];
    for (const grant of grantTypes) {
      for (const [grantName, grantBody] of resourcesOf(files, grant.type)) {
        if (!names(grantBody, account)) continue;
        const grantWhere = `${grant.type}.${grantName}`;
        const condition = conditionOf(grantBody, grantWhere);
        for (const { role, key } of rolesOf(grantBody, grantWhere)) {
          const source = key === undefined ? grantWhere : `${grantWhere}[${JSON.stringify(key)}]`;
          const resolved = roleBindings(role, source, grant.projectLevel);
          if (!resolved) continue;
          const scope = grant.projectLevel ? projectResource : bucketScope(grantBody.bucket, source);
          bindings.push({ ...resolved, scope, source, ...(condition ? { condition } : {}) });
        }
      }
    }
    return { identity, serviceAccount, bindings };
  };

  return { web: policyOf('web'), worker: policyOf('worker'), backfill: policyOf('backfill') };
}
