// The policy model: an identity's bindings (role permissions on a scope, perhaps under a condition), the resource
// names Cloud Storage checks permissions against, and allows(), which answers one permission the way it does.
import { predefinedRolePermissions } from './roles.js';

export type Identity = 'web' | 'worker' | 'backfill';
export const identities: readonly Identity[] = ['web', 'worker', 'backfill'];

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
