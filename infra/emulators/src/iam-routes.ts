/**
 * Classifies one Cloud Storage request by method, path and query, as the JSON API (and fake-gcs-server's routes)
 * shape them: which class it counts under and which permissions on which resources it needs, following
 * "IAM permissions for JSON methods" (https://cloud.google.com/storage/docs/access-control/iam-json). Pure: what
 * needs the body (a multipart upload's object name, compose's sources) or the upstream (does the target exist?)
 * is left to the proxy, which the route tells what to look up. Whatever is not recognised is a refusal.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { bucketResource, objectResource, projectResource } from './iam-policy/model.js';

/**
 * The classes requests are counted under (IamProxy.counts()):
 * - metadataRead: an object's metadata (objects.get without alt=media), an existence check included.
 * - mediaRead: an object's bytes (alt=media, /download/…, or the XML-style GET /<bucket>/<object>).
 * - list: a listing of the bucket's objects.
 * - create: a write (upload, copy, rewrite, compose; for a resumable upload its initiating request) whose target
 *   did not exist when the request arrived.
 * - overwrite: the same whose target existed, whatever the answer (replaced, 412, or 403).
 * - uploadData: a request carrying bytes (or asking the status) of a resumable upload session; its write was
 *   counted once, as create or overwrite, when the session was started.
 * - delete: an object delete.
 * - update: an object metadata update (PATCH or PUT).
 * - bucketRead: the bucket's metadata or its notification configs.
 * - other: anything else (bucket list/create/update/delete, notification config changes, session cancels, and
 *   every request the proxy refused because it could not classify it).
 */
export type RequestClass =
  | 'metadataRead'
  | 'mediaRead'
  | 'list'
  | 'create'
  | 'overwrite'
  | 'uploadData'
  | 'delete'
  | 'update'
  | 'bucketRead'
  | 'other';

export const requestClasses: readonly RequestClass[] = [
  'metadataRead',
  'mediaRead',
  'list',
  'create',
  'overwrite',
  'uploadData',
  'delete',
  'update',
  'bucketRead',
  'other',
];

export interface Check {
  permission: string;
  resource: string;
}

export interface ObjectRef {
  bucket: string;
  object: string;
}

export type Route =
  /** Needs `checks`, nothing else to look up. */
  | { kind: 'checked'; class: RequestClass; bucket?: string; checks: Check[] }
  /**
   * Writes `bucket/object`: storage.objects.create, plus storage.objects.delete when the target exists, plus
   * storage.objects.get on each source. `object` undefined: the name is in the body (`nameFrom`).
   */
  | {
      kind: 'write';
      bucket: string;
      object: string | undefined;
      nameFrom: 'query' | 'multipart' | 'json';
      sources: readonly ObjectRef[];
      /** compose: the sources are listed in the JSON body. */
      sourcesFromBody: boolean;
      /** A resumable upload's initiating request: the session it opens is remembered. */
      resumable: boolean;
    }
  /** A request to an open resumable upload session. */
  | { kind: 'session'; uploadId: string; cancel: boolean }
  | { kind: 'unclassified'; reason: string };

/** The segment decoded, or undefined when it is not valid percent-encoding. */
function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const reservedFirstSegments = new Set(['storage', 'upload', 'download', 'batch', '_internal']);

function checked(cls: RequestClass, bucket: string | undefined, ...checks: Check[]): Route {
  return { kind: 'checked', class: cls, bucket, checks };
}

/** The route of one request; `path` is the raw (still percent-encoded) path and query. */
export function classify(method: string, path: string, headers: IncomingHttpHeaders): Route {
  const url = new URL(path, 'http://proxy.invalid');
  const override = headers['x-http-method-override'];
  const request: RequestShape = {
    verb: method === 'POST' && typeof override === 'string' ? override.toUpperCase() : method,
    p: url.pathname,
    query: url.searchParams,
    headers,
    unclassified: { kind: 'unclassified', reason: `${method} ${url.pathname}` },
  };
  return jsonApiRoute(request) ?? mediaRoute(request) ?? request.unclassified;
}

