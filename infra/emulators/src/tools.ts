// Where the emulator binaries live and how they get built.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The workspace folder (src/ and dist/ are both one level below it). */
export const workspaceDir = fileURLToPath(new URL('..', import.meta.url));

/** The project-local, git-ignored folder the build script installs into. */
export const toolsBinDir = fileURLToPath(new URL('../.tools/bin/', import.meta.url));

export type Tool = 'fake-gcs-server' | 'pubsub-emulator';

export function toolPath(tool: Tool): string {
  return `${toolsBinDir}${tool}`;
}

export function missingTools(): Tool[] {
  return (['fake-gcs-server', 'pubsub-emulator'] as const).filter((tool) => !existsSync(toolPath(tool)));
}

/**
 * Runs scripts/build-emulators.sh (which skips whatever is already built) when a binary is missing.
 * Throws one line naming what is missing when the build cannot run.
 */
export function ensureTools(): void {
  if (missingTools().length === 0) return;
  const result = spawnSync(
    'bash',
    [fileURLToPath(new URL('../scripts/build-emulators.sh', import.meta.url))],
    {
      cwd: workspaceDir,
      stdio: ['ignore', 'inherit', 'pipe'],
      encoding: 'utf8',
    },
  );
  if (result.error || result.status !== 0) {
    const reason = result.error?.message ?? result.stderr.trim().split('\n').at(-1) ?? 'build failed';
    throw new Error(reason);
  }
}
