// The upstream, fake-gcs-server: one keep-alive agent for all the proxy sends it, and the proxy's own lookups, sent
// straight there and not counted (does a write's target exist, and with which generations; does a bucket exist).
import { Agent, request } from 'node:http';
import type { ObjectRef } from '../iam-routes.js';
import { jsonField, parseJson, readBody, scalar } from './bodies.js';

export interface ObjectMetadata {
  generation: string;
  metageneration: string;
}

export interface Upstream {
  readonly hostname: string;
  readonly port: number;
  readonly agent: Agent;
  /** The object's generations, or undefined when it does not exist. */
  existing(ref: ObjectRef): Promise<ObjectMetadata | undefined>;
  bucketExists(bucket: string): Promise<boolean>;
  /** Closes the agent's sockets. */
  close(): void;
}

/** `address`: fake-gcs-server's 'http://127.0.0.1:PORT'. */
export function connectUpstream(address: string): Upstream {
  const url = new URL(address);
  const hostname = url.hostname;
  const port = Number(url.port || 80);
  const agent = new Agent({ keepAlive: true });

  /** One GET of the proxy's own: status and parsed JSON body. */
  const lookup = (path: string): Promise<{ status: number; body: unknown }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: hostname, port, path, method: 'GET', agent }, (res) => {
        readBody(res).then((buf) => resolve({ status: res.statusCode ?? 0, body: parseJson(buf) }), reject);
      });
      req.on('error', reject);
      req.end();
    });

  return {
    hostname,
    port,
    agent,
    async existing({ bucket, object }) {
      const { status, body } = await lookup(
        `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(object)}`,
      );
      if (status === 404) return undefined;
      if (status !== 200)
        throw new Error(`IAM proxy: metadata lookup of ${bucket}/${object} answered ${status}`);
      return {
        generation: scalar(jsonField(body, 'generation')),
        metageneration: scalar(jsonField(body, 'metageneration')),
      };
    },
    bucketExists: async (bucket) =>
      (await lookup(`/storage/v1/b/${encodeURIComponent(bucket)}`)).status !== 404,
    close: () => agent.destroy(),
  };
}
