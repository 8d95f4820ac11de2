// Role tables: the storage permissions of the predefined Cloud Storage roles, and the permissions of a role a grant
// names (predefined, or custom from its google_project_iam_custom_role). A role it does not know throws.
import { Unsupported, type Terraform } from './terraform.js';

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
    throw new Error(
      `IAM policy: unknown role ${role}: add its permissions to the table in iam-policy/roles.ts`,
    );
  return permissions;
}

/**
 * The permissions of `role` as a grant names it (`roles/…`, `projects/<p>/roles/<id>`, or a custom role's reference);
 * undefined for a project-level role that is not a Cloud Storage role.
 */
export function rolePermissions(
  tf: Terraform,
  role: string,
  where: string,
  projectLevel: boolean,
): { role: string; permissions: readonly string[] } | undefined {
  const customRoles = tf.resources('google_project_iam_custom_role');
  const custom = /^\$\{google_project_iam_custom_role\.(\w+)\.(?:id|name)\}$/.exec(role);
  if (custom) {
    const body = customRoles.get(custom[1]!);
    if (!body) throw new Unsupported(`reference to an undefined custom role ${role}`, where);
    const permissions = body.permissions;
    if (!Array.isArray(permissions) || !permissions.every((p) => typeof p === 'string' && !p.includes('${')))
      throw new Unsupported('custom role permissions that are not a literal list', where);
    return { role: `google_project_iam_custom_role.${custom[1]}`, permissions: permissions as string[] };
  }
  const byId = /^projects\/[^/]+\/roles\/(\w+)$/.exec(role);
  if (byId) {
    const match = [...customRoles].find(([, body]) => body.role_id === byId[1]);
    if (!match)
      throw new Unsupported(`custom role ${role} that no google_project_iam_custom_role defines`, where);
    return rolePermissions(tf, `\${google_project_iam_custom_role.${match[0]}.id}`, where, projectLevel);
  }
  if (/^roles\/(owner|editor|viewer)$/.test(role))
    throw new Unsupported(
      `basic role ${role} (it grants storage permissions this model does not list)`,
      where,
    );
  if (projectLevel && !role.startsWith('roles/storage.')) return undefined; // not a Cloud Storage role
  return { role, permissions: predefinedRolePermissions(role) };
}
