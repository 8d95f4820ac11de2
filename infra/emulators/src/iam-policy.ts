/**
 * What each app identity may do in Cloud Storage, read from infra/terraform into iam-policy/model.ts's bindings. The
 * readers, in iam-policy/, in the order they run: terraform (.tf files → blocks), accounts (identity → service
 * account), grants (→ bindings, through roles and conditions). What the model does not cover throws, so a Terraform
 * change it cannot follow fails at once.
 */
import { fileURLToPath } from 'node:url';
import { serviceAccountOf } from './iam-policy/accounts.js';
import { bindingsOf, rejectAuthoritativePolicies } from './iam-policy/grants.js';
import type { Identity, IdentityPolicy } from './iam-policy/model.js';
import { readTerraform } from './iam-policy/terraform.js';

export {
  allows,
  bucketPolicy,
  bucketResource,
  identities,
  objectResource,
  projectResource,
  type Identity,
  type IdentityPolicy,
  type PolicyBinding,
  type PolicyCondition,
} from './iam-policy/model.js';
export { predefinedRolePermissions } from './iam-policy/roles.js';

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

const terraformDir = fileURLToPath(new URL('../../terraform/', import.meta.url));

/** Parses every .tf file of `dir` and builds the policy of each identity. */
export async function loadTerraformPolicy(
  options: LoadPolicyOptions,
): Promise<Record<Identity, IdentityPolicy>> {
  const dir = options.dir ?? terraformDir;
  const tf = await readTerraform(dir);
  rejectAuthoritativePolicies(tf);
  const served = { bucket: options.bucket, thumbnailPrefix: options.thumbnailPrefix };
  const policyOf = (identity: Identity): IdentityPolicy => {
    const account = serviceAccountOf(tf, identity, options.projectId ?? 'local-project', dir);
    return { identity, serviceAccount: account.email, bindings: bindingsOf(tf, account.name, served) };
  };
  return { web: policyOf('web'), worker: policyOf('worker'), backfill: policyOf('backfill') };
}
