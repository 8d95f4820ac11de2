// Permission checks, each throwing a Refusal: `demand` one permission; a write needs create on its target, get on
// each source, and delete when it replaces an object (after or before its preconditions, as `order` says).
import { allows, objectResource, type IdentityPolicy } from '../iam-policy/model.js';
import type { Check, ObjectRef } from '../iam-routes.js';
import { deniedRefusal, type Refusal } from './refusals.js';
import type { ObjectMetadata, Upstream } from './upstream.js';

/** Whether a failing precondition (412) or the missing delete permission (403) wins on an overwrite. */
export type IamOrder = 'permission-first' | 'precondition-first';

export interface Checks {
  /** Refuses unless the policy grants `check`; `bucket` is the bucket the request names. */
  demand(check: Check, bucket?: string): void;
  /** What every write needs: create on `target`, get on each source. */
  demandWrite(target: ObjectRef, sources: readonly ObjectRef[]): void;
  /** The delete an overwrite needs, if the target exists now; true when it does. */
  demandReplace(target: ObjectRef, query: URLSearchParams): Promise<boolean>;
  /**
   * A create-only write (ifGenerationMatch=0) that the upstream answered 412, so its target exists: the 403 Cloud
   * Storage answers instead when the missing delete permission is looked at first, else undefined (the 412 stands).
   */
  overwriteRefusal(target: ObjectRef): Refusal | undefined;
}

const preconditionParams = [
  ['ifGenerationMatch', 'generation', true],
  ['ifGenerationNotMatch', 'generation', false],
  ['ifMetagenerationMatch', 'metageneration', true],
  ['ifMetagenerationNotMatch', 'metageneration', false],
] as const;

/** True when a precondition in `query` fails against the existing object. */
function preconditionFails(query: URLSearchParams, existing: ObjectMetadata): boolean {
  return preconditionParams.some(([param, field, match]) => {
    const wanted = query.get(param);
    return wanted !== null && (wanted === existing[field]) !== match;
  });
}

export function createChecks(policy: IdentityPolicy, order: () => IamOrder, upstream: Upstream): Checks {
  const demand = (check: Check, bucket?: string): void => {
    if (!allows(policy, check.permission, check.resource))
      throw deniedRefusal(policy.serviceAccount, check, bucket);
  };

  /**
   * Writing over an existing object also needs storage.objects.delete; in precondition-first order a failing
   * precondition goes to the upstream (its 412) before the permission is looked at. The refusal, or undefined.
   */
  const replaceRefusal = (target: ObjectRef, preconditionFailed: boolean): Refusal | undefined => {
    const resource = objectResource(target.bucket, target.object);
    if (allows(policy, 'storage.objects.delete', resource)) return undefined;
    if (preconditionFailed && order() === 'precondition-first') return undefined;
    return deniedRefusal(policy.serviceAccount, { permission: 'storage.objects.delete', resource });
  };

  const demandReplace = async (target: ObjectRef, query: URLSearchParams): Promise<boolean> => {
    const found = await upstream.existing(target);
    const refusal = found && replaceRefusal(target, preconditionFails(query, found));
    if (refusal) throw refusal;
    return found !== undefined;
  };

  return {
    demand,
    demandReplace,
    demandWrite(target, sources) {
      demand(
        { permission: 'storage.objects.create', resource: objectResource(target.bucket, target.object) },
        target.bucket,
      );
      for (const source of sources)
        demand(
          { permission: 'storage.objects.get', resource: objectResource(source.bucket, source.object) },
          source.bucket,
        );
    },
    overwriteRefusal: (target) => replaceRefusal(target, true),
  };
}