interface RequestShape {
  /** The method, or the X-HTTP-Method-Override of a POST. */
  verb: string;
  /** The path, still percent-encoded. */
  p: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The refusal of a request of a known shape that the proxy does not recognise. */
  unclassified: Route;
}

/** The JSON API's bucket and object paths, /storage/v1/b/…; undefined for other paths. */
function jsonApiRoute({ verb, p, query, unclassified }: RequestShape): Route | undefined {
  if (p === '/storage/v1/b' || p === '/storage/v1/b/') {
    if (verb === 'GET')
      return checked('other', undefined, { permission: 'storage.buckets.list', resource: projectResource });
    if (verb === 'POST')
      return checked('other', undefined, { permission: 'storage.buckets.create', resource: projectResource });
    return unclassified;
  }
  let m = /^\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(p);
  if (m) {
    const bucket = decode(m[1]!);
    if (bucket === undefined || verb !== 'GET') return unclassified;
    return checked('list', bucket, { permission: 'storage.objects.list', resource: bucketResource(bucket) });
  }
  m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(p);
  if (m) {
    const bucket = decode(m[1]!);
    return bucket === undefined ? unclassified : objectRoute(verb, bucket, m[2]!, query);
  }
  m = /^\/storage\/v1\/b\/([^/]+)(?:\/(.+))?$/.exec(p);
  if (m) {
    const bucket = decode(m[1]!);
    return bucket === undefined ? unclassified : bucketRoute(verb, bucket, m[2]);
  }
  return undefined;
}

function objectRoute(method: string, bucket: string, rest: string, query: URLSearchParams): Route {
  const write = method === 'POST' ? copyOrComposeRoute(bucket, rest) : undefined;
  if (write) return write;
  if (/\/acl(\/[^/]+)?$/.test(rest))
    return {
      kind: 'unclassified',
      reason: 'an object ACL request (the bucket has uniform bucket-level access)',
    };
  const object = decode(rest);
  if (object === undefined) return { kind: 'unclassified', reason: 'an undecodable object name' };
  const resource = objectResource(bucket, object);
  switch (method) {
    case 'GET':
    case 'HEAD':
      return checked(query.get('alt') === 'media' ? 'mediaRead' : 'metadataRead', bucket, {
        permission: 'storage.objects.get',
        resource,
      });
    case 'DELETE':
      return checked('delete', bucket, { permission: 'storage.objects.delete', resource });
    case 'PATCH':
      return checked(
        'update',
        bucket,
        { permission: 'storage.objects.get', resource },
        { permission: 'storage.objects.update', resource },
      );
    case 'PUT':
      return checked('update', bucket, { permission: 'storage.objects.update', resource });
    default:
      return { kind: 'unclassified', reason: `${method} on an object` };
  }
}

/** A POST on an object path that copies or rewrites it to another (…/copyTo|rewriteTo/b/<b>/o/<o>), or composes it. */
function copyOrComposeRoute(bucket: string, rest: string): Route | undefined {
  const copy = /^(.+)\/(rewriteTo|copyTo)\/b\/([^/]+)\/o\/(.+)$/.exec(rest);
  if (copy) {
    const [source, destinationBucket, destination] = [decode(copy[1]!), decode(copy[3]!), decode(copy[4]!)];
    if (source === undefined || destinationBucket === undefined || destination === undefined)
      return { kind: 'unclassified', reason: 'an undecodable object name' };
    return {
      kind: 'write',
      bucket: destinationBucket,
      object: destination,
      nameFrom: 'query',
      sources: [{ bucket, object: source }],
      sourcesFromBody: false,
      resumable: false,
    };
  }
  if (rest.endsWith('/compose')) {
    const destination = decode(rest.slice(0, -'/compose'.length));
    if (destination === undefined) return { kind: 'unclassified', reason: 'an undecodable object name' };
    return {
      kind: 'write',
      bucket,
      object: destination,
      nameFrom: 'query',
      sources: [],
      sourcesFromBody: true,
      resumable: false,
    };
  }
  return undefined;
}

