import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  allows,
  bucketPolicy,
  bucketResource,
  loadTerraformPolicy,
  objectResource,
  predefinedRolePermissions,
  projectResource,
} from './iam-policy.js';

const bucket = 'local-bucket';
const thumbnailPrefix = 'thumbnails/';

/** The three Cloud Run resources and two service accounts every fixture needs, plus `grants`. */
function terraform(grants: string): string {
  return `
locals {
  name = "thumbnailer"
}
resource "google_service_account" "web" {
  account_id = "\${local.name}-web"
}
resource "google_service_account" "worker" {
  account_id = "\${local.name}-worker"
}
resource "google_cloud_run_v2_service" "web" {
  template {
    service_account = google_service_account.web.email
  }
}
resource "google_cloud_run_v2_service" "worker" {
  template {
    service_account = google_service_account.worker.email
  }
}
resource "google_cloud_run_v2_job" "backfill" {
  template {
    template {
      service_account = google_service_account.worker.email
    }
  }
}
${grants}
`;
}

const fixtureDirs: string[] = [];
after(() => {
  for (const dir of fixtureDirs) rmSync(dir, { recursive: true, force: true });
});

async function loadFixture(grants: string) {
  const dir = mkdtempSync(join(tmpdir(), 'iam-policy-'));
  fixtureDirs.push(dir);
  writeFileSync(join(dir, 'main.tf'), terraform(grants));
  return loadTerraformPolicy({ dir, bucket, thumbnailPrefix, projectId: 'p' });
}

describe('the policy read from infra/terraform', () => {
  it('grants web objectCreator and objectViewer, and worker and backfill objectViewer and objectCreator, plus delete under the thumbnail prefix', async () => {
    const policy = await loadTerraformPolicy({ bucket, thumbnailPrefix });
    const roles = (identity: 'web' | 'worker' | 'backfill') =>
      policy[identity].bindings.map((b) => [b.role, b.scope, b.condition]);
    assert.deepEqual(roles('web'), [
      ['roles/storage.objectCreator', bucketResource(bucket), undefined],
      ['roles/storage.objectViewer', bucketResource(bucket), undefined],
    ]);
    assert.deepEqual(roles('worker'), [
      ['roles/storage.objectViewer', bucketResource(bucket), undefined],
      ['roles/storage.objectCreator', bucketResource(bucket), undefined],
      [
        'google_project_iam_custom_role.rendition_deleter',
        bucketResource(bucket),
        {
          expression:
            'resource.name.startsWith("projects/_/buckets/${google_storage_bucket.uploads.name}/objects/${var.thumbnail_prefix}")',
          resourceNamePrefix: `${bucketResource(bucket)}/objects/${thumbnailPrefix}`,
        },
      ],
    ]);
    assert.deepEqual(roles('backfill'), roles('worker'));
    assert.equal(policy.web.serviceAccount, 'thumbnailer-web@local-project.iam.gserviceaccount.com');
    assert.equal(policy.backfill.serviceAccount, 'thumbnailer-worker@local-project.iam.gserviceaccount.com');
  });

  it('lets the worker read, list, create and delete under the thumbnail prefix, but neither delete elsewhere, update nor read the bucket', async () => {
    const { worker } = await loadTerraformPolicy({ bucket, thumbnailPrefix });
    const object = objectResource(bucket, 'thumbnails/20251203T15Z/a.jpg');
    assert.equal(allows(worker, 'storage.objects.get', object), true);
    assert.equal(allows(worker, 'storage.objects.create', object), true);
    assert.equal(allows(worker, 'storage.objects.list', bucketResource(bucket)), true);
    assert.equal(allows(worker, 'storage.objects.delete', object), true);
    assert.equal(
      allows(worker, 'storage.objects.delete', objectResource(bucket, '20251203T15Z/a.jpg')),
      false,
    );
    assert.equal(allows(worker, 'storage.objects.update', object), false);
    assert.equal(allows(worker, 'storage.buckets.get', bucketResource(bucket)), false);
    assert.equal(allows(worker, 'storage.objects.get', objectResource('another-bucket', 'a.jpg')), false);
  });
});

