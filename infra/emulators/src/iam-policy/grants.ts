// Grants → bindings: the bucket- and project-level IAM member/binding resources whose member is a service account,
// one binding per role they grant (a plain `role`, or `role = each.value` over `for_each = toset([...])`), with the
// grant's scope and condition. An authoritative `_iam_policy` resource is not modelled and throws.
import { conditionOf } from './conditions.js';
import { bucketResource, projectResource, type PolicyBinding } from './model.js';
import { rolePermissions } from './roles.js';
import { Unsupported, type Json, type Terraform } from './terraform.js';

const grantTypes = [
  { type: 'google_storage_bucket_iam_member', projectLevel: false },
  { type: 'google_storage_bucket_iam_binding', projectLevel: false },
  { type: 'google_project_iam_member', projectLevel: true },
  { type: 'google_project_iam_binding', projectLevel: true },
];

export function rejectAuthoritativePolicies(tf: Terraform): void {
  for (const type of ['google_storage_bucket_iam_policy', 'google_project_iam_policy'])
    if (tf.resources(type).size > 0) throw new Unsupported(`${type} (an authoritative policy)`, type);
}

/**
 * The bindings of the grants naming `account` (a google_service_account's Terraform name). `served`: the bucket
 * `google_storage_bucket.uploads.name` is, and the thumbnail prefix.
 */
export function bindingsOf(
  tf: Terraform,
  account: string,
  served: { bucket: string; thumbnailPrefix: string },
): PolicyBinding[] {
  const bindings: PolicyBinding[] = [];
  for (const grant of grantTypes) {
    for (const [grantName, grantBody] of tf.resources(grant.type)) {
      if (!names(grantBody, account)) continue;
      const grantWhere = `${grant.type}.${grantName}`;
      const condition = conditionOf(grantBody, grantWhere, served);
      for (const { role, key } of rolesOf(tf, grantBody, grantWhere)) {
        const source = key === undefined ? grantWhere : `${grantWhere}[${JSON.stringify(key)}]`;
        const resolved = rolePermissions(tf, role, source, grant.projectLevel);
        if (!resolved) continue;
        const scope = grant.projectLevel
          ? projectResource
          : bucketScope(grantBody.bucket, source, served.bucket);
        bindings.push({ ...resolved, scope, source, ...(condition ? { condition } : {}) });
      }
    }
  }
  return bindings;
}

/** True when a member of the grant (`member` or `members`) is the service account `account`. */
function names(body: Json, account: string): boolean {
  const members: unknown[] = [
    body.member,
    ...(Array.isArray(body.members) ? (body.members as unknown[]) : []),
  ];
  return members.some(
    (m) =>
      m === `\${google_service_account.${account}.member}` ||
      m === `serviceAccount:\${google_service_account.${account}.email}`,
  );
}

/** The roles a grant resource expands to: `role = each.value` over `for_each = toset([...])`, or a plain role. */
function rolesOf(tf: Terraform, body: Json, where: string): { role: string; key?: string }[] {
  const role = body.role;
  if (typeof role !== 'string') throw new Unsupported('grant without a role', where);
  if (!/^\$\{each\.(value|key)\}$/.test(role)) {
    if (body.for_each !== undefined)
      throw new Unsupported('for_each with a role other than each.value', where);
    return [{ role }];
  }
  return forEachItems(tf, body.for_each, where).map((item) => ({ role: item, key: item }));
}

/** The items of `for_each`: a list, `toset(local.x)`, or `toset([...])` of strings and custom role references. */
function forEachItems(tf: Terraform, value: unknown, where: string): string[] {
  if (Array.isArray(value)) return value.map((v) => tf.literal(v, where));
  if (typeof value !== 'string') throw new Unsupported('for_each', where);
  const set = /^\$\{\s*toset\(\s*([\s\S]*)\)\s*\}$/.exec(value);
  if (!set) throw new Unsupported(`for_each ${value}`, where);
  const inner = set[1]!.trim();
  const local = /^local\.(\w+)$/.exec(inner);
  if (local) {
    const list = tf.locals[local[1]!];
    if (!Array.isArray(list)) throw new Unsupported(`for_each over ${inner}`, where);
    return list.map((v) => tf.literal(v, where));
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
}

/** The scope of a bucket-level grant: the served bucket by its reference, or a bucket named literally. */
function bucketScope(bucket: unknown, where: string, servedBucket: string): string {
  if (bucket === '${google_storage_bucket.uploads.name}') return bucketResource(servedBucket);
  if (typeof bucket === 'string' && !bucket.includes('${')) return bucketResource(bucket);
  throw new Unsupported(`bucket ${String(bucket)}`, where);
}