function bucketRoute(method: string, bucket: string, rest: string | undefined): Route {
  const resource = bucketResource(bucket);
  const get = { permission: 'storage.buckets.get', resource };
  const update = { permission: 'storage.buckets.update', resource };
  if (rest === undefined) {
    if (method === 'GET' || method === 'HEAD') return checked('bucketRead', bucket, get);
    if (method === 'PATCH' || method === 'PUT') return checked('other', bucket, update);
    if (method === 'DELETE')
      return checked('other', bucket, { permission: 'storage.buckets.delete', resource });
    return { kind: 'unclassified', reason: `${method} on a bucket` };
  }
  if (rest === 'notificationConfigs' || /^notificationConfigs\/[^/]+$/.test(rest)) {
    if (method === 'GET') return checked('bucketRead', bucket, get);
    if (method === 'POST' && rest === 'notificationConfigs') return checked('other', bucket, update);
    if (method === 'DELETE' && rest !== 'notificationConfigs') return checked('other', bucket, update);
  }
  return { kind: 'unclassified', reason: `${method} on bucket path ${rest}` };
}

/** Downloads, uploads and their sessions, the batch endpoint, and the XML-style GET /<bucket>/<object>. */
function mediaRoute({ verb, p, query, headers, unclassified }: RequestShape): Route | undefined {
  let m = /^\/download\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(p);
  if (m) {
    const [bucket, object] = [decode(m[1]!), decode(m[2]!)];
    if (bucket === undefined || object === undefined || (verb !== 'GET' && verb !== 'HEAD'))
      return unclassified;
    return checked('mediaRead', bucket, {
      permission: 'storage.objects.get',
      resource: objectResource(bucket, object),
    });
  }
  m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/.exec(p);
  if (m) {
    const bucket = decode(m[1]!);
    return bucket === undefined ? unclassified : uploadRoute(verb, bucket, query, headers);
  }
  m = /^\/upload\/resumable\/([^/]+)$/.exec(p);
  if (m && (verb === 'PUT' || verb === 'POST')) return { kind: 'session', uploadId: m[1]!, cancel: false };
  if (p.startsWith('/batch/'))
    return { kind: 'unclassified', reason: 'a batch request (the proxy checks one request at a time)' };
  // fake-gcs-server's XML-style download, GET /<bucket>/<object>.
  m = /^\/([^/]+)\/(.+)$/.exec(p);
  if (m && (verb === 'GET' || verb === 'HEAD') && !reservedFirstSegments.has(m[1]!)) {
    const [bucket, object] = [decode(m[1]!), decode(m[2]!)];
    if (bucket === undefined || object === undefined) return unclassified;
    return checked('mediaRead', bucket, {
      permission: 'storage.objects.get',
      resource: objectResource(bucket, object),
    });
  }
  return undefined;
}

function uploadRoute(
  method: string,
  bucket: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
): Route {
  const uploadId = query.get('upload_id');
  if (uploadId !== null) {
    if (method === 'PUT' || method === 'POST') return { kind: 'session', uploadId, cancel: false };
    if (method === 'DELETE') return { kind: 'session', uploadId, cancel: true };
    return { kind: 'unclassified', reason: `${method} on an upload session` };
  }
  if (method !== 'POST') return { kind: 'unclassified', reason: `${method} on the upload endpoint` };
  const uploadType =
    query.get('uploadType') ?? (headers['x-goog-upload-protocol'] === 'resumable' ? 'resumable' : undefined);
  const name = query.get('name') ?? undefined;
  const write = { kind: 'write', bucket, object: name, sources: [], sourcesFromBody: false } as const;
  if (uploadType === 'media') return { ...write, nameFrom: 'query', resumable: false };
  if (uploadType === 'multipart') return { ...write, nameFrom: 'multipart', resumable: false };
  if (uploadType === 'resumable') return { ...write, nameFrom: 'json', resumable: true };
  return { kind: 'unclassified', reason: `an upload with uploadType ${uploadType ?? '(none)'}` };
}