describe('the policy read from Terraform fixtures', () => {
  it('takes a custom role’s permissions from its google_project_iam_custom_role', async () => {
    const policy = await loadFixture(`
resource "google_project_iam_custom_role" "thumbnail_writer" {
  role_id     = "thumbnailWriter"
  permissions = ["storage.objects.create", "storage.objects.delete"]
}
resource "google_storage_bucket_iam_member" "worker_custom" {
  bucket = google_storage_bucket.uploads.name
  role   = google_project_iam_custom_role.thumbnail_writer.id
  member = google_service_account.worker.member
}`);
    assert.deepEqual(policy.worker.bindings, [
      {
        role: 'google_project_iam_custom_role.thumbnail_writer',
        permissions: ['storage.objects.create', 'storage.objects.delete'],
        scope: bucketResource(bucket),
        source: 'google_storage_bucket_iam_member.worker_custom',
      },
    ]);
    assert.equal(policy.worker.serviceAccount, 'thumbnailer-worker@p.iam.gserviceaccount.com');
    assert.deepEqual(policy.web.bindings, []);
    assert.equal(allows(policy.worker, 'storage.objects.delete', objectResource(bucket, 'x')), true);
    assert.equal(allows(policy.worker, 'storage.objects.get', objectResource(bucket, 'x')), false);
  });

  it('confines a grant with a resource.name.startsWith condition to the prefix, and never to bucket-level operations', async () => {
    const policy = await loadFixture(`
resource "google_storage_bucket_iam_member" "worker_deletes_thumbnails" {
  for_each = toset(["roles/storage.objectUser"])
  bucket   = google_storage_bucket.uploads.name
  role     = each.value
  member   = "serviceAccount:\${google_service_account.worker.email}"
  condition {
    title      = "thumbnails only"
    expression = "resource.name.startsWith(\\"projects/_/buckets/\${google_storage_bucket.uploads.name}/objects/\${var.thumbnail_prefix}\\")"
  }
}`);
    const [binding] = policy.worker.bindings;
    assert.equal(
      binding?.condition?.resourceNamePrefix,
      'projects/_/buckets/local-bucket/objects/thumbnails/',
    );
    assert.equal(
      binding?.source,
      'google_storage_bucket_iam_member.worker_deletes_thumbnails["roles/storage.objectUser"]',
    );
    const { worker } = policy;
    assert.equal(allows(worker, 'storage.objects.delete', objectResource(bucket, 'thumbnails/a.jpg')), true);
    assert.equal(
      allows(worker, 'storage.objects.delete', objectResource(bucket, '20251203T15Z/a.jpg')),
      false,
    );
    assert.equal(allows(worker, 'storage.objects.list', bucketResource(bucket)), false);
  });

  it('reads members of a google_storage_bucket_iam_binding and project-level storage grants', async () => {
    const policy = await loadFixture(`
resource "google_storage_bucket_iam_binding" "readers" {
  bucket  = google_storage_bucket.uploads.name
  role    = "roles/storage.legacyBucketReader"
  members = [google_service_account.web.member, "user:someone@example.com"]
}
resource "google_project_iam_member" "web_admin" {
  project = var.project
  role    = "roles/storage.objectAdmin"
  member  = google_service_account.web.member
}
resource "google_project_iam_member" "web_logs" {
  project = var.project
  role    = "roles/logging.logWriter"
  member  = google_service_account.web.member
}`);
    assert.deepEqual(
      policy.web.bindings.map((b) => [b.role, b.scope]),
      [
        ['roles/storage.legacyBucketReader', bucketResource(bucket)],
        ['roles/storage.objectAdmin', projectResource],
      ],
    );
    assert.equal(allows(policy.web, 'storage.buckets.get', bucketResource(bucket)), true);
    assert.equal(allows(policy.web, 'storage.objects.delete', objectResource('any-bucket', 'x')), true);
    assert.equal(allows(policy.web, 'storage.buckets.list', projectResource), false);
  });

  it('throws on a role the table does not know, naming it', async () => {
    await assert.rejects(
      loadFixture(`
resource "google_storage_bucket_iam_member" "worker" {
  bucket = google_storage_bucket.uploads.name
  role   = "roles/storage.objectOverlord"
  member = google_service_account.worker.member
}`),
      /unknown role roles\/storage\.objectOverlord/,
    );
  });

  it('throws on a condition it cannot evaluate', async () => {
    await assert.rejects(
      loadFixture(`
resource "google_storage_bucket_iam_member" "worker" {
  bucket = google_storage_bucket.uploads.name
  role   = "roles/storage.objectUser"
  member = google_service_account.worker.member
  condition {
    title      = "two clauses"
    expression = "resource.name.startsWith(\\"projects/_/buckets/b/objects/a\\") || resource.type == \\"storage.googleapis.com/Bucket\\""
  }
}`),
      /unsupported condition/,
    );
  });
});

describe('allows()', () => {
  it('expands a role’s wildcard and checks the scope', () => {
    const policy = bucketPolicy({ identity: 'admin', bucket, roles: ['roles/storage.objectAdmin'] });
    assert.equal(allows(policy, 'storage.objects.setRetention', objectResource(bucket, 'x')), true);
    assert.equal(allows(policy, 'storage.buckets.get', bucketResource(bucket)), false);
    assert.equal(allows(policy, 'storage.objects.get', objectResource(`${bucket}-2`, 'x')), false);
  });

  it('knows objectCreator cannot read, delete or replace', () => {
    assert.deepEqual(
      ['storage.objects.create', 'storage.objects.get', 'storage.objects.delete'].map((p) =>
        predefinedRolePermissions('roles/storage.objectCreator').includes(p),
      ),
      [true, false, false],
    );
  });
});
