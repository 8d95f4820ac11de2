// Which service account each identity runs as: the `service_account` of its Cloud Run service's or job's template,
// a google_service_account whose account_id makes the email.
import type { Identity } from './model.js';
import { firstBlock, Unsupported, type Terraform } from './terraform.js';

/** Where each identity's service account is named: `template.service_account` of its Cloud Run resource. */
const identityResources: Record<Identity, { type: string; name: string }> = {
  web: { type: 'google_cloud_run_v2_service', name: 'web' },
  worker: { type: 'google_cloud_run_v2_service', name: 'worker' },
  backfill: { type: 'google_cloud_run_v2_job', name: 'backfill' },
};

export interface ServiceAccount {
  /** The google_service_account's Terraform name, as the grants reference it. */
  name: string;
  /** `<account_id>@<projectId>.iam.gserviceaccount.com`, as Cloud Storage names it in a refusal. */
  email: string;
}

/** `dir`: the folder read, for the error when the identity's Cloud Run resource is not in it. */
export function serviceAccountOf(
  tf: Terraform,
  identity: Identity,
  projectId: string,
  dir: string,
): ServiceAccount {
  const { type, name: resourceName } = identityResources[identity];
  const where = `${type}.${resourceName}`;
  const body = tf.resources(type).get(resourceName);
  if (!body) throw new Error(`IAM policy: ${where} is not defined in ${dir}`);
  // A service's template is one level deep, a job's (template.template) two.
  const outer = firstBlock(body, 'template');
  const template = (outer && firstBlock(outer, 'template')) ?? outer;
  const reference = template?.service_account;
  const name =
    typeof reference === 'string'
      ? /^\$\{google_service_account\.(\w+)\.email\}$/.exec(reference)?.[1]
      : undefined;
  if (!name) throw new Unsupported(`service_account ${String(reference)}`, where);
  const account = tf.resources('google_service_account').get(name);
  if (!account) throw new Error(`IAM policy: google_service_account.${name} is not defined`);
  const accountId = tf.literal(account.account_id, `google_service_account.${name}`);
  return { name, email: `${accountId}@${projectId}.iam.gserviceaccount.com` };
}
